// Fault test "one crash, one victim" (issue 12): a job that aborts the process running it
// (CrashWorker, enabled with --enable-crash-job) kills worker A with four other jobs in flight.
// Worker B recovers all five and runs each alone in a process of its own: the four bystanders
// finish (each taken down once, by A's crash, and never again), the crashing job kills only its
// own processes and lands in dead as PoisonPillError after --max-recoveries, and B itself never
// dies and keeps serving normal jobs.
#include <fmt/format.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "tests/support/worker_fixture.h"

using namespace fib;
using namespace fib::test;

namespace {

std::string CrashJobRaw(const std::string& jid, int delay_ms) {
  return nlohmann::json{{"class", "CrashWorker"}, {"args", {delay_ms}}, {"queue", "default"},
                        {"retry", true},          {"jid", jid},         {"created_at", 1.7e9},
                        {"enqueued_at", 1.7e9}}
      .dump();
}

// Pushes SequenceEmailWorker jobs "<prefix>-<i>" and returns their request ids.
std::set<std::string> PushEmails(RedisJobQueue& producer, const std::string& prefix, int count) {
  std::set<std::string> ids;
  for (int i = 0; i < count; ++i) {
    JobPayload job =
        SequenceJob(fmt::format("{}{}@example.com", prefix, i), 5, fmt::format("{}-{}", prefix, i));
    REQUIRE(producer.Push("default", EncodePayload(job)).ok());
    ids.insert(job.request_id);
  }
  return ids;
}

std::map<std::string, int> CopiesById(const nlohmann::json& messages) {
  std::map<std::string, int> copies;
  for (const auto& message : messages) {
    if (message["request_id"].is_string()) ++copies[message["request_id"].get<std::string>()];
  }
  return copies;
}

}  // namespace

TEST_CASE("a job that crashes its worker takes the others down once, then only itself",
          "[fault][worker][poison]") {
  RedisServer redis;
  // Each email takes 600 ms to accept, so the bystanders are mid-send when the crash comes.
  MailSink sink({"--delay-ms", "600"});
  auto producer = Producer(redis);
  const std::string crash_jid = "c0ffee00c0ffee00c0ffee00";
  std::set<std::string> bystanders = PushEmails(*producer, "bystander", 4);
  REQUIRE(producer->Push("default", CrashJobRaw(crash_jid, 150)).ok());
  const std::vector<std::string> flags = {"-c", "5", "--enable-crash-job", "--max-recoveries", "3"};

  auto a = StartWorker(redis, sink.smtp_url(), flags);
  int a_exit = a->Wait(20000);
  INFO(a->Log());
  REQUIRE(a_exit == 128 + SIGABRT);  // the crash job took worker A and its four neighbours down
  CHECK(sink.Messages().size() <= bystanders.size());

  auto b = StartWorker(redis, sink.smtp_url(), flags);
  Delivery delivered = WaitForDelivery(sink, bystanders, 30000);
  INFO(b->Log());
  CHECK(delivered.delivered == bystanders.size());
  // The dead set gets the crash job after its 4th death: A, then three isolated processes.
  REQUIRE(WaitForValue([&] { return redis.Cli({"ZCARD", "dead"}); }, "1", 30000));
  nlohmann::json dead = nlohmann::json::parse(redis.Cli({"--raw", "ZRANGE", "dead", "0", "-1"}));
  CHECK(dead["jid"] == crash_jid);
  CHECK(dead["error_class"] == "PoisonPillError");
  CHECK_THAT(dead["error_message"].get<std::string>(),
             Catch::Contains("died 4 times") && Catch::Contains("signal 6"));
  CHECK(CountInLog(*b, "recovered job crashed") == 3);
  REQUIRE(b->running());  // B never died

  // Each bystander ran at most twice: once in A (killed mid-send), once alone in B.
  for (const auto& [id, copies] : CopiesById(sink.Messages())) {
    INFO(id);
    CHECK(copies <= 2);
  }
  // B goes on with ordinary work, through its normal processors.
  std::set<std::string> later = PushEmails(*producer, "later", 10);
  CHECK(WaitForDelivery(sink, later, 30000, 0).delivered == later.size());
  CHECK(redis.Cli({"LLEN", "fibtastic:recovered:default"}) == "0");
  CHECK(InProgressJobs(redis) == 0);
  CHECK(b->Stop(30000) == 0);
}
