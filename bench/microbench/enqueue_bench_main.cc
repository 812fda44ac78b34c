// fibtastic-enqueue-bench: what enqueueing a job costs, against the floor of one raw LPUSH round
// trip to the same Redis (the goal: RedisJobQueue::Push ≤ 1.5× raw LPUSH). Starts nothing: it
// uses REDIS_URL (or REDIS_PROVIDER, default redis://127.0.0.1:6379/0) and writes only to
// queue:fibtastic_bench / fibtastic:bench:raw, which it deletes afterwards.
// Run with --benchmark_format=json (or --benchmark_out=FILE) for machine-readable output.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/build_info.h"
#include "common/clock.h"
#include "common/redis/redis_connection.h"
#include "workers/jobs/sequence_email_job.h"
#include "workers/queue/job_payload.h"
#include "workers/queue/redis_job_queue.h"

namespace {

constexpr char kBenchQueue[] = "fibtastic_bench";
constexpr char kRawKey[] = "fibtastic:bench:raw";

std::string g_redis_url;  // set once in main before any benchmark runs

std::string EncodedJob() {
  fib::JobPayload payload = fib::NewJobPayload(fib::SequenceEmailJob::kClassName,
                                               nlohmann::json::array({"bench@example.com", 20}),
                                               *fib::SystemClock::Default());
  payload.enqueued_at = fib::SystemClock::Default()->NowSeconds();
  payload.request_id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  return fib::EncodePayload(payload);
}

// Deletes what the benchmarks pushed, so the lists stay small and nothing is left behind.
void CleanUp(fib::RedisConnection& connection) {
  (void)connection.Pipeline(
      {{"DEL", kRawKey, fib::QueueKey(kBenchQueue)}, {"SREM", "queues", kBenchQueue}});
}

void BM_EncodePayload(benchmark::State& state) {
  const fib::Clock& clock = *fib::SystemClock::Default();
  for (auto _ : state) {
    fib::JobPayload payload = fib::NewJobPayload(
        fib::SequenceEmailJob::kClassName, nlohmann::json::array({"bench@example.com", 20}), clock);
    payload.enqueued_at = clock.NowSeconds();
    benchmark::DoNotOptimize(fib::EncodePayload(payload));
  }
}
BENCHMARK(BM_EncodePayload)->Unit(benchmark::kMicrosecond);

void BM_DecodePayload(benchmark::State& state) {
  const std::string kRaw = EncodedJob();
  for (auto _ : state) benchmark::DoNotOptimize(fib::DecodePayload(kRaw));
}
BENCHMARK(BM_DecodePayload)->Unit(benchmark::kMicrosecond);

// The floor: one LPUSH of an already-encoded job, one round trip, one connection.
void BM_RawLpush(benchmark::State& state) {
  auto connection = fib::RedisConnection::Open(g_redis_url);
  const std::string kRaw = EncodedJob();
  for (auto _ : state) {
    auto reply = (*connection)->Command({"LPUSH", kRawKey, kRaw});
    if (!reply.ok()) {
      state.SkipWithError(reply.message().c_str());
      break;
    }
  }
  CleanUp(**connection);
}
BENCHMARK(BM_RawLpush)->Unit(benchmark::kMicrosecond)->UseRealTime();

// What the web's background mode does per request: build + encode the payload, then Push
// (SADD queues + LPUSH, pipelined, through the pool).
void BM_EnqueuePush(benchmark::State& state) {
  fib::RedisQueueOptions options;
  options.url = g_redis_url;
  fib::RedisJobQueue queue(options);
  const fib::Clock& clock = *fib::SystemClock::Default();
  for (auto _ : state) {
    fib::JobPayload payload = fib::NewJobPayload(
        fib::SequenceEmailJob::kClassName, nlohmann::json::array({"bench@example.com", 20}), clock);
    payload.enqueued_at = clock.NowSeconds();
    fib::Status pushed = queue.Push(kBenchQueue, fib::EncodePayload(payload));
    if (!pushed.ok()) {
      state.SkipWithError(pushed.message().c_str());
      break;
    }
  }
  auto connection = fib::RedisConnection::Open(g_redis_url);
  CleanUp(**connection);
}
BENCHMARK(BM_EnqueuePush)->Unit(benchmark::kMicrosecond)->UseRealTime();

// The ratio measured pairwise (one raw LPUSH, then one encode+Push, alternating), so both see
// the same machine load; counters report each mean and push_over_raw.
void BM_PushOverRawPaired(benchmark::State& state) {
  auto connection = fib::RedisConnection::Open(g_redis_url);
  fib::RedisQueueOptions options;
  options.url = g_redis_url;
  fib::RedisJobQueue queue(options);
  const fib::Clock& clock = *fib::SystemClock::Default();
  const std::string kRaw = EncodedJob();
  std::chrono::nanoseconds raw_total{0}, push_total{0};
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    auto reply = (*connection)->Command({"LPUSH", kRawKey, kRaw});
    auto t1 = std::chrono::steady_clock::now();
    fib::JobPayload payload = fib::NewJobPayload(
        fib::SequenceEmailJob::kClassName, nlohmann::json::array({"bench@example.com", 20}), clock);
    payload.enqueued_at = clock.NowSeconds();
    fib::Status pushed = queue.Push(kBenchQueue, fib::EncodePayload(payload));
    auto t2 = std::chrono::steady_clock::now();
    if (!reply.ok() || !pushed.ok()) {
      state.SkipWithError((reply.ok() ? pushed.message() : reply.message()).c_str());
      break;
    }
    raw_total += t1 - t0;
    push_total += t2 - t1;
  }
  double n = static_cast<double>(state.iterations());
  if (n > 0 && raw_total.count() > 0) {
    state.counters["raw_lpush_us"] = raw_total.count() / n / 1000.0;
    state.counters["push_us"] = push_total.count() / n / 1000.0;
    state.counters["push_over_raw"] =
        static_cast<double>(push_total.count()) / static_cast<double>(raw_total.count());
  }
  CleanUp(**connection);
}
BENCHMARK(BM_PushOverRawPaired)->Unit(benchmark::kMicrosecond)->UseRealTime();

bool WantsHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (WantsHelp(argc, argv)) {
    std::printf(
        "Usage: fibtastic-enqueue-bench [google benchmark flags]\n\n"
        "Measures RedisJobQueue::Push (encode + SADD/LPUSH pipeline) against one raw LPUSH\n"
        "round trip, and payload encode/decode alone. Starts no server.\n\n"
        "Environment:\n"
        "  REDIS_URL       Redis to use (default redis://127.0.0.1:6379/0); writes only\n"
        "                  queue:fibtastic_bench and fibtastic:bench:raw, deleted afterwards\n"
        "  REDIS_PROVIDER  name of another variable holding the URL (Sidekiq's rule)\n\n");
    std::fflush(stdout);
  }
  benchmark::Initialize(&argc, argv);  // prints its own flags and exits on --help
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  auto url = fib::ResolveRedisUrl("", [](const char* name) { return std::getenv(name); });
  if (!url.ok()) {
    std::fprintf(stderr, "fibtastic-enqueue-bench: %s\n", url.message().c_str());
    return 2;
  }
  g_redis_url = *url;
  auto connection = fib::RedisConnection::Open(g_redis_url);
  fib::Status reachable =
      connection.ok() ? (*connection)->Command({"PING"}).status() : connection.status();
  if (!reachable.ok()) {
    std::fprintf(stderr,
                 "fibtastic-enqueue-bench: %s\nStart one, e.g. `redis-server --port 6390 --save ''`"
                 " and run with REDIS_URL=redis://127.0.0.1:6390/0\n",
                 reachable.message().c_str());
    return 1;
  }
  nlohmann::json conditions = fib::BuildConditions();
  benchmark::AddCustomContext("fibtastic_build_type", conditions["build_type"]);
  benchmark::AddCustomContext("fibtastic_compiler", conditions["compiler"]);
  auto parsed = fib::ParseRedisUrl(g_redis_url);
  benchmark::AddCustomContext("fibtastic_redis_url", parsed.ok() ? parsed->Redacted() : "?");
  if (fib::IsDebugBuild()) {
    std::fprintf(stderr, "%s\n", conditions["warning"].get<std::string>().c_str());
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
