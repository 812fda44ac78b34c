// fibtastic-worker against a real redis-server: a job that a fetch moved into the worker's OWN
// in-progress list while the reply was lost (Redis died or dropped the connection after running
// the fetch) must still be run by that live worker once Redis answers again, not wait there
// until the worker exits. The lost reply is staged: the job is put into the worker's list by
// hand, then Redis is restarted (AOF keeps the list) so the worker's fetch fails. Likewise a job
// whose outcome could not be written (its retry was refused) runs again in the live worker.
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "tests/support/ports.h"
#include "tests/support/worker_fixture.h"
#include "workers/queue/redis_job_queue.h"

using namespace fib;
using namespace fib::test;

namespace {

// Waits for the (only) worker's heartbeat and returns its identity.
std::string RegisteredIdentity(const RedisServer& redis) {
  std::string identity;
  REQUIRE(WaitForValue(
      [&] {
        identity = redis.Cli({"SRANDMEMBER", "processes"});
        return std::string(identity.empty() ? "" : "registered");
      },
      "registered", 10000));
  return identity;
}

}  // namespace

TEST_CASE("a job left in the live worker's own in-progress list by a lost fetch reply is run",
          "[worker][redis][fetch-recovery]") {
  RedisServer redis(/*append_only=*/true, {"--appendfsync", "always"});
  MailSink sink;
  auto worker = StartWorker(redis, sink.smtp_url(), {"-c", "2"});
  const std::string identity = RegisteredIdentity(redis);
  const std::string list = InProgressKey(identity, "default");
  std::string raw = EncodePayload(SequenceJob("lost@example.com", 5, "req-lost-reply"));
  REQUIRE(redis.Cli({"LPUSH", list, raw}) == "1");

  // A live worker's list is never recovered as an orphan: with no failed fetch it just sits.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  REQUIRE(sink.Messages().empty());
  REQUIRE(redis.Cli({"LLEN", list}) == "1");

  // Down long enough for the worker's fetch to fail (connection refused), then back.
  redis.Stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  redis.Start();
  REQUIRE(redis.Cli({"LLEN", list}) == "1");
  nlohmann::json messages = sink.WaitForMessages(1, 15000);
  INFO("worker log:\n" << worker->Log());
  REQUIRE(messages.size() == 1);
  CHECK(messages[0]["request_id"] == "req-lost-reply");
  CHECK(WaitForValue([&] { return redis.Cli({"LLEN", list}); }, "0", 5000));
  CHECK(CountInLog(*worker, "fetch failed") > 0);
  CHECK(CountInLog(*worker, "1 job(s) left in our in-progress list by a failed fetch") == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(sink.Messages().size() == 1);  // sent once
  CHECK(worker->Stop(10000) == 0);
}

TEST_CASE("a job whose retry could not be written runs again while the worker keeps running",
          "[worker][redis][fetch-recovery]") {
  RedisServer redis;
  // Nothing listens on this port: every send fails, so the job goes to retry.
  std::string closed_smtp = "smtp://127.0.0.1:" + std::to_string(FreePort());
  auto worker = StartWorker(redis, closed_smtp, {"-c", "1"});
  const std::string identity = RegisteredIdentity(redis);
  const std::string list = InProgressKey(identity, "default");
  // Every key but `retry` stays writable (ACL glob patterns cannot negate a whole name): the
  // Retry script is refused before it runs, so the job stays in our list, while fetches and
  // heartbeats go on. As a pool connection that keeps failing would.
  REQUIRE(redis.Cli({"ACL", "SETUSER", "default", "resetkeys", "~[^r]*", "~r[^e]*", "~re[^t]*",
                     "~ret[^r]*", "~retr[^y]*", "~retry?*"}) == "OK");
  REQUIRE(Producer(redis)
              ->Push("default", EncodePayload(SequenceJob("x@example.com", 5, "req-r")))
              .ok());
  INFO("worker log:\n" << worker->Log());
  REQUIRE(WaitForLog(*worker, "cannot record the result of jid=", 15000));
  REQUIRE(redis.Cli({"ACL", "SETUSER", "default", "allkeys"}) == "OK");
  // Without a reconcile the job would sit in the list until the worker stops.
  CHECK(WaitForValue([&] { return redis.Cli({"ZCARD", "retry"}); }, "1", 15000));
  CHECK(redis.Cli({"LLEN", list}) == "0");
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "0");
  CHECK(CountInLog(*worker, "by a result or put-back that could not be written back on") >= 1);
  CHECK(worker->running());
  CHECK(worker->Stop(10000) == 0);
}
