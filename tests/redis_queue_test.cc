// Integration tests for RedisJobQueue against a real redis-server: Sidekiq keys, reliable fetch,
// retry/dead/requeue atomicity, scheduled jobs, orphan recovery, heartbeat and outages.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "common/redis/redis_connection.h"
#include "tests/redis_queue_fixture.h"

namespace fib {
namespace {

using namespace test;  // NOLINT: the fixture helpers read best unqualified

TEST_CASE("Push writes Sidekiq's keys; Fetch is FIFO and holds the job in progress until Ack") {
  RedisServer redis;
  RedisJobQueue producer(Options(redis));
  RedisJobQueue worker(Options(redis, "host:1:aaaaaaaaaaaa"));
  REQUIRE(producer.Push("default", Job("first")).ok());
  REQUIRE(producer.PushBulk("default", {Job("second"), Job("third")}).ok());
  CHECK(redis.Cli({"SMEMBERS", "queues"}) == "default");
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "3");
  CHECK(Arg0(redis.Cli({"LINDEX", "queue:default", "-1"})) == "first");  // oldest at the pop end

  std::string inprogress = InProgressKey("host:1:aaaaaaaaaaaa", "default");
  FetchedJob job = MustFetch(worker, {"default"});
  CHECK(job.queue == "default");
  CHECK(Arg0(job.raw) == "first");
  CHECK(redis.Cli({"LLEN", inprogress}) == "1");
  CHECK(redis.Cli({"LINDEX", inprogress, "0"}) == job.raw);
  REQUIRE(worker.Ack(job).ok());
  CHECK(redis.Cli({"LLEN", inprogress}) == "0");
  CHECK(Arg0(MustFetch(worker, {"default"}).raw) == "second");
  CHECK(Arg0(MustFetch(worker, {"default"}).raw) == "third");
  auto none = worker.Fetch({"default"}, 0);
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
}

TEST_CASE("Fetch takes queues in strict order") {
  RedisServer redis;
  RedisJobQueue queue(Options(redis, "host:1:bbbbbbbbbbbb"));
  REQUIRE(queue.Push("low", Job("low-1", "low")).ok());
  REQUIRE(queue.Push("high", Job("high-1", "high")).ok());
  REQUIRE(queue.Push("high", Job("high-2", "high")).ok());
  std::vector<std::string> order = {"high", "low"};
  FetchedJob a = MustFetch(queue, order);
  FetchedJob b = MustFetch(queue, order);
  FetchedJob c = MustFetch(queue, order);
  CHECK(Arg0(a.raw) == "high-1");
  CHECK(Arg0(b.raw) == "high-2");
  CHECK(Arg0(c.raw) == "low-1");
  CHECK(c.queue == "low");
}

TEST_CASE("A blocking Fetch waits, wakes on a push, and lower queues are not starved") {
  RedisServer redis;
  RedisJobQueue queue(Options(redis, "host:1:cccccccccccc"));
  auto start = std::chrono::steady_clock::now();
  auto empty = queue.Fetch({"default"}, 300);
  REQUIRE(empty.ok());
  CHECK_FALSE(empty->has_value());
  CHECK(Millis(std::chrono::steady_clock::now() - start) >= 250);

  std::thread pusher([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(queue.Push("default", Job("late")).ok());
  });
  start = std::chrono::steady_clock::now();
  auto woke = queue.Fetch({"default"}, 5000);
  pusher.join();
  REQUIRE(woke.ok());
  REQUIRE(woke->has_value());
  CHECK(Millis(std::chrono::steady_clock::now() - start) < 1500);

  std::thread low_pusher([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(queue.Push("low", Job("low", "low")).ok());
  });
  start = std::chrono::steady_clock::now();
  auto low = queue.Fetch({"high", "low"}, 5000);
  low_pusher.join();
  REQUIRE(low.ok());
  REQUIRE(low->has_value());
  CHECK((*low)->queue == "low");
  CHECK(Millis(std::chrono::steady_clock::now() - start) < 1500);  // ~ one 500 ms slice
}

TEST_CASE("A blocked Fetch does not hold up Push, even with a pool of one connection") {
  RedisServer redis;
  RedisQueueOptions options = Options(redis, "host:1:c0c0c0c0c0c0");
  options.pool_size = 1;
  RedisJobQueue queue(options);
  // Catch2 assertions are not thread-safe: the fetcher records, the test thread checks.
  std::atomic<bool> fetch_ok{false};
  std::thread fetcher([&] { fetch_ok = queue.Fetch({"idle"}, 3000).ok(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the fetcher is inside BLMOVE
  auto start = std::chrono::steady_clock::now();
  REQUIRE(queue.Push("default", Job("not-blocked")).ok());
  REQUIRE(queue.Push("default", Job("still-not-blocked")).ok());
  CHECK(Millis(std::chrono::steady_clock::now() - start) < 1000);
  fetcher.join();
  CHECK(fetch_ok);
}

TEST_CASE("Retry, Kill and Requeue move the job out of in-progress in one step") {
  RedisServer redis;
  RedisJobQueue queue(Options(redis, "host:1:dddddddddddd"));
  std::string inprogress = InProgressKey("host:1:dddddddddddd", "default");
  for (const char* name : {"retry-me", "kill-me", "requeue-me", "next"}) {
    REQUIRE(queue.Push("default", Job(name)).ok());
  }
  FetchedJob to_retry = MustFetch(queue, {"default"});
  FetchedJob to_kill = MustFetch(queue, {"default"});
  FetchedJob to_requeue = MustFetch(queue, {"default"});
  CHECK(redis.Cli({"LLEN", inprogress}) == "3");

  REQUIRE(queue.Retry(to_retry, "retry-updated", 1700000100.5).ok());
  CHECK(redis.Cli({"LLEN", inprogress}) == "2");
  CHECK(redis.Cli({"ZRANGE", "retry", "0", "-1", "WITHSCORES"}) == "retry-updated\n1700000100.5");

  REQUIRE(queue.Kill(to_kill, "kill-updated", 1700000200.0).ok());
  CHECK(redis.Cli({"LLEN", inprogress}) == "1");
  CHECK(redis.Cli({"ZSCORE", "dead", "kill-updated"}) == "1700000200");

  REQUIRE(queue.Requeue(to_requeue).ok());
  CHECK(redis.Cli({"LLEN", inprogress}) == "0");
  // Back at the pop end: the requeued job runs before "next".
  FetchedJob again = MustFetch(queue, {"default"});
  CHECK(Arg0(again.raw) == "requeue-me");
  REQUIRE(queue.Ack(again).ok());
  // A late Requeue of a job no longer in progress (acked, or recovered by another process)
  // must not push a duplicate.
  REQUIRE(queue.Requeue(to_requeue).ok());
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "1");  // only "next"
}

// Redis does not undo a script's earlier writes when a later command fails: each script must
// write the job's new place before removing it from the old one, or a failure loses it.
TEST_CASE("A move that fails on a wrong-typed key leaves the job where it was") {
  RedisServer redis;
  const std::string id = "host:1:eeeeeeeeeeee";
  RedisJobQueue queue(Options(redis, id));
  const std::string inprogress = InProgressKey(id, "default");
  REQUIRE(queue.PushBulk("default", {Job("a"), Job("b")}).ok());

  redis.Cli({"SET", inprogress, "not a list"});
  CHECK_FALSE(queue.FetchBatch({"default"}, 10, 0).ok());
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "2");  // not trimmed away
  redis.Cli({"DEL", inprogress});

  FetchedJob job = MustFetch(queue, {"default"});
  redis.Cli({"SET", "retry", "not a zset"});
  CHECK_FALSE(queue.Retry(job, "a-updated", 1700000100.0).ok());
  CHECK(redis.Cli({"LLEN", inprogress}) == "1");
  redis.Cli({"DEL", "retry"});

  redis.Cli({"RENAME", "queue:default", "queue:default-saved"});
  redis.Cli({"SET", "queue:default", "not a list"});
  CHECK_FALSE(queue.Requeue(job).ok());
  CHECK(redis.Cli({"LLEN", inprogress}) == "1");
  redis.Cli({"RENAME", "queue:default-saved", "queue:default"});

  redis.Cli({"ZADD", "schedule", "1", Job("due")});
  redis.Cli({"RENAME", "queue:default", "queue:default-saved"});
  redis.Cli({"SET", "queue:default", "not a list"});
  auto moved = queue.EnqueueDue(1700000000.0);  // skipped (and logged), not an error for all
  REQUIRE(moved.ok());
  CHECK(*moved == 0);
  CHECK(redis.Cli({"ZCARD", "schedule"}) == "1");
  redis.Cli({"DEL", "queue:default"});
  redis.Cli({"RENAME", "queue:default-saved", "queue:default"});

  REQUIRE(queue.Requeue(job).ok());  // with the keys repaired, every job is still there
  CHECK(redis.Cli({"LLEN", inprogress}) == "0");
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "2");
}

TEST_CASE("Kill trims the dead set to 10,000 entries and 180 days") {
  RedisServer redis;
  RedisJobQueue queue(Options(redis, "host:1:eeeeeeeeeeee"));
  const double now = 1700000000.0;
  auto connection = RedisConnection::Open(redis.url());
  REQUIRE(connection.ok());
  std::vector<std::vector<std::string>> fill;
  fill.push_back({"ZADD", "dead", std::to_string(now - 181 * 86400.0), "ancient"});
  for (int i = 0; i < 10000; ++i) {
    fill.push_back(
        {"ZADD", "dead", std::to_string(now - 1000 + i * 0.01), "old-" + std::to_string(i)});
  }
  REQUIRE((*connection)->Pipeline(fill).ok());
  CHECK(redis.Cli({"ZCARD", "dead"}) == "10001");
  REQUIRE(queue.Push("default", Job("doomed")).ok());
  REQUIRE(queue.Kill(MustFetch(queue, {"default"}), "doomed-updated", now).ok());
  CHECK(redis.Cli({"ZCARD", "dead"}) == "10000");
  CHECK(redis.Cli({"ZSCORE", "dead", "ancient"}).empty());
  CHECK(redis.Cli({"ZSCORE", "dead", "old-0"}).empty());  // the oldest went to make room
  CHECK(redis.Cli({"ZSCORE", "dead", "doomed-updated"}) == "1700000000");
}

TEST_CASE("EnqueueDue moves due jobs from retry then schedule with a fresh enqueued_at") {
  RedisServer redis;
  ManualClock clock(1700000000LL * 1000000);
  RedisJobQueue queue(Options(redis, "host:1:ffffffffffff", &clock));
  JobPayload scheduled = NewJobPayload("SequenceEmailWorker", Json::array({"s", 1}), clock, "mail");
  JobPayload retried = NewJobPayload("SequenceEmailWorker", Json::array({"r", 1}), clock);
  retried.enqueued_at = 1699999000.0;
  retried.retry_count = 0;
  REQUIRE(queue.Schedule(1700000010.0, EncodePayload(scheduled)).ok());
  REQUIRE(redis.Cli({"ZADD", "retry", "1700000005", EncodePayload(retried)}) == "1");
  REQUIRE(redis.Cli({"ZADD", "schedule", "1700000001", "{not json"}) == "1");

  auto none = queue.EnqueueDue(1700000000.5);
  REQUIRE(none.ok());
  CHECK(*none == 0);
  auto moved = queue.EnqueueDue(1700000011.25);
  REQUIRE(moved.ok());
  CHECK(*moved == 2);
  CHECK(redis.Cli({"ZCARD", "retry"}) == "0");
  CHECK(redis.Cli({"ZCARD", "schedule"}) == "0");
  CHECK(redis.Cli({"ZRANGE", "dead", "0", "-1"}) ==
        "{not json");  // undecodable: buried, not looped

  auto from_retry = DecodePayload(redis.Cli({"LINDEX", "queue:default", "0"}));
  REQUIRE(from_retry.ok());
  CHECK(from_retry->jid == retried.jid);
  CHECK(*from_retry->enqueued_at == 1700000011.25);
  CHECK(from_retry->retry_count == 0);
  auto from_schedule = DecodePayload(redis.Cli({"LINDEX", "queue:mail", "0"}));
  REQUIRE(from_schedule.ok());
  CHECK(from_schedule->jid == scheduled.jid);
  CHECK(*from_schedule->enqueued_at == 1700000011.25);
  CHECK(redis.Cli({"SISMEMBER", "queues", "mail"}) == "1");
}

TEST_CASE("A due job whose queue key has the wrong type is skipped, then buried; the rest move") {
  RedisServer redis;
  ManualClock clock(1700000000LL * 1000000);
  RedisJobQueue queue(Options(redis, "host:1:f0f0f0f0f0f0", &clock));
  JobPayload stuck = NewJobPayload("SequenceEmailWorker", Json::array({"x", 1}), clock, "broken");
  REQUIRE(redis.Cli({"SET", "queue:broken", "a string, not a list"}) == "OK");
  REQUIRE(redis.Cli({"ZADD", "retry", "1700000001", EncodePayload(stuck)}) == "1");  // first due
  for (const char* name : {"a", "b"}) {
    JobPayload ok = NewJobPayload("SequenceEmailWorker", Json::array({name, 1}), clock);
    REQUIRE(redis.Cli({"ZADD", "retry", "1700000002", EncodePayload(ok)}) == "1");
  }
  auto moved = queue.EnqueueDue(1700000010.0);
  REQUIRE(moved.ok());
  CHECK(*moved == 2);  // the bad one does not stop the others
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "2");
  CHECK(redis.Cli({"ZCARD", "retry"}) == "1");
  for (int pass = 2; pass <= 4; ++pass) REQUIRE(queue.EnqueueDue(1700000010.0).ok());
  CHECK(redis.Cli({"ZCARD", "retry"}) == "1");   // four failed passes: still waiting
  REQUIRE(queue.EnqueueDue(1700000010.0).ok());  // the fifth buries it, with the reason
  CHECK(redis.Cli({"ZCARD", "retry"}) == "0");
  auto dead = DecodePayload(redis.Cli({"ZRANGE", "dead", "0", "-1"}));
  REQUIRE(dead.ok());
  CHECK(dead->jid == stuck.jid);
  CHECK(dead->error_class == "EnqueueError");
  CHECK_THAT(*dead->error_message, Catch::Contains("WRONGTYPE") && Catch::Contains("5 times"));
}

TEST_CASE("Two EnqueueDue callers never push one job twice") {
  RedisServer redis;
  RedisJobQueue a(Options(redis, "host:1:a00000000000"));
  RedisJobQueue b(Options(redis, "host:2:b00000000000"));
  for (int i = 0; i < 300; ++i)
    REQUIRE(a.Schedule(1700000000.0 + i * 0.001, Job(std::to_string(i))).ok());
  Result<int> moved_a = 0, moved_b = 0;
  std::thread ta([&] { moved_a = a.EnqueueDue(1800000000.0); });
  std::thread tb([&] { moved_b = b.EnqueueDue(1800000000.0); });
  ta.join();
  tb.join();
  REQUIRE(moved_a.ok());
  REQUIRE(moved_b.ok());
  CHECK(*moved_a + *moved_b == 300);
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "300");
}

}  // namespace
}  // namespace fib
