// Fault tests of the worker (issue 6), with real processes: redis-server, fibtastic-web
// --mode background, fibtastic-worker and the mail sink. Each prints its figures.
// - Worker killed: steady web load, kill -9 the worker three times and restart it: every accepted
//   request's email arrives; the restarted worker recovers its predecessor's jobs at once.
// - Graceful deploy: TERM (-t 1) to workers whose jobs are slow, new workers started: none lost.
// - Poison jobs pushed straight into Redis end in retry/dead with a clear error and do not slow
//   the normal jobs queued with them.
// Sanitizer builds (fib::kSanitizedBuild) run fewer jobs at lower rates; the figures say so.
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <thread>

#include "common/build_info.h"
#include "common/process.h"
#include "tests/support/steady_sender.h"
#include "tests/support/web_app.h"
#include "tests/support/worker_fixture.h"

using namespace fib;
using namespace fib::test;
using std::chrono::milliseconds;

namespace {

const std::vector<std::string> kQuietWorker = {"--no-log-jobs", "--recover-interval-s", "2"};

std::vector<std::string> WorkerFlags(std::vector<std::string> flags) {
  flags.insert(flags.end(), kQuietWorker.begin(), kQuietWorker.end());
  return flags;
}

// `requests` form posts at `rate_rps` over 4 connections; a cheap job: the test is about delivery.
SteadySenderOptions WebLoad(int port, int requests, double rate_rps, const char* id_prefix) {
  return {.port = port,
          .rate_rps = rate_rps,
          .connections = 4,
          .requests = requests,
          .sequence_length = 3,
          .id_prefix = id_prefix,
          .timeout_ms = 10000};
}

void PrintDelivery(const char* test, const SenderResult& sent, const Delivery& delivery,
                   double full_delivery_s) {
  std::printf(
      "%s%s: sent=%zu accepted=%zu delivered=%zu lost=%zu duplicated=%zu full delivery %.2f s "
      "after the last request\n",
      test, kSanitizedBuild ? " (sanitized build: scaled down)" : "",
      static_cast<size_t>(sent.sent), sent.accepted_ids.size(), delivery.delivered,
      delivery.missing.size(), delivery.duplicates, full_delivery_s);
}

}  // namespace

TEST_CASE("liveness tokens prove a process gone only when it is", "[fault][worker][liveness]") {
  std::string self = ProcessLivenessToken(getpid());
  REQUIRE(!self.empty());
  CHECK_FALSE(ProcessProvablyGone(self));

  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  REQUIRE(child > 0);
  std::string token = ProcessLivenessToken(child);
  REQUIRE(!token.empty());
  CHECK_FALSE(ProcessProvablyGone(token));
  std::string reused_pid = token.substr(0, token.rfind('/') + 1) + "1";  // other start time
  CHECK(ProcessProvablyGone(reused_pid));
  std::string other_machine =
      "00000000-0000-0000-0000-000000000000" + token.substr(token.find('/'));
  CHECK_FALSE(ProcessProvablyGone(other_machine));
  CHECK_FALSE(ProcessProvablyGone("not a token"));
  CHECK_FALSE(ProcessProvablyGone(""));

  kill(child, SIGKILL);
  REQUIRE(WaitFor([&] { return ProcessProvablyGone(token); }, 5000));  // a zombie is gone too
  waitpid(child, nullptr, 0);
  CHECK(ProcessProvablyGone(token));
  CHECK_FALSE(ProcessProvablyGone(other_machine));  // unsure about other machines, always
}

TEST_CASE("a stopped (alive) worker's jobs are never recovered by another worker",
          "[fault][worker][liveness]") {
  RedisServer redis;
  MailSink sink({"--delay-ms", "1500"});
  std::set<std::string> ids;
  std::vector<std::string> raws;
  for (int i = 0; i < 6; ++i) {
    JobPayload job = SequenceJob(fmt::format("s{}@example.com", i), 3, fmt::format("stop-{}", i));
    raws.push_back(EncodePayload(job));
    ids.insert(job.request_id);
  }
  auto frozen =
      StartWorker(redis, sink.smtp_url(), WorkerFlags({"-c", "3", "--max-prefetch", "0"}));
  std::string frozen_key = InProgressKey(WorkerIdentity(*frozen), "default");
  REQUIRE(Producer(redis)->PushBulk("default", raws).ok());
  REQUIRE(WaitForValue([&] { return redis.Cli({"LLEN", frozen_key}); }, "3", 10000));
  // Freeze it while the sink holds its 3 messages, not during SMTP's connect phase: curl counts
  // the frozen time, and a connect phase over its 5 s limit would fail the job into a retry.
  REQUIRE(WaitFor([&] { return sink.Stats()["connections_active"].get<int>() >= 3; }, 10000));
  std::this_thread::sleep_for(milliseconds(300));
  frozen->Signal(SIGSTOP);  // alive, silent: its heartbeat key still stands

  auto other = StartWorker(redis, sink.smtp_url(), WorkerFlags({"-c", "3"}));  // (waits for it)
  // Its start-time recovery and one periodic round (--recover-interval-s 2); the freeze stays
  // under curl's 5 s connect limit even if it had landed in a connect phase.
  std::this_thread::sleep_for(milliseconds(2500));
  CHECK(redis.Cli({"LLEN", frozen_key}) == "3");
  CHECK(CountInLog(*other, "is gone from this machine") == 0);
  frozen->Signal(SIGCONT);

  Delivery delivery = WaitForDelivery(sink, ids, 20000);
  INFO("frozen worker log:\n" << frozen->Log() << "\nother worker log:\n" << other->Log());
  CHECK(delivery.missing.empty());
  CHECK(delivery.duplicates == 0);
  CHECK(frozen->Stop(10000) == 0);
  CHECK(other->Stop(10000) == 0);
}

// This test once lost 1 of 5,000 emails: the first worker, never finding a backlog, got every
// job by blocking (BLMOVE) into an in-progress list that was never registered for recovery
// (regression test in tests/redis_batch_test.cc).
TEST_CASE("worker killed: kill -9 three times under steady web load loses no accepted email",
          "[fault][worker][kill]") {
  const int requests = kSanitizedBuild ? 1000 : 5000;
  const double rate_rps = kSanitizedBuild ? 100 : 250;
  const double run_s = requests / rate_rps;
  RedisServer redis;
  MailSink sink({"--delay-ms", "20"});  // each job is in flight ~20 ms: kills catch some
  WebApp web = WebApp::Background(redis.url());
  const std::vector<std::string> flags = WorkerFlags({"-c", "20"});
  auto worker = StartWorker(redis, sink.smtp_url(), flags);

  SteadySender sender(WebLoad(web.port(), requests, rate_rps, "kill"));
  auto start = std::chrono::steady_clock::now();
  sender.Start();
  std::vector<double> recovery_s;
  for (int kill = 1; kill <= 3; ++kill) {
    std::this_thread::sleep_until(start + milliseconds(static_cast<int>(run_s * 1000 * kill / 4)));
    std::string dead_key = InProgressKey(WorkerIdentity(*worker), "default");
    worker->Signal(SIGKILL);
    REQUIRE(worker->Wait(5000) == 128 + SIGKILL);
    auto killed_at = std::chrono::steady_clock::now();
    std::string held = redis.Cli({"LLEN", dead_key});
    worker = StartWorker(redis, sink.smtp_url(), flags);
    bool recovered = WaitFor([&] { return redis.Cli({"EXISTS", dead_key}) == "0"; }, 30000);
    recovery_s.push_back(SecondsSince(killed_at));
    std::printf("worker killed: kill %d at %.1f s held %s jobs; recovered %.2f s after the kill\n",
                kill, SecondsSince(start), held.c_str(), recovery_s.back());
    CHECK(recovered);
  }
  sender.Join();
  const SenderResult sent = sender.Result();
  auto last_request = std::chrono::steady_clock::now();
  std::printf("worker killed: %d requests sent in %.1f s (planned %.1f s at %.0f/s)\n", requests,
              SecondsSince(start), run_s, rate_rps);
  std::set<std::string> accepted = sent.AcceptedIdSet();
  Delivery delivery = WaitForDelivery(sink, accepted, 90000);
  double full_delivery_s = SecondsSince(last_request) - 1.0;  // minus WaitForDelivery's settle
  PrintDelivery("worker killed", sent, delivery, full_delivery_s);
  for (const std::string& id : delivery.missing) {
    std::printf("  missing %s: job is in %s\n", id.c_str(), LocateJob(redis, id).c_str());
  }
  if (!delivery.missing.empty()) {
    std::printf("  in-progress index: %s\n",
                redis.Cli({"HGETALL", std::string(kInProgressIndexKey)}).c_str());
  }

  INFO("web failures: " << fmt::format("{}", fmt::join(sent.failures, "; ")));
  INFO("last worker log:\n" << worker->Log());
  CHECK(sent.sent == requests);
  CHECK(sent.accepted_ids.size() >=
        static_cast<size_t>(sent.sent) * 99 / 100);  // Redis stayed up all along
  CHECK(delivery.missing.empty());
  CHECK(delivery.delivered == accepted.size());
  // Reruns per kill: at most the 20 running jobs and the 20 finished in the last ack interval.
  CHECK(delivery.duplicates <= 3 * 40);
  // The restarted worker proves its predecessor dead: no 60 s heartbeat expiry to wait for.
  for (double seconds : recovery_s) CHECK(seconds < 10.0);
  CHECK(worker->Stop(10000) == 0);
}

TEST_CASE("graceful deploy: TERM with -t 1 mid-run, new workers started, loses no email",
          "[fault][worker][deploy]") {
  const int requests = kSanitizedBuild ? 150 : 300;
  const double rate_rps = 30;
  const double run_s = requests / rate_rps;
  RedisServer redis;
  MailSink sink({"--delay-ms", "1500"});  // a slow provider: TERM catches jobs mid-send
  WebApp web = WebApp::Background(redis.url());
  const std::vector<std::string> flags = WorkerFlags({"-c", "30", "-t", "1"});
  std::vector<std::unique_ptr<Subprocess>> workers;
  for (int i = 0; i < 2; ++i) workers.push_back(StartWorker(redis, sink.smtp_url(), flags));

  SteadySender sender(WebLoad(web.port(), requests, rate_rps, "deploy"));
  auto start = std::chrono::steady_clock::now();
  sender.Start();
  int requeued = 0, put_back = 0;
  for (int deploy = 1; deploy <= 2; ++deploy) {
    std::this_thread::sleep_until(start +
                                  milliseconds(static_cast<int>(run_s * 1000 * deploy / 3)));
    std::vector<std::unique_ptr<Subprocess>> old = std::move(workers);
    workers.clear();
    for (int i = 0; i < 2; ++i) workers.push_back(StartWorker(redis, sink.smtp_url(), flags));
    for (auto& worker : old) worker->Signal(SIGTERM);
    for (auto& worker : old) {
      INFO("old worker log:\n" << worker->Log());
      CHECK(worker->Wait(10000) == 0);  // -t 1 plus the requeue, then a clean exit
      requeued += SumLogged(*worker, "requeued_at_shutdown");
      put_back += SumLogged(*worker, "prefetched_put_back");
    }
    std::printf("graceful deploy %d at %.1f s: old workers stopped, %d requeued so far\n", deploy,
                SecondsSince(start), requeued);
  }
  sender.Join();
  const SenderResult sent = sender.Result();
  auto last_request = std::chrono::steady_clock::now();
  std::set<std::string> accepted = sent.AcceptedIdSet();
  Delivery delivery = WaitForDelivery(sink, accepted, 60000);
  PrintDelivery("graceful deploy", sent, delivery, SecondsSince(last_request) - 1.0);
  std::printf("graceful deploy: requeued at shutdown=%d prefetched put back=%d\n", requeued,
              put_back);

  INFO("web failures: " << fmt::format("{}", fmt::join(sent.failures, "; ")));
  CHECK(sent.accepted_ids.size() >= static_cast<size_t>(sent.sent) * 99 / 100);
  CHECK(delivery.missing.empty());
  CHECK(requeued > 0);  // the deploys really caught jobs mid-run
  // A job requeued while the sink held its message may arrive twice; nothing else reruns.
  CHECK(delivery.duplicates <= static_cast<size_t>(requeued));
  for (auto& worker : workers) CHECK(worker->Stop(15000) == 0);
}
