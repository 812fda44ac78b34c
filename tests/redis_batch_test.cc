// Integration tests for RedisJobQueue's batch paths against a real redis-server: FetchBatch moves
// jobs exactly as that many Fetches would (order, one queue per batch, in-progress contents),
// atomically under concurrent consumers; AckBatch removes exactly the acked jobs; batch-fetched
// jobs of a dead process are recovered.
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <thread>

#include "tests/redis_queue_fixture.h"

namespace fib {
namespace {

using namespace test;  // NOLINT: the fixture helpers read best unqualified

FetchedBatch MustFetchBatch(RedisJobQueue& queue, const std::vector<std::string>& queues,
                            int max_jobs) {
  auto batch = queue.FetchBatch(queues, max_jobs, 0);
  REQUIRE(batch.ok());
  return *batch;
}

std::vector<std::string> Names(const std::vector<FetchedJob>& jobs) {
  std::vector<std::string> names;
  for (const FetchedJob& job : jobs) names.push_back(Arg0(job.raw));
  return names;
}

TEST_CASE("FetchBatch takes the oldest jobs of the first non-empty queue, oldest first") {
  RedisServer redis;
  const std::string id = "host:1:ba0000000001";
  RedisJobQueue queue(Options(redis, id));
  for (const char* name : {"a", "b", "c", "d", "e"}) REQUIRE(queue.Push("default", Job(name)).ok());
  REQUIRE(queue.Push("low", Job("x", "low")).ok());
  std::vector<std::string> order = {"high", "default", "low"};

  FetchedBatch first = MustFetchBatch(queue, order, 3);
  CHECK(Names(first.jobs) == std::vector<std::string>{"a", "b", "c"});
  for (const FetchedJob& job : first.jobs) CHECK(job.queue == "default");
  CHECK(first.left == 2);
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "2");
  CHECK(redis.Cli({"LLEN", InProgressKey(id, "default")}) == "3");

  // A batch never mixes queues: room for 10, but only default's two come.
  FetchedBatch second = MustFetchBatch(queue, order, 10);
  CHECK(Names(second.jobs) == std::vector<std::string>{"d", "e"});
  CHECK(second.left == 0);
  CHECK(redis.Cli({"EXISTS", "queue:default"}) == "0");

  FetchedBatch third = MustFetchBatch(queue, order, 10);
  REQUIRE(third.jobs.size() == 1);
  CHECK(third.jobs[0].queue == "low");
  CHECK(Names(third.jobs) == std::vector<std::string>{"x"});

  // The in-progress lists are registered for recovery, and a placeholder heartbeat exists.
  CHECK(redis.Cli({"HEXISTS", kInProgressIndexKey, InProgressKey(id, "default")}) == "1");
  CHECK(redis.Cli({"HEXISTS", kInProgressIndexKey, InProgressKey(id, "low")}) == "1");
  CHECK(redis.Cli({"HEXISTS", kInProgressIndexKey, InProgressKey(id, "high")}) == "0");
  CHECK(std::stoi(redis.Cli({"TTL", id})) > 0);
  // All empty: the caller would block on "high" next, so its list is registered first.
  CHECK(MustFetchBatch(queue, order, 10).jobs.empty());
  CHECK(redis.Cli({"HEXISTS", kInProgressIndexKey, InProgressKey(id, "high")}) == "1");
}

TEST_CASE("FetchBatch leaves the in-progress list exactly as the same number of Fetches") {
  RedisServer redis;
  const std::string one_by_one = "host:1:ba0000000002", batched = "host:2:ba0000000003";
  RedisJobQueue single(Options(redis, one_by_one));
  RedisJobQueue batch(Options(redis, batched));
  std::vector<std::string> raws;
  for (int i = 0; i < 14; ++i) raws.push_back(Job("job-" + std::to_string(i)));
  REQUIRE(single.PushBulk("default", raws).ok());
  REQUIRE(single.PushBulk("other", raws).ok());
  std::vector<std::string> fetched_singly;
  for (int i = 0; i < 6; ++i) fetched_singly.push_back(MustFetch(single, {"default"}).raw);
  for (int i = 0; i < 4; ++i) fetched_singly.push_back(MustFetch(single, {"default"}).raw);
  std::vector<std::string> fetched_batched;
  for (int size : {6, 4}) {
    for (const FetchedJob& job : MustFetchBatch(batch, {"other"}, size).jobs) {
      fetched_batched.push_back(job.raw);
    }
  }
  CHECK(fetched_batched == fetched_singly);
  CHECK(redis.Cli({"LRANGE", InProgressKey(batched, "other"), "0", "-1"}) ==
        redis.Cli({"LRANGE", InProgressKey(one_by_one, "default"), "0", "-1"}));
  CHECK(redis.Cli({"LRANGE", "queue:other", "0", "-1"}) ==
        redis.Cli({"LRANGE", "queue:default", "0", "-1"}));
}

TEST_CASE("AckBatch removes exactly the acked jobs, across queues, one copy each") {
  RedisServer redis;
  const std::string id = "host:1:ba0000000004";
  RedisJobQueue queue(Options(redis, id));
  std::string twin = Job("twin");
  REQUIRE(queue.PushBulk("default", {Job("a"), Job("b"), twin, twin, Job("c")}).ok());
  REQUIRE(queue.Push("mail", Job("m", "mail")).ok());
  std::vector<FetchedJob> jobs = MustFetchBatch(queue, {"default"}, 10).jobs;
  REQUIRE(jobs.size() == 5);
  FetchedJob mail = MustFetchBatch(queue, {"mail"}, 10).jobs.at(0);

  // a, one copy of the twin, and the mail job; plus a job this process never fetched.
  REQUIRE(queue.AckBatch({jobs[0], jobs[2], mail, FetchedJob{"default", Job("stranger")}}).ok());
  std::string left = redis.Cli({"LRANGE", InProgressKey(id, "default"), "0", "-1"});
  CHECK(left.find("\"a\"") == std::string::npos);
  CHECK(left.find("\"b\"") != std::string::npos);
  CHECK(left.find("\"c\"") != std::string::npos);
  CHECK(redis.Cli({"LLEN", InProgressKey(id, "default")}) == "3");  // b, twin, c
  CHECK(redis.Cli({"LLEN", InProgressKey(id, "mail")}) == "0");
  REQUIRE(queue.AckBatch({}).ok());
  REQUIRE(queue.AckBatch({jobs[1], jobs[3], jobs[4]}).ok());
  CHECK(redis.Cli({"LLEN", InProgressKey(id, "default")}) == "0");
}

TEST_CASE("Concurrent FetchBatch callers never take one job twice and lose none") {
  RedisServer redis;
  RedisJobQueue producer(Options(redis));
  std::vector<std::string> raws;
  for (int i = 0; i < 1000; ++i) raws.push_back(Job(std::to_string(i)));
  REQUIRE(producer.PushBulk("default", raws).ok());
  const std::vector<std::string> ids = {"host:1:ba0000000005", "host:2:ba0000000006",
                                        "host:3:ba0000000007"};
  std::vector<std::vector<std::string>> taken(ids.size());
  std::vector<std::thread> consumers;
  for (size_t c = 0; c < ids.size(); ++c) {
    consumers.emplace_back([&, c] {
      RedisJobQueue queue(Options(redis, ids[c]));
      for (;;) {
        auto batch = queue.FetchBatch({"default"}, 7, 0);
        if (!batch.ok() || batch->jobs.empty()) return;
        for (const FetchedJob& job : batch->jobs) taken[c].push_back(Arg0(job.raw));
      }
    });
  }
  for (auto& consumer : consumers) consumer.join();
  std::multiset<std::string> all;
  size_t in_progress = 0;
  for (size_t c = 0; c < ids.size(); ++c) {
    all.insert(taken[c].begin(), taken[c].end());
    in_progress += std::stoul(redis.Cli({"LLEN", InProgressKey(ids[c], "default")}));
    // Each consumer sees the queue's order: its jobs come in increasing sequence.
    for (size_t i = 1; i < taken[c].size(); ++i) {
      CHECK(std::stoi(taken[c][i - 1]) < std::stoi(taken[c][i]));
    }
  }
  CHECK(all.size() == 1000);
  CHECK(std::set<std::string>(all.begin(), all.end()).size() == 1000);
  CHECK(in_progress == 1000);
}

TEST_CASE("A blocking FetchBatch waits, wakes on a push, and checks its arguments") {
  RedisServer redis;
  RedisJobQueue queue(Options(redis, "host:1:ba0000000008"));
  auto start = std::chrono::steady_clock::now();
  auto empty = queue.FetchBatch({"default"}, 10, 300);
  REQUIRE(empty.ok());
  CHECK(empty->jobs.empty());
  CHECK(Millis(std::chrono::steady_clock::now() - start) >= 250);

  std::thread pusher([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(queue.Push("default", Job("late")).ok());
  });
  start = std::chrono::steady_clock::now();
  auto woke = queue.FetchBatch({"default"}, 10, 5000);
  pusher.join();
  REQUIRE(woke.ok());
  CHECK(Names(woke->jobs) == std::vector<std::string>{"late"});
  CHECK(woke->left == -1);  // after blocking, the queue's length is not known
  CHECK(Millis(std::chrono::steady_clock::now() - start) < 1500);
  CHECK(redis.Cli({"LLEN", InProgressKey("host:1:ba0000000008", "default")}) == "1");

  CHECK_FALSE(queue.FetchBatch({"default"}, 0, 0).ok());
  CHECK_FALSE(queue.FetchBatch({}, 5, 0).ok());
  RedisJobQueue producer(Options(redis));
  auto no_identity = producer.FetchBatch({"default"}, 5, 0);
  REQUIRE_FALSE(no_identity.ok());
  CHECK_THAT(no_identity.message(), Catch::Contains("identity"));
}

TEST_CASE("Batch-fetched jobs of a dead process are recovered in the order they were fetched") {
  RedisServer redis;
  const std::string dead_id = "host:100:ba0000000009";
  RedisJobQueue dying(Options(redis, dead_id));
  REQUIRE(dying.PushBulk("default", {Job("a"), Job("b"), Job("c"), Job("d")}).ok());
  FetchedBatch batch = MustFetchBatch(dying, {"default"}, 3);
  REQUIRE(dying.AckBatch({batch.jobs[1]}).ok());  // b finished; a and c were still held
  redis.Cli({"DEL", dead_id});                    // its heartbeat key expires (kill -9)
  RedisJobQueue living(Options(redis, "host:200:ba000000000a"));
  auto recovered = living.RecoverOrphans();
  REQUIRE(recovered.ok());
  CHECK(*recovered == 2);
  CHECK(Arg0(MustFetchRecovered(living, {"default"}).raw) == "a");
  CHECK(Arg0(MustFetchRecovered(living, {"default"}).raw) == "c");
  CHECK(Names(MustFetchBatch(living, {"default"}, 10).jobs) == std::vector<std::string>{"d"});
}

// The kill -9 fault test lost a job this way: a worker that always found its queue empty got
// every job by blocking (BLMOVE), so its in-progress list was never registered for recovery.
TEST_CASE("A job a blocking FetchBatch waited for is recovered when its process dies") {
  RedisServer redis;
  const std::string dead_id = "host:101:ba000000000b";
  RedisJobQueue dying(Options(redis, dead_id));
  std::thread pusher([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(dying.Push("default", Job("late")).ok());
  });
  auto blocked = dying.FetchBatch({"default"}, 10, 5000);
  pusher.join();
  REQUIRE(blocked.ok());
  CHECK(Names(blocked->jobs) == std::vector<std::string>{"late"});
  CHECK(blocked->left == -1);  // it came by blocking, the only fetch this process made
  CHECK(redis.Cli({"HEXISTS", kInProgressIndexKey, InProgressKey(dead_id, "default")}) == "1");

  redis.Cli({"DEL", dead_id});  // its heartbeat key expires (kill -9)
  RedisJobQueue living(Options(redis, "host:200:ba000000000c"));
  auto recovered = living.RecoverOrphans();
  REQUIRE(recovered.ok());
  CHECK(*recovered == 1);
  CHECK(Arg0(MustFetchRecovered(living, {"default"}).raw) == "late");
}

}  // namespace
}  // namespace fib
