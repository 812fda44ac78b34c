// End-to-end job latency: fibtastic-loadgen against the real web app and mail sink, joining
// every email to its request by X-Request-Id. Inline: the email is sent inside the request, so
// it arrives before the response. Background (Redis + worker, slow mail provider): the response
// comes first, the email later, and the Redis sampler sees the busy worker.
#include <catch2/catch.hpp>

#include "common/build_info.h"
#include "tests/support/loadgen_process.h"
#include "tests/support/mail_sink.h"
#include "tests/support/redis_server.h"
#include "tests/support/web_app.h"
#include "tests/support/worker_process.h"

using namespace fib::test;

namespace {

std::vector<std::string> SequenceLoad(int web_port, int mail_port, const std::string& rate) {
  return FormLoadArgs({web_port, mail_port, 15, rate, "3", "4", "2", "e2e"});
}

}  // namespace

TEST_CASE("loadgen --mail finds every email of the inline app", "[loadgen][integration][e2e]") {
  MailSink sink;
  WebApp web({"--mode", "inline", "--smtp-url", sink.smtp_url()});
  auto run = RunLoadgen(SequenceLoad(web.port(), sink.http_port(), "20"));
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  const auto& s = run.report["summary"];
  int64_t ok = run.report["status_codes"]["200"];
  CHECK(ok == s["requests"]);
  CHECK(ok >= 59);
  CHECK(s["e2e"]["expected"] == ok);
  CHECK(s["e2e"]["received"] == ok);
  CHECK(s["e2e"]["missing"] == 0);
  CHECK(s["e2e"]["duplicates"] == 0);
  CHECK(run.report["histograms"]["e2e"]["total_count"] == ok);
  // Inline, the email is sent before the response is written: 0 < e2e <= response latency.
  CHECK(s["e2e_ms"]["min"].get<double>() > 0);
  CHECK(s["e2e_ms"]["max"].get<double>() <= s["latency_ms"]["max"].get<double>() + 1.0);
  CHECK_THAT(run.output, Catch::Contains("emails: " + std::to_string(ok) + " expected"));
  // Warmup emails (20 of them) are in the inbox too, but not joined.
  CHECK(sink.Messages().size() >= static_cast<size_t>(ok) + 19);
}

TEST_CASE("loadgen --mail and --redis-url with the background app and a worker",
          "[loadgen][integration][e2e]") {
  RedisServer redis;
  MailSink sink({"--delay-ms", "30"});  // a slow provider: the job takes >= 30 ms
  WebApp web({"--mode", "background", "--redis-url", redis.url()});
  auto worker = StartWorker({.redis_url = redis.url(),
                             .smtp_url = sink.smtp_url(),
                             .test_intervals = false,
                             .flags = {"-c", "2", "--heartbeat-interval-s", "1"}});
  auto args = SequenceLoad(web.port(), sink.http_port(), "20");
  args.insert(args.end(), {"--redis-url", redis.url()});
  auto run = RunLoadgen(args);
  INFO(run.output);
  INFO(worker->Log());
  REQUIRE(run.exit_code == 0);
  const auto& s = run.report["summary"];
  int64_t ok = run.report["status_codes"]["200"];
  CHECK(ok >= 59);
  CHECK(s["e2e"]["received"] == ok);
  CHECK(s["e2e"]["missing"] == 0);
  // The job runs after the response and takes >= 30 ms: the email comes after the response.
  // (Not "every": a response the loadgen reads late on a busy machine can lose the race.)
  CHECK(s["e2e"]["before_response"].get<int64_t>() <= ok / 10);
  CHECK(s["e2e_ms"]["min"].get<double>() >= 30);
  CHECK(s["e2e_ms"]["p50"].get<double>() >= s["latency_ms"]["p50"].get<double>() + 25);
  // About 10 samples a second over warmup + run.
  const auto& samples = run.report["redis_samples"];
  CHECK(samples.size() >= 30);
  CHECK(samples.size() <= 45);
  // (busy comes from the worker's 1 s heartbeat, so it is not asserted here; the next test
  // checks the sum over processes.)
  for (const auto& sample : samples) CHECK(sample["dead"] == 0);
  INFO(samples.dump());
  // The worker keeps up (a sanitized build's is slower and may still hold a few at the end).
  CHECK(samples.back()["queue_depth"].get<int64_t>() <= (fib::kSanitizedBuild ? 10 : 2));
}

TEST_CASE("loadgen --redis-url samples queue depth, retry, dead and busy",
          "[loadgen][integration][redis]") {
  RedisServer redis;
  for (int i = 0; i < 7; ++i) redis.Cli({"LPUSH", "queue:mail", "{}"});
  redis.Cli({"ZADD", "retry", "1", "a", "2", "b"});
  redis.Cli({"ZADD", "dead", "1", "c"});
  redis.Cli({"SADD", "processes", "host:1:abc", "host:2:def"});
  redis.Cli({"HSET", "host:1:abc", "busy", "3"});
  redis.Cli({"HSET", "host:2:def", "busy", "2"});
  TrivialServer server;
  auto run = RunLoadgen({"--url", server.url(), "--rate", "50", "-c", "2", "-d", "1", "--redis-url",
                         redis.url(), "--queue", "mail"});
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  const auto& samples = run.report["redis_samples"];
  REQUIRE(samples.size() >= (fib::kSanitizedBuild ? 5 : 8));  // 10 a second, on time or late
  CHECK(samples.size() <= 12);
  for (const auto& sample : samples) {
    CHECK(sample["queue_depth"] == 7);
    CHECK(sample["retry"] == 2);
    CHECK(sample["dead"] == 1);
    CHECK(sample["busy"] == 5);
  }
  CHECK(samples[1]["t_s"].get<double>() - samples[0]["t_s"].get<double>() ==
        Approx(0.1).margin(0.03));
}

TEST_CASE("loadgen --redis-url that is unreachable exits 2 naming the flag",
          "[loadgen][integration][redis]") {
  TrivialServer server;
  auto run = RunLoadgen({"--url", server.url(), "-d", "1", "--redis-url",
                         "redis://127.0.0.1:" + std::to_string(FreePort()) + "/0"});
  CHECK(run.exit_code == 2);
  CHECK_THAT(run.output, Catch::Contains("--redis-url"));
}
