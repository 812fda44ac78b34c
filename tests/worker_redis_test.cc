// fibtastic-worker against a real redis-server and the real mail sink: jobs become emails with the
// right numbers and ids, failures land in retry/dead with Sidekiq's fields, poison payloads never
// stop the worker, and TERM requeues what could not finish.
#include <fmt/format.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "tests/support/ports.h"
#include "tests/support/worker_fixture.h"
#include "workers/jobs/fib_sequence.h"

using namespace fib;
using namespace fib::test;

namespace {

// Returns the entries of a sorted set, as redis-cli prints them (one per line).
std::vector<nlohmann::json> SortedSet(const RedisServer& redis, const std::string& key) {
  std::vector<nlohmann::json> entries;
  // One entry per line (our entries hold no newlines).
  std::string text = redis.Cli({"--raw", "ZRANGE", key, "0", "-1"});
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string line =
        text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty()) {
      nlohmann::json entry = nlohmann::json::parse(line, nullptr, false);
      entries.push_back(entry.is_discarded() ? nlohmann::json(line) : entry);
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return entries;
}

}  // namespace

TEST_CASE("jobs pushed to Redis are sent as emails with the numbers and ids", "[worker][redis]") {
  RedisServer redis;
  MailSink sink;
  auto worker = StartWorker(redis, sink.smtp_url(), {"-c", "4"});
  auto producer = Producer(redis);
  std::map<std::string, JobPayload> pushed;  // by request id
  for (int i = 1; i <= 8; ++i) {
    JobPayload job =
        SequenceJob(fmt::format("user{}@example.com", i), i + 2, fmt::format("req-{}", i));
    REQUIRE(producer->Push("default", EncodePayload(job)).ok());
    pushed[job.request_id] = job;
  }
  nlohmann::json messages = sink.WaitForMessages(8, 30000);
  REQUIRE(messages.size() == 8);
  for (const auto& summary : messages) {
    const JobPayload& job = pushed.at(summary["request_id"].get<std::string>());
    CHECK(summary["job_id"] == job.jid);
    CHECK(summary["subject"] == "Your Fib Sequence!");
    CHECK(summary["to"].dump().find(job.args[0].get<std::string>()) != std::string::npos);
    nlohmann::json full = sink.Message(summary["id"].get<int64_t>());
    std::string numbers = fmt::format("{}</p>", fmt::join(Sequence(job.args[1].get<int>()), ", "));
    CHECK(full["body"].get<std::string>().find("<p>" + numbers) != std::string::npos);
  }
  // The heartbeat (every 1 s here) publishes the counters Sidekiq's UI shows.
  CHECK(WaitForValue([&] { return redis.Cli({"GET", "stat:processed"}); }, "8", 5000));
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "0");
  CHECK(CountInLog(*worker, "SequenceEmailWorker jid=") == 8);
  CHECK(worker->Stop(10000) == 0);
  CHECK(redis.Cli({"SCARD", "processes"}) == "0");  // unregistered on a clean exit
}

TEST_CASE("a failing job is retried by the poller, then lands in the dead set", "[worker][redis]") {
  RedisServer redis;
  // Nothing listens on this port: every send fails with an SMTP error.
  std::string closed_smtp = "smtp://127.0.0.1:" + std::to_string(FreePort());
  auto worker = StartWorker(redis, closed_smtp, {"--retry-delay-scale", "0.01"});
  JobPayload job = SequenceJob("retry@example.com", 5, "req-retry");
  job.retry = 2;
  REQUIRE(Producer(redis)->Push("default", EncodePayload(job)).ok());
  // Failure 1 (count 0) and 2 (count 1) are retried after (count^4 + 15 + rand*(count+1)) * 0.01 s;
  // failure 3 (count 2; 2 < 2 is false) goes to the dead set.
  REQUIRE(WaitForValue([&] { return redis.Cli({"ZCARD", "dead"}); }, "1", 20000));
  auto dead = SortedSet(redis, "dead");
  REQUIRE(dead.size() == 1);
  CHECK(dead[0]["jid"] == job.jid);
  CHECK(dead[0]["retry_count"] == 2);
  CHECK(dead[0]["error_class"] == "SmtpError");
  CHECK(dead[0]["failed_at"].is_number_float());
  CHECK(dead[0]["retried_at"].is_number_float());
  CHECK(dead[0]["request_id"] == "req-retry");
  CHECK(redis.Cli({"ZCARD", "retry"}) == "0");
  CHECK(WaitForValue([&] { return redis.Cli({"GET", "stat:failed"}); }, "3", 5000));
  CHECK(CountInLog(*worker, " retry in ") == 2);
  CHECK(CountInLog(*worker, "retries exhausted") == 1);
}

TEST_CASE("poison payloads end in dead or retry, and a normal job still completes",
          "[worker][redis][poison]") {
  RedisServer redis;
  MailSink sink;
  auto worker = StartWorker(redis, sink.smtp_url(), {"-c", "2"});
  auto job = [](const std::string& cls, nlohmann::json args, const std::string& jid) {
    return nlohmann::json{{"class", cls},
                          {"args", args},
                          {"queue", "default"},
                          {"retry", true},
                          {"jid", jid},
                          {"created_at", 1700000000.5},
                          {"enqueued_at", 1700000000.5}}
        .dump();
  };
  std::string huge_email(100000, 'x');
  std::vector<std::string> poison = {
      "this is {not json",
      R"({"args":[1],"jid":"aaaaaaaaaaaaaaaaaaaaaaa0","queue":"default"})",
      job("NoSuchWorker", {1, 2}, "aaaaaaaaaaaaaaaaaaaaaaa1"),
      job("SequenceEmailWorker", {"a@example.com"}, "aaaaaaaaaaaaaaaaaaaaaaa2"),
      job("SequenceEmailWorker", {huge_email + "@example.com", 5}, "aaaaaaaaaaaaaaaaaaaaaaa3"),
  };
  for (const std::string& raw : poison) {
    REQUIRE(redis.Cli({"LPUSH", "queue:default", raw}) != "");
  }
  // Small enough for any size limit, deep enough to overflow a stack in a recursive JSON copy.
  std::string deep = R"({"class":"SequenceEmailWorker","jid":"aaaaaaaaaaaaaaaaaaaaaaa4","args":)" +
                     std::string(200000, '[') + std::string(200000, ']') + "}";
  REQUIRE(Producer(redis)->Push("default", deep).ok());
  REQUIRE(Producer(redis)
              ->Push("default", EncodePayload(SequenceJob("ok@example.com", 7, "fine")))
              .ok());
  REQUIRE(sink.WaitForMessages(1, 20000).size() == 1);
  REQUIRE(WaitForValue([&] { return redis.Cli({"ZCARD", "retry"}); }, "3", 10000));
  REQUIRE(WaitForValue([&] { return redis.Cli({"ZCARD", "dead"}); }, "3", 10000));

  std::map<std::string, nlohmann::json> retries;
  for (auto& entry : SortedSet(redis, "retry")) retries[entry["jid"]] = entry;
  CHECK(retries["aaaaaaaaaaaaaaaaaaaaaaa1"]["error_class"] == "UnknownJobClassError");
  CHECK(retries["aaaaaaaaaaaaaaaaaaaaaaa1"]["error_message"].get<std::string>().find(
            "NoSuchWorker") != std::string::npos);
  CHECK(retries["aaaaaaaaaaaaaaaaaaaaaaa2"]["error_class"] == "ArgumentError");
  CHECK(retries["aaaaaaaaaaaaaaaaaaaaaaa2"]["error_message"].get<std::string>().find(
            "wrong number of arguments") != std::string::npos);
  CHECK(retries["aaaaaaaaaaaaaaaaaaaaaaa3"]["error_class"] == "ArgumentError");
  CHECK(retries["aaaaaaaaaaaaaaaaaaaaaaa3"]["args"][0].get<std::string>().size() == 100012);
  for (auto& [jid, entry] : retries) CHECK(entry["retry_count"] == 0);

  auto dead = SortedSet(redis, "dead");
  REQUIRE(dead.size() == 3);
  bool raw_kept = false, object_marked = false, deep_stubbed = false;
  for (const auto& entry : dead) {
    if (entry.is_string()) raw_kept = entry == "this is {not json";
    if (entry.is_object()) {
      object_marked = object_marked || (entry["error_class"] == "InvalidPayloadError" &&
                                        entry["jid"] == "aaaaaaaaaaaaaaaaaaaaaaa0");
      deep_stubbed = deep_stubbed || (entry["jid"] == "aaaaaaaaaaaaaaaaaaaaaaa4" &&
                                      entry["original_bytes"] == deep.size() &&
                                      entry["args"] == nlohmann::json::array());
    }
  }
  CHECK(raw_kept);
  CHECK(object_marked);
  CHECK(deep_stubbed);
  CHECK(worker->running());
  CHECK(WaitForValue([&] { return redis.Cli({"GET", "stat:failed"}); }, "6", 5000));
  CHECK(WaitForValue([&] { return redis.Cli({"GET", "stat:processed"}); }, "7", 5000));
}

TEST_CASE("TERM with -t 1 requeues running jobs; a later worker completes them",
          "[worker][redis][shutdown]") {
  RedisServer redis;
  MailSink slow_sink({"--delay-ms", "4000"});
  auto worker = StartWorker(redis, slow_sink.smtp_url(), {"-c", "2", "-t", "1"});
  auto producer = Producer(redis);
  std::set<std::string> ids;
  for (int i = 0; i < 4; ++i) {
    JobPayload job = SequenceJob("term@example.com", 5, fmt::format("term-{}", i));
    REQUIRE(producer->Push("default", EncodePayload(job)).ok());
    ids.insert(job.request_id);
  }
  // Two jobs are now inside a 4 s SMTP send; the other two wait in the queue.
  REQUIRE(WaitForValue([&] { return redis.Cli({"LLEN", "queue:default"}); }, "2", 10000));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto stop_started = std::chrono::steady_clock::now();
  worker->Signal(SIGTERM);
  int code = worker->Wait(10000);
  auto took = std::chrono::steady_clock::now() - stop_started;
  CHECK(code == 0);
  CHECK(took < std::chrono::seconds(4));  // bounded by -t, not by the stuck sends
  CHECK(CountInLog(*worker, "requeued an unfinished job") == 2);
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "4");
  CHECK(redis.Cli({"KEYS", "fibtastic:inprogress:*"}) == "");  // nothing left in flight
  CHECK(redis.Cli({"SCARD", "processes"}) == "0");

  auto second = StartWorker(redis, slow_sink.smtp_url(), {"-c", "4"});
  // (The two sends abandoned at -t may still be stored by the sink: copies, not deliveries.)
  Delivery delivery = WaitForDelivery(slow_sink, ids, 30000, 0);
  CHECK(delivery.delivered == 4);
  CHECK(delivery.missing.empty());
  CHECK(second->Stop(10000) == 0);
}

TEST_CASE("SIGTSTP makes the worker quiet; SIGINT then stops it cleanly",
          "[worker][redis][signals]") {
  RedisServer redis;
  MailSink sink;
  auto worker = StartWorker(redis, sink.smtp_url());
  std::string identity = redis.Cli({"SMEMBERS", "processes"});
  worker->Signal(SIGTSTP);
  REQUIRE(WaitForLog(*worker, "quiet: fetching no new jobs", 5000));
  REQUIRE(WaitForValue([&] { return redis.Cli({"HGET", identity, "quiet"}); }, "true", 5000));
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // fetches in flight end
  REQUIRE(
      Producer(redis)->Push("default", EncodePayload(SequenceJob("q@example.com", 3, "q"))).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "1");
  CHECK(sink.Messages().empty());
  worker->Signal(SIGINT);
  CHECK(worker->Wait(10000) == 0);
  CHECK(redis.Cli({"SCARD", "processes"}) == "0");
  CHECK(redis.Cli({"EXISTS", identity + ":workers"}) == "0");
}

// Prefetched jobs have not started, so TERM puts them back at once instead of holding them for
// the -t timeout; jobs already running finish. A generous --prefetch-budget-ms makes these 2 s
// jobs count as fast, so the worker prefetches them.
TEST_CASE("TERM puts prefetched jobs back at once while running jobs finish",
          "[worker][redis][shutdown][batch]") {
  RedisServer redis;
  MailSink slow_sink({"--delay-ms", "2000"});
  auto worker =
      StartWorker(redis, slow_sink.smtp_url(),
                  {"-c", "2", "-t", "10", "--max-prefetch", "6", "--prefetch-budget-ms", "100000"});
  auto producer = Producer(redis);
  // Two jobs first, so the worker knows how long its jobs take (nothing is prefetched before).
  for (int i = 0; i < 2; ++i) {
    REQUIRE(producer->Push("default", EncodePayload(SequenceJob("w@example.com", 3, "warm"))).ok());
  }
  REQUIRE(slow_sink.WaitForMessages(2, 20000).size() == 2);
  std::set<std::string> ids;
  std::vector<std::string> raws;
  for (int i = 0; i < 12; ++i) {
    JobPayload job = SequenceJob("t@example.com", 3, fmt::format("pf-{}", i));
    raws.push_back(EncodePayload(job));
    ids.insert(job.request_id);
  }
  REQUIRE(producer->PushBulk("default", raws).ok());
  REQUIRE(WaitFor([&] { return InProgressJobs(redis) == 2 + 6; }, 5000));
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "4");

  auto term = std::chrono::steady_clock::now();
  worker->Signal(SIGTERM);
  // Back within a second: the two running sends still have well over a second to go.
  CHECK(WaitForValue([&] { return redis.Cli({"LLEN", "queue:default"}); }, "10", 1000));
  CHECK(std::chrono::steady_clock::now() - term < std::chrono::milliseconds(1500));
  CHECK(InProgressJobs(redis) == 2);
  CHECK(worker->Wait(15000) == 0);
  CHECK(CountInLog(*worker, "put 6 prefetched jobs that had not started back") == 1);
  CHECK(CountInLog(*worker, "requeued an unfinished job") == 0);  // the running two finished
  CHECK(InProgressJobs(redis) == 0);
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "10");

  auto second = StartWorker(redis, slow_sink.smtp_url(), {"-c", "10"});
  nlohmann::json messages = slow_sink.WaitForMessages(2 + 12, 30000);
  Delivery delivery = CountDelivery(messages, ids);
  CHECK(delivery.missing.empty());
  CHECK(delivery.delivered == 12);
  CHECK(delivery.duplicates == 0);
  CHECK(second->Stop(10000) == 0);
}

TEST_CASE("--heartbeat-interval-s over 20 s is refused with exit code 2 and the reason",
          "[worker][flags]") {
  // Only stdout is redirected away: the message must arrive on stderr.
  std::string out;
  CHECK(RunCommand({"/bin/sh", "-c",
                    BinPath("fibtastic-worker") + " --heartbeat-interval-s 30 >/dev/null"},
                   &out, 10000) == 2);
  CHECK_THAT(out, Catch::Contains("--heartbeat-interval-s must be at most 20 s (got 30)"));
  CHECK_THAT(out, Catch::Contains("expires 60 s after a beat"));
  CHECK(RunCommand({"/bin/sh", "-c",
                    BinPath("fibtastic-worker") + " --heartbeat-interval-s 59 2>/dev/null"},
                   &out, 10000) == 2);
  CHECK(out.empty());
  CHECK(RunCommand({BinPath("fibtastic-worker"), "--help"}, &out, 10000) == 0);
  CHECK_THAT(out, Catch::Contains("at most 20"));
}

TEST_CASE("the worker warns when Redis may evict keys (maxmemory-policy not noeviction)",
          "[worker][redis][config]") {
  RedisServer redis;
  MailSink sink;
  const std::string warning = "WARNING: Redis maxmemory-policy is allkeys-lru, not noeviction";
  {
    // The default policy (noeviction): no warning. The check runs before the first heartbeat.
    auto worker = StartWorker(redis, sink.smtp_url(), {"-c", "1"});
    REQUIRE(WaitForValue([&] { return redis.Cli({"SCARD", "processes"}); }, "1", 10000));
    CHECK(CountInLog(*worker, "maxmemory-policy") == 0);
    CHECK(worker->Stop(10000) == 0);
  }
  REQUIRE(redis.Cli({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}) == "OK");
  auto worker = StartWorker(redis, sink.smtp_url(), {"-c", "1"});
  INFO("worker log:\n" << worker->Log());
  CHECK(WaitForLog(*worker, warning, 10000));
  CHECK(WaitForValue([&] { return redis.Cli({"SCARD", "processes"}); }, "1", 10000));
  CHECK(worker->running());  // a warning, not a refusal
  CHECK(worker->Stop(10000) == 0);
}

TEST_CASE("with CONFIG renamed away the eviction check reads INFO, and never stops the worker",
          "[worker][redis][config]") {
  // As on managed Redis services that rename or disable CONFIG.
  RedisServer redis(/*append_only=*/false,
                    {"--rename-command", "CONFIG", "", "--maxmemory-policy", "volatile-ttl"});
  MailSink sink;
  auto worker = StartWorker(redis, sink.smtp_url(), {"-c", "1"});
  INFO("worker log:\n" << worker->Log());
  CHECK(WaitForLog(*worker, "WARNING: Redis maxmemory-policy is volatile-ttl", 10000));
  CHECK(WaitForValue([&] { return redis.Cli({"SCARD", "processes"}); }, "1", 10000));
  CHECK(worker->Stop(10000) == 0);
}
