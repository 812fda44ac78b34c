// Fault tests (issue 6): the mail provider fails. The sink answers 30% of messages with
// "451 4.3.0" and holds each one for a while (a slow provider); fibtastic-worker retries with
// Sidekiq's backoff shortened by --retry-delay-scale, and every email still arrives. A job
// with retry: 0 that fails lands in the dead set carrying the SMTP error; retry: false is
// dropped, as Sidekiq does.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <thread>

#include "common/build_info.h"
#include "tests/support/redis_server.h"
#include "tests/support/worker_fixture.h"
#include "workers/queue/job_payload.h"

namespace fib::test {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

int64_t CliInt(const RedisServer& redis, const std::vector<std::string>& args) {
  std::string text = redis.Cli(args);
  return text.empty() ? 0 : std::stoll(text);
}

TEST_CASE("mail provider failing 30% with 451 and slow: every email arrives through retries",
          "[fault][mail]") {
  const int jobs = kSanitizedBuild ? 100 : 300;
  const double drain_timeout_s = kSanitizedBuild ? 180 : 90;
  MailSink sink({"--fail-rate", "0.3", "--delay-ms", "60", "--seed", "42"});
  RedisServer redis;
  std::vector<std::string> raws;
  std::set<std::string> ids;
  for (int i = 0; i < jobs; ++i) {
    std::string id = "mail-" + std::to_string(i);
    raws.push_back(EncodePayload(SequenceJob(id + "@example.com", 5, id)));
    ids.insert(id);
  }
  REQUIRE(Producer(redis)->PushBulk("default", raws).ok());

  auto start = std::chrono::steady_clock::now();
  auto worker = StartWorker(redis, sink.smtp_url(),
                            {"-c", "10", "--retry-delay-scale", "0.01", "--no-log-jobs"});
  Delivery delivery = CountDelivery(sink.Messages(), ids);
  int64_t most_waiting_retries = 0;
  while (!delivery.missing.empty() && SecondsSince(start) < drain_timeout_s) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    most_waiting_retries = std::max(most_waiting_retries, CliInt(redis, {"ZCARD", "retry"}));
    delivery = CountDelivery(sink.Messages(), ids);
  }
  double drain_s = SecondsSince(start);
  CHECK(worker->Stop(15000) == 0);  // its last heartbeat flushes stat:processed / stat:failed

  nlohmann::json stats = sink.Stats();
  int64_t failed_451 = stats["failed_451"], received = stats["received"];
  int64_t stat_failed = CliInt(redis, {"GET", "stat:failed"});
  int64_t stat_processed = CliInt(redis, {"GET", "stat:processed"});
  int retry_lines = CountInLog(*worker, " retry in ");
  std::printf(
      "[fault mail] build=%s%s jobs=%d fail-rate=0.3 delay=60ms -c 10 retry-delay-scale=0.01\n"
      "  delivered=%zu lost=%zu duplicates=%zu | attempts=%lld (stored %lld + 451 %lld) "
      "retries_logged=%d stat:failed=%lld stat:processed=%lld most_in_retry_set=%lld | "
      "drain=%.1fs\n",
      BuildType().c_str(), kSanitizedBuild ? " (sanitized: scaled down)" : "", jobs,
      delivery.delivered, delivery.missing.size(), delivery.duplicates,
      static_cast<long long>(received) + failed_451, static_cast<long long>(received),
      static_cast<long long>(failed_451), retry_lines, static_cast<long long>(stat_failed),
      static_cast<long long>(stat_processed), static_cast<long long>(most_waiting_retries),
      drain_s);
  std::fflush(stdout);

  INFO("worker log:\n" << worker->Log());
  CHECK(delivery.missing.empty());
  CHECK(delivery.delivered == static_cast<size_t>(jobs));
  CHECK(received == jobs + static_cast<int64_t>(delivery.duplicates));
  CHECK(failed_451 > jobs / 10);  // the provider really failed (about 30% of attempts)
  // Every 451 was seen by the worker as a failed attempt and scheduled for a retry.
  CHECK(stat_failed == failed_451);
  CHECK(retry_lines == failed_451);
  CHECK(stat_processed == received + failed_451);
  CHECK(redis.Cli({"ZCARD", "retry"}) == "0");
  CHECK(redis.Cli({"ZCARD", "dead"}) == "0");
}

TEST_CASE(
    "mail provider failing: retry: 0 goes to the dead set with the SMTP 451 error; "
    "retry: false is dropped",
    "[fault][mail]") {
  MailSink sink({"--fail-rate", "1"});
  RedisServer redis;
  JobPayload no_retries = SequenceJob("dead@example.com", 5, "dead-0");
  no_retries.retry = 0;
  JobPayload no_retry_at_all = SequenceJob("drop@example.com", 5, "drop-0");
  no_retry_at_all.retry = false;
  REQUIRE(Producer(redis)
              ->PushBulk("default", {EncodePayload(no_retries), EncodePayload(no_retry_at_all)})
              .ok());
  auto worker = StartWorker(redis, sink.smtp_url(), {"-c", "2", "--retry-delay-scale", "0.01"});
  bool settled = WaitFor(
      [&] {
        return redis.Cli({"ZCARD", "dead"}) == "1" && sink.Stats()["failed_451"] == 2;
      },
      20000);
  // Give a wrong retry a chance to show up (poll interval 0.2 s, backoff >= 0.15 s).
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  INFO("worker log:\n" << worker->Log());
  REQUIRE(settled);

  nlohmann::json dead = nlohmann::json::parse(redis.Cli({"ZRANGE", "dead", "0", "-1"}));
  std::string error = dead.value("error_message", "");
  std::printf("[fault mail dead] retry:0 -> dead set: error_class=%s error_message=%s\n",
              dead.value("error_class", "").c_str(), error.c_str());
  std::fflush(stdout);
  CHECK(dead["jid"] == no_retries.jid);
  CHECK(dead["retry"] == 0);
  CHECK(dead["retry_count"] == 0);
  CHECK(dead["failed_at"].is_number());
  CHECK(error.find("451") != std::string::npos);
  CHECK(error.find("Temporary failure") != std::string::npos);  // the provider's own words
  CHECK(redis.Cli({"ZCARD", "retry"}) == "0");
  CHECK(sink.Stats()["failed_451"] == 2);  // one attempt each: neither was retried
  CHECK(sink.Messages().empty());
  CHECK(CountInLog(*worker, "retry: false, so Sidekiq drops it") == 1);
}

}  // namespace
}  // namespace fib::test
