// Integration tests for the process side of RedisJobQueue against a real redis-server: orphan
// recovery, the heartbeat registry, outages and restarts, passwords kept out of errors, and the
// RedisConnection behaviours they rely on (stale connections, EVALSHA fallback).
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "common/redis/redis_connection.h"
#include "common/redis/redis_script.h"
#include "tests/redis_queue_fixture.h"

namespace fib {
namespace {

using namespace test;  // NOLINT: the fixture helpers read best unqualified

ProcessInfo Process(const std::string& identity) {
  ProcessInfo process;
  process.identity = identity;
  process.hostname = "host";
  process.pid = 4242;
  process.tag = "fibtastic";
  process.concurrency = 5;
  process.queues = {"default", "low", "default"};
  process.started_at = 1700000000.5;
  process.busy = 1;
  process.rss_kb = 12345;
  return process;
}

TEST_CASE("RecoverOrphans brings back a dead process's jobs and leaves a live one's alone") {
  RedisServer redis;
  const std::string dead_id = "host:100:111111111111", live_id = "host:200:222222222222";
  RedisJobQueue dying(Options(redis, dead_id));
  RedisJobQueue living(Options(redis, live_id));
  REQUIRE(dying.Heartbeat(Process(dead_id), {}, 0, 0, 1700000000.0).ok());
  REQUIRE(living.Heartbeat(Process(live_id), {}, 0, 0, 1700000000.0).ok());
  for (const char* name : {"a", "b", "c", "d"}) REQUIRE(dying.Push("default", Job(name)).ok());
  FetchedJob a = MustFetch(dying, {"default"});
  FetchedJob b = MustFetch(dying, {"default"});
  FetchedJob c = MustFetch(living, {"default"});
  CHECK(Arg0(c.raw) == "c");

  auto nothing = living.RecoverOrphans();  // both alive
  REQUIRE(nothing.ok());
  CHECK(*nothing == 0);

  redis.Cli({"DEL", dead_id});  // the heartbeat key expires: the process is gone (kill -9)
  auto recovered = living.RecoverOrphans();
  REQUIRE(recovered.ok());
  CHECK(*recovered == 2);
  CHECK(redis.Cli({"LLEN", InProgressKey(dead_id, "default")}) == "0");
  CHECK(redis.Cli({"LLEN", InProgressKey(live_id, "default")}) == "1");  // the live job stays
  // Put aside, not back on the queue (one may be what killed the process), in the order they
  // were fetched; "d" never left the queue.
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "1");
  CHECK(redis.Cli({"LLEN", RecoveredKey("default")}) == "2");
  CHECK(Arg0(MustFetchRecovered(living, {"default"}).raw) == "a");
  CHECK(Arg0(MustFetchRecovered(living, {"default"}).raw) == "b");
  CHECK(Arg0(MustFetch(living, {"default"}).raw) == "d");
  CHECK(redis.Cli({"LLEN", InProgressKey(live_id, "default")}) == "4");  // held as any fetch
  auto again = living.RecoverOrphans();
  REQUIRE(again.ok());
  CHECK(*again == 0);
}

TEST_CASE("Two processes recovering the same orphan at once never duplicate it") {
  RedisServer redis;
  const std::string dead_id = "host:300:333333333333";
  RedisJobQueue dying(Options(redis, dead_id));
  for (int i = 0; i < 50; ++i) REQUIRE(dying.Push("default", Job(std::to_string(i))).ok());
  for (int i = 0; i < 50; ++i) MustFetch(dying, {"default"});
  redis.Cli({"DEL", dead_id});
  RedisJobQueue r1(Options(redis, "host:1:444444444444"));
  RedisJobQueue r2(Options(redis, "host:2:555555555555"));
  Result<int> n1 = 0, n2 = 0;
  std::thread t1([&] { n1 = r1.RecoverOrphans(); });
  std::thread t2([&] { n2 = r2.RecoverOrphans(); });
  t1.join();
  t2.join();
  REQUIRE(n1.ok());
  REQUIRE(n2.ok());
  CHECK(*n1 + *n2 == 50);
  CHECK(redis.Cli({"LLEN", RecoveredKey("default")}) == "50");
}

// A missing heartbeat key does not prove its owner dead: a stalled process whose key expired
// may still have a BLMOVE pending, which can fill its list after another process recovered it.
TEST_CASE("A list recovered while its stalled owner still blocks on it stays recoverable") {
  RedisServer redis;
  const std::string stalled_id = "host:500:888888888888";
  RedisJobQueue stalled(Options(redis, stalled_id));
  RedisJobQueue other(Options(redis, "host:2:999999999999"));
  Result<FetchedBatch> got = FetchedBatch{};
  std::thread fetcher([&] { got = stalled.FetchBatch({"default"}, 10, 5000); });
  for (int i = 0; i < 100 && redis.Cli({"HLEN", kInProgressIndexKey}) != "1"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // now blocked in BLMOVE
  REQUIRE(redis.Cli({"HLEN", kInProgressIndexKey}) == "1");
  redis.Cli({"DEL", stalled_id});  // its heartbeat key expires while it waits
  auto first = other.RecoverOrphans();
  REQUIRE(first.ok());
  CHECK(*first == 0);
  REQUIRE(other.Push("default", Job("j")).ok());
  fetcher.join();
  REQUIRE(got.ok());
  REQUIRE(got->jobs.size() == 1);  // the pending BLMOVE filled the list after the recovery pass
  CHECK(redis.Cli({"HEXISTS", kInProgressIndexKey, InProgressKey(stalled_id, "default")}) == "1");

  redis.Cli({"DEL", stalled_id});  // now killed for real before it fetched again
  auto second = other.RecoverOrphans();
  REQUIRE(second.ok());
  CHECK(*second == 1);
  CHECK(Arg0(MustFetchRecovered(other, {"default"}).raw) == "j");
}

TEST_CASE("A dead owner's index entry is dropped once its last fetch is a minute old") {
  RedisServer redis;
  const std::string dead_id = "host:501:aaaaaaaaaaa1";
  RedisJobQueue dying(Options(redis, dead_id));
  REQUIRE(dying.Push("default", Job("a")).ok());
  MustFetch(dying, {"default"});
  const std::string list = InProgressKey(dead_id, "default");
  redis.Cli({"DEL", dead_id});
  RedisJobQueue other(Options(redis, "host:2:aaaaaaaaaaa2"));
  auto moved = other.RecoverOrphans();
  REQUIRE(moved.ok());
  CHECK(*moved == 1);
  CHECK(redis.Cli({"HEXISTS", kInProgressIndexKey, list}) == "1");  // stamped just now: kept
  // Age the stamp by hand (Redis's clock cannot be moved): a minute and a second ago.
  std::string old = std::to_string(std::stoll(redis.Cli({"TIME"})) - kIndexEntryKeepSeconds - 1);
  redis.Cli({"HSET", kInProgressIndexKey, list,
             R"({"identity":")" + dead_id + R"(","queue":"default","at":)" + old + "}"});
  auto again = other.RecoverOrphans();
  REQUIRE(again.ok());
  CHECK(*again == 0);
  CHECK(redis.Cli({"HEXISTS", kInProgressIndexKey, list}) == "0");
}

TEST_CASE("An unreadable index entry is kept and does not stop the others' recovery") {
  RedisServer redis;
  const std::string dead_id = "host:502:bbbbbbbbbbb1";
  RedisJobQueue dying(Options(redis, dead_id));
  REQUIRE(dying.Push("default", Job("a")).ok());
  MustFetch(dying, {"default"});
  redis.Cli({"DEL", dead_id});
  const std::string bad_list = "fibtastic:inprogress:somewhere:1:bbbbbbbbbbb2:default";
  redis.Cli({"RPUSH", bad_list, Job("kept")});
  redis.Cli({"HSET", kInProgressIndexKey, bad_list, "not json"});
  RedisJobQueue other(Options(redis, "host:2:bbbbbbbbbbb3"));
  auto moved = other.RecoverOrphans();
  REQUIRE(moved.ok());
  CHECK(*moved == 1);
  CHECK(redis.Cli({"HGET", kInProgressIndexKey, bad_list}) == "not json");
  CHECK(redis.Cli({"LLEN", bad_list}) == "1");
}

// A stalled worker's job recovered by another process must not also get a retry of its own.
TEST_CASE("Retry of a job another process already recovered schedules nothing") {
  RedisServer redis;
  const std::string stalled_id = "host:503:ccccccccccc1";
  RedisJobQueue stalled(Options(redis, stalled_id));
  REQUIRE(stalled.Push("default", Job("j")).ok());
  FetchedJob job = MustFetch(stalled, {"default"});
  redis.Cli({"DEL", stalled_id});
  RedisJobQueue other(Options(redis, "host:2:ccccccccccc2"));
  REQUIRE(other.RecoverOrphans().ok());
  REQUIRE(stalled.Retry(job, Job("j-retry"), 1700000100.0).ok());
  CHECK(redis.Cli({"ZCARD", "retry"}) == "0");
  CHECK(redis.Cli({"LLEN", RecoveredKey("default")}) == "1");  // the recovered copy runs, once
}

TEST_CASE("Kill of a job another process already recovered leaves it to run, not dead too") {
  RedisServer redis;
  const std::string stalled_id = "host:504:ddddddddddd1";
  RedisJobQueue stalled(Options(redis, stalled_id));
  REQUIRE(stalled.Push("default", Job("k")).ok());
  FetchedJob job = MustFetch(stalled, {"default"});
  redis.Cli({"DEL", stalled_id});
  RedisJobQueue other(Options(redis, "host:2:ddddddddddd2"));
  REQUIRE(other.RecoverOrphans().ok());
  REQUIRE(stalled.Kill(job, Job("k-dead"), 1700000100.0).ok());
  CHECK(redis.Cli({"ZCARD", "dead"}) == "0");
  CHECK(redis.Cli({"LLEN", RecoveredKey("default")}) == "1");  // the recovered copy runs, once
}

TEST_CASE("Kill that cannot write the dead set leaves the job in progress, never nowhere") {
  RedisServer redis;
  RedisJobQueue queue(Options(redis, "host:505:eeeeeeeeeee1"));
  REQUIRE(queue.Push("default", Job("w")).ok());
  FetchedJob job = MustFetch(queue, {"default"});
  redis.Cli({"SET", "dead", "a string, not a sorted set"});
  Status s = queue.Kill(job, Job("w-dead"), 1700000100.0);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.message(), Catch::Contains("WRONGTYPE") && Catch::Contains("stays in"));
  CHECK(redis.Cli({"LLEN", InProgressKey("host:505:eeeeeeeeeee1", "default")}) == "1");
}

// Each time a worker holding the poison job dies, recovery counts it; past max_recoveries (3) the
// job goes to dead instead of killing a fourth worker. A job that died beside it once is taken
// once more from the recovered list, never again beside the poison job.
TEST_CASE("A job recovered more than max_recoveries times goes to dead as a poison pill") {
  RedisServer redis;
  RedisJobQueue survivor(Options(redis, "host:9:999999999999"));
  const std::string poison = Job("poison"), bystander = Job("bystander");
  REQUIRE(survivor.Push("default", bystander).ok());
  REQUIRE(survivor.Push("default", poison).ok());
  for (int crash = 1; crash <= 4; ++crash) {
    const std::string id =
        "host:" + std::to_string(600 + crash) + ":aaaaaaaaaaa" + std::to_string(crash);
    RedisJobQueue dying(Options(redis, id));
    if (crash == 1) {
      CHECK(Arg0(MustFetch(dying, {"default"}).raw) == "bystander");
      CHECK(Arg0(MustFetch(dying, {"default"}).raw) == "poison");
    } else {
      CHECK(Arg0(MustFetchRecovered(dying, {"default"}).raw) == "poison");
    }
    redis.Cli({"DEL", id});  // the worker died running it
    auto recovered = survivor.RecoverOrphans();
    REQUIRE(recovered.ok());
    if (crash == 1) {
      CHECK(*recovered == 2);
      CHECK(Arg0(MustFetchRecovered(survivor, {"default"}).raw) == "bystander");  // once more
      REQUIRE(survivor.Ack(FetchedJob{"default", bystander}).ok());
    } else {
      CHECK(*recovered == (crash <= 3 ? 1 : 0));
    }
    CHECK(redis.Cli({"ZCARD", "dead"}) == (crash <= 3 ? "0" : "1"));
  }
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "0");
  CHECK(redis.Cli({"LLEN", RecoveredKey("default")}) == "0");
  auto dead = DecodePayload(redis.Cli({"ZRANGE", "dead", "0", "-1"}));
  REQUIRE(dead.ok());
  CHECK(Arg0(EncodePayload(*dead)) == "poison");
  CHECK(dead->error_class == "PoisonPillError");
  CHECK_THAT(*dead->error_message, Catch::Contains("died 4 times"));
  CHECK(redis.Cli({"KEYS", "fibtastic:inprogress:host:604*"}).empty());  // nothing stranded
  CHECK(redis.Cli({"EXISTS", "fibtastic:recoveries:" + Sha1Hex(poison)}) == "0");  // forgotten
  CHECK(redis.Cli({"EXISTS", "fibtastic:recoveries:" + Sha1Hex(bystander)}) == "1");
}

// A recovered job runs alone; when that process dies too, the worker returns it as crashed: one
// more recovery, and past the limit dead. Returned uncrashed (shutdown), it is not counted.
TEST_CASE("ReturnRecovered counts crashes toward max_recoveries; a shutdown return does not") {
  RedisServer redis;
  const std::string id = "host:610:bbbbbbbbbbbb";
  RedisJobQueue worker(Options(redis, id));
  const std::string poison = Job("poison"), slow = Job("slow");
  redis.Cli({"RPUSH", RecoveredKey("default"), slow, poison});  // poison pops first
  FetchedJob job = MustFetchRecovered(worker, {"default"});
  REQUIRE(job.raw == poison);
  CHECK(redis.Cli({"LLEN", InProgressKey(id, "default")}) == "1");
  for (int crash = 1; crash <= 3; ++crash) {
    REQUIRE(worker.ReturnRecovered(job, true, "killed by signal 6 (Aborted)").ok());
    CHECK(redis.Cli({"GET", "fibtastic:recoveries:" + Sha1Hex(poison)}) == std::to_string(crash));
    CHECK(redis.Cli({"ZCARD", "dead"}) == "0");
    REQUIRE(MustFetchRecovered(worker, {"default"}).raw == poison);
  }
  REQUIRE(worker.ReturnRecovered(job, true, "killed by signal 11 (Segmentation fault)").ok());
  CHECK(redis.Cli({"LLEN", InProgressKey(id, "default")}) == "0");
  auto dead = DecodePayload(redis.Cli({"ZRANGE", "dead", "0", "-1"}));
  REQUIRE(dead.ok());
  CHECK(dead->error_class == "PoisonPillError");
  CHECK_THAT(*dead->error_message,
             Catch::Contains("died 4 times") && Catch::Contains("Segmentation fault"));

  FetchedJob other = MustFetchRecovered(worker, {"default"});
  REQUIRE(other.raw == slow);
  for (int i = 0; i < 5; ++i) {
    REQUIRE(worker.ReturnRecovered(other, false, "stopped at shutdown").ok());
    REQUIRE(MustFetchRecovered(worker, {"default"}).raw == slow);
  }
  CHECK(redis.Cli({"EXISTS", "fibtastic:recoveries:" + Sha1Hex(slow)}) == "0");
  auto none = worker.FetchRecovered({"default"});
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  // A return of a job no longer in our list (recovered by another process) changes nothing.
  redis.Cli({"DEL", InProgressKey(id, "default")});
  REQUIRE(worker.ReturnRecovered(other, false, "stopped at shutdown").ok());
  CHECK(redis.Cli({"LLEN", RecoveredKey("default")}) == "0");
}

TEST_CASE("A process that fetches before its first heartbeat is not taken for dead") {
  RedisServer redis;
  const std::string id = "host:400:666666666666";
  RedisJobQueue fresh(Options(redis, id));
  REQUIRE(fresh.Push("default", Job("x")).ok());
  MustFetch(fresh, {"default"});
  RedisJobQueue other(Options(redis, "host:2:777777777777"));
  auto recovered = other.RecoverOrphans();
  REQUIRE(recovered.ok());
  CHECK(*recovered == 0);
  int ttl = std::stoi(redis.Cli({"TTL", id}));
  CHECK(ttl > 0);
  CHECK(ttl <= 60);
}

TEST_CASE("Heartbeat writes exactly Sidekiq's process registry, busy jobs, stats and signals") {
  RedisServer redis;
  const std::string id = "host:4242:0123456789ab";
  RedisJobQueue queue(Options(redis, id));
  std::string busy_raw = Job("busy");
  redis.Cli({"LPUSH", id + "-signals", "TSTP"});
  redis.Cli({"LPUSH", id + "-signals", "TERM"});
  const double now = 1700000000.25;  // 2023-11-14 UTC
  auto signals =
      queue.Heartbeat(Process(id), {{"tid-1", "default", busy_raw, 1700000000}}, 7, 2, now);
  REQUIRE(signals.ok());
  CHECK(*signals == std::vector<std::string>{"TSTP", "TERM"});
  CHECK(redis.Cli({"EXISTS", id + "-signals"}) == "0");

  CHECK(redis.Cli({"SMEMBERS", "processes"}) == id);
  CHECK(redis.Cli({"HLEN", id}) == "6");
  Json info = Json::parse(redis.Cli({"HGET", id, "info"}));
  CHECK(info["hostname"] == "host");
  CHECK(info["started_at"] == 1700000000.5);
  CHECK(info["pid"] == 4242);
  CHECK(info["tag"] == "fibtastic");
  CHECK(info["concurrency"] == 5);
  CHECK(info["queues"] == Json::array({"default", "low"}));
  CHECK(info["labels"] == Json::array());
  CHECK(info["identity"] == id);
  CHECK(info.size() == 8);
  CHECK(redis.Cli({"HGET", id, "busy"}) == "1");
  CHECK(redis.Cli({"HGET", id, "beat"}) == "1700000000.25");
  CHECK(redis.Cli({"HGET", id, "quiet"}) == "false");
  CHECK(redis.Cli({"HGET", id, "rss"}) == "12345");
  CHECK(std::stoll(redis.Cli({"HGET", id, "rtt_us"})) >= 0);
  int ttl = std::stoi(redis.Cli({"TTL", id}));
  CHECK((ttl > 50 && ttl <= 60));

  Json worker = Json::parse(redis.Cli({"HGET", id + ":workers", "tid-1"}));
  CHECK(worker["queue"] == "default");
  CHECK(worker["payload"] == busy_raw);  // the job JSON as a string, as Sidekiq 6.4
  CHECK(worker["run_at"] == 1700000000);
  CHECK(std::stoi(redis.Cli({"TTL", id + ":workers"})) > 50);

  CHECK(redis.Cli({"GET", "stat:processed"}) == "7");
  CHECK(redis.Cli({"GET", "stat:failed"}) == "2");
  CHECK(redis.Cli({"GET", "stat:processed:2023-11-14"}) == "7");
  CHECK(redis.Cli({"GET", "stat:failed:2023-11-14"}) == "2");
  CHECK(std::stoll(redis.Cli({"TTL", "stat:processed:2023-11-14"})) > 365LL * 86400);

  // A later beat with nobody busy clears the workers hash; zero deltas change no counters.
  ProcessInfo quiet = Process(id);
  quiet.quiet = true;
  quiet.busy = 0;
  REQUIRE(queue.Heartbeat(quiet, {}, 0, 0, now + 5).ok());
  CHECK(redis.Cli({"HGET", id, "quiet"}) == "true");
  CHECK(redis.Cli({"EXISTS", id + ":workers"}) == "0");
  CHECK(redis.Cli({"GET", "stat:processed"}) == "7");

  REQUIRE(queue.Unregister(quiet).ok());
  CHECK(redis.Cli({"SCARD", "processes"}) == "0");
  CHECK(redis.Cli({"EXISTS", id}) == "0");
}

TEST_CASE("Redis down: calls fail fast with a clear error; a restarted Redis is used again") {
  RedisServer redis;
  redis.Cli({"CONFIG", "SET", "requirepass", "hunter2"});
  RedisQueueOptions options = Options(redis, "host:1:888888888888");
  options.url = "redis://:hunter2@127.0.0.1:" + std::to_string(redis.port()) + "/0";
  RedisJobQueue queue(options);
  REQUIRE(queue.Push("default", Job("before")).ok());
  redis.Stop();

  auto start = std::chrono::steady_clock::now();
  Status down = queue.Push("default", Job("during"));
  CHECK(Millis(std::chrono::steady_clock::now() - start) < 1500);
  REQUIRE_FALSE(down.ok());
  CHECK_THAT(down.message(), Catch::Contains("redis://:***@127.0.0.1:"));
  CHECK_THAT(down.message(), Catch::Contains("is redis-server running?"));
  CHECK_THAT(down.message(), !Catch::Contains("hunter2"));
  auto fetch = queue.Fetch({"default"}, 100);
  REQUIRE_FALSE(fetch.ok());
  CHECK_THAT(fetch.message(), !Catch::Contains("hunter2"));

  redis.Start();  // same port, fresh data (no persistence), no password
  redis.Cli({"CONFIG", "SET", "requirepass", "hunter2"});
  REQUIRE(queue.Push("default", Job("after")).ok());
  CHECK(Arg0(MustFetch(queue, {"default"}).raw) == "after");
}

TEST_CASE("A wrong password is reported without echoing it") {
  RedisServer redis;
  redis.Cli({"CONFIG", "SET", "requirepass", "right-one"});
  RedisQueueOptions options = Options(redis);
  options.url = "redis://:wrong-one@127.0.0.1:" + std::to_string(redis.port()) + "/0";
  RedisJobQueue queue(options);
  Status status = queue.Push("default", Job("x"));
  REQUIRE_FALSE(status.ok());
  CHECK_THAT(status.message(), Catch::Contains("refused AUTH"));
  CHECK_THAT(status.message(), Catch::Contains("check the user name and password"));
  CHECK_THAT(status.message(), !Catch::Contains("wrong-one"));
}

TEST_CASE("A stale pooled connection after a restart is re-made transparently") {
  RedisServer redis;
  auto connection = RedisConnection::Open(redis.url());
  REQUIRE(connection.ok());
  REQUIRE((*connection)->Command({"PING"}).ok());
  redis.Stop();
  redis.Start();
  auto pong = (*connection)->Command({"PING"});
  REQUIRE(pong.ok());
  CHECK(pong->str == "PONG");
}

// Redis can run a command and then drop the connection before its reply (here: the reply is
// over the client output buffer limit). Sending it again would move a second batch and leave
// the first in our in-progress list, held by no one; the caller must see the failure instead.
TEST_CASE("A fetch whose reply is lost fails instead of silently fetching again") {
  RedisServer redis;
  const std::string id = "host:600:dddddddddddd";
  RedisJobQueue queue(Options(redis, id));
  auto warm = queue.FetchBatch({"default"}, 10, 0);  // the fetch connection is pooled now
  REQUIRE(warm.ok());
  const std::string big(800, 'x');
  REQUIRE(queue.PushBulk("default", {Job("big1-" + big), Job("big2-" + big), Job("small")}).ok());
  redis.Cli({"CONFIG", "SET", "client-output-buffer-limit", "normal 1000 0 0"});
  auto lost = queue.FetchBatch({"default"}, 2, 0);
  redis.Cli({"CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0"});
  REQUIRE_FALSE(lost.ok());
  CHECK_THAT(lost.message(), Catch::Contains("Redis at"));
  CHECK(redis.Cli({"LLEN", InProgressKey(id, "default")}) == "2");  // ran once, not twice
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "1");
  auto listed = queue.ListInProgress({"default"});  // what the fetcher reconciles from
  REQUIRE(listed.ok());
  CHECK(listed->size() == 2);
  auto next = queue.FetchBatch({"default"}, 10, 0);  // the connection is re-made
  REQUIRE(next.ok());
  REQUIRE(next->jobs.size() == 1);
  CHECK(Arg0(next->jobs[0].raw) == "small");
}

TEST_CASE("Eval falls back to EVAL when the server does not know the script") {
  RedisServer redis;
  auto connection = RedisConnection::Open(redis.url());
  REQUIRE(connection.ok());
  RedisScript script("return {KEYS[1], ARGV[1]}");
  auto first = (*connection)->Eval(script, {"k"}, {"v"});
  REQUIRE(first.ok());
  CHECK(first->DebugString() == "[\"k\", \"v\"]");
  CHECK(redis.Cli({"SCRIPT", "EXISTS", script.sha1()}) == "1");  // our SHA-1 is Redis's
  CHECK((*connection)->Eval(script, {"k2"}, {"v2"})->elements[0].str == "k2");
}

}  // namespace
}  // namespace fib
