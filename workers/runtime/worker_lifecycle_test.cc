// Unit tests of the worker's life cycle over MemoryJobQueue: queue order, heartbeat and remote
// signals, graceful shutdown, schedule polling, orphan recovery, outages. No network.
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <thread>

#include "workers/runtime/queue_selector.h"
#include "workers/runtime/worker.h"
#include "workers/runtime/worker_test_fixture.h"

using namespace fib;
using namespace fib::test;

namespace {
fib::QueueSelector Selector(const std::vector<std::string>& flags) {
  auto selector = fib::QueueSelector::FromFlags(flags);
  REQUIRE(selector.ok());
  return *selector;
}
}  // namespace

TEST_CASE("Queue flags (-q): strict without weights, weighted with, errors for bad values",
          "[queues]") {
  fib::RandomFn random = [](uint64_t bound) { return bound - 1; };
  CHECK(Selector({}).Order(random) == std::vector<std::string>{"default"});
  fib::QueueSelector strict = Selector({"critical", "default", "low"});
  CHECK(strict.strict());
  CHECK(strict.Order(random) == std::vector<std::string>{"critical", "default", "low"});
  CHECK_FALSE(Selector({"a,3", "b,1"}).strict());
  CHECK(Selector({"a,0", "b"}).strict());  // weight 0 counts as 1 and keeps strict order
  CHECK_FALSE(fib::QueueSelector::FromFlags({"a", "a"}).ok());
  CHECK_FALSE(fib::QueueSelector::FromFlags({"a,x"}).ok());
  CHECK_FALSE(fib::QueueSelector::FromFlags({",2"}).ok());
  CHECK_FALSE(fib::QueueSelector::FromFlags({"a,-1"}).ok());
}

TEST_CASE("weighted order puts a queue first in proportion to its weight", "[queues]") {
  fib::QueueSelector weighted = Selector({"a,3", "b,1"});
  std::mt19937_64 engine(7);
  fib::RandomFn random = [&](uint64_t bound) { return engine() % bound; };
  std::map<std::string, int> first;
  for (int i = 0; i < 8000; ++i) {
    auto order = weighted.Order(random);
    REQUIRE(order.size() == 2);  // duplicates removed
    ++first[order[0]];
  }
  CHECK(first["a"] / 8000.0 == Approx(0.75).margin(0.03));
}

TEST_CASE("strict order drains the first queue before the second", "[queues][worker]") {
  Fixture f;
  f.options.concurrency = 1;
  f.options.queues = {"high", "low"};
  for (int i = 0; i < 5; ++i) REQUIRE(f.queue.Push("low", f.Raw("RecordingWorker", {"low"})).ok());
  for (int i = 0; i < 5; ++i)
    REQUIRE(f.queue.Push("high", f.Raw("RecordingWorker", {"high"})).ok());
  auto worker = f.MakeWorker();
  REQUIRE(worker->Start().ok());
  REQUIRE(
      f.queue.WaitUntil([](const MemoryJobQueue& q) { return q.WaitingLocked("low") == 0; }, 5000));
  worker->Stop();
  REQUIRE(f.journal.ran.size() == 10);
  for (int i = 0; i < 5; ++i) CHECK(f.journal.ran[i] == "\"high\"");
}

TEST_CASE("the heartbeat publishes the process, its busy jobs and counters", "[heartbeat]") {
  Fixture f;
  f.options.queues = {"default", "mail"};
  f.options.tag = "demo";
  auto worker = f.MakeWorker();
  REQUIRE(worker->Start().ok());
  REQUIRE(f.queue.heartbeats() == 1);  // the first beat comes before any fetch
  std::string raw = f.Raw("BlockingWorker", {});
  REQUIRE(f.queue.Push("default", raw).ok());
  f.journal.WaitStarted(1);
  REQUIRE(worker->Beat().ok());
  auto info = f.queue.last_process();
  REQUIRE(info.has_value());
  CHECK(info->identity == worker->identity());
  CHECK(info->identity.rfind("testhost:" + std::to_string(getpid()) + ":", 0) == 0);
  CHECK(info->identity.size() ==
        std::string("testhost:").size() + std::to_string(getpid()).size() + 13);
  CHECK(info->concurrency == 2);
  CHECK(info->queues == std::vector<std::string>{"default", "mail"});
  CHECK(info->tag == "demo");
  CHECK(info->busy == 1);
  CHECK(info->rss_kb > 0);
  CHECK_FALSE(info->quiet);
  auto busy = f.queue.last_busy();
  REQUIRE(busy.size() == 1);
  CHECK(busy[0].raw == raw);
  CHECK(busy[0].queue == "default");
  CHECK(busy[0].run_at == static_cast<int64_t>(f.clock.NowSeconds()));
  f.journal.Release();
  REQUIRE(f.Drained());
  worker->Stop();
  CHECK(f.queue.processed() == 1);
  CHECK(f.queue.last_process()->busy == 0);
}

TEST_CASE("a remote TSTP makes the worker quiet: it stops fetching", "[signals]") {
  Fixture f;
  auto worker = f.MakeWorker();
  REQUIRE(worker->Start().ok());
  f.queue.PushSignal("TSTP");
  int beats = f.queue.heartbeats();
  REQUIRE(worker->Beat().ok());
  CHECK(worker->quiet());
  // Published in the same Beat (a second heartbeat), so the Web UI shows it one beat sooner.
  CHECK(f.queue.last_process()->quiet);
  CHECK(f.queue.heartbeats() == beats + 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let fetches in flight end
  REQUIRE(f.queue.Push("default", f.Raw("RecordingWorker", {1})).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(f.queue.Waiting("default").size() == 1);
  REQUIRE(worker->Beat().ok());
  CHECK(f.queue.last_process()->quiet);
  worker->Stop();
  CHECK(f.journal.ran.empty());
}

// Sidekiq's Processor#fetch requeues a job fetched after quiet; ours ran it when the fetch was
// already waiting on the empty queue as Quiet came, so a job pushed just after a Quiet click ran.
// No fixed sleeps: the fetch waits long enough to still be in flight on a busy machine, and the
// push ends it at once.
TEST_CASE("a fetch in flight when the worker goes quiet puts its job back, unrun", "[signals]") {
  Fixture f;
  f.options.fetch_timeout_ms = 20000;
  auto worker = f.MakeWorker();
  REQUIRE(worker->Start().ok());
  for (int i = 0; i < 1000 && f.queue.fetch_batch_calls() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(f.queue.fetch_batch_calls() == 1);  // waiting on the empty queue now
  worker->Quiet();
  REQUIRE(f.queue.Push("default", f.Raw("RecordingWorker", {1})).ok());
  CHECK(f.queue.WaitUntil(
      [](const MemoryJobQueue& q) {
        return q.RequeuedLocked() == 1 && q.WaitingLocked("default") == 1 &&
               q.InProgressLocked() == 0;
      },
      10000));
  CHECK(f.queue.fetch_batch_calls() == 1);  // and no fetch after it
  worker->Stop();
  CHECK(f.journal.ran.empty());
}

TEST_CASE("a remote TERM asks for a graceful stop", "[signals]") {
  Fixture f;
  auto worker = f.MakeWorker();
  REQUIRE(worker->Start().ok());
  CHECK_FALSE(worker->WaitForStopRequest(10));
  f.queue.PushSignal("TERM");
  REQUIRE(worker->Beat().ok());
  CHECK(worker->WaitForStopRequest(10));
  worker->Stop();
  CHECK(f.queue.unregistered());
}

TEST_CASE("shutdown waits for jobs that finish within the timeout", "[shutdown]") {
  Fixture f;
  auto worker = f.MakeWorker();
  REQUIRE(worker->Start().ok());
  REQUIRE(f.queue.Push("default", f.Raw("BlockingWorker", {})).ok());
  f.journal.WaitStarted(1);
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    f.journal.Release();
  });
  fib::ShutdownReport report = worker->Stop();
  releaser.join();
  CHECK(report.requeued == 0);
  CHECK(f.queue.Waiting("default").empty());
  CHECK(f.queue.InProgress().empty());
  CHECK(f.queue.processed() == 1);
}

TEST_CASE("shutdown requeues a job still running at the timeout, and stays bounded", "[shutdown]") {
  Fixture f;
  f.options.shutdown_timeout_ms = 300;
  auto worker = f.MakeWorker();
  REQUIRE(worker->Start().ok());
  std::string raw = f.Raw("BlockingWorker", {});
  REQUIRE(f.queue.Push("default", raw).ok());
  REQUIRE(f.queue.Push("default", f.Raw("RecordingWorker", {"behind"})).ok());
  f.journal.WaitStarted(1);
  REQUIRE(f.queue.WaitUntil([](const MemoryJobQueue& q) { return q.WaitingLocked("default") == 0; },
                            5000));
  auto started = std::chrono::steady_clock::now();
  fib::ShutdownReport report = worker->Stop();
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(took < std::chrono::seconds(2));
  CHECK(report.requeued == 1);
  CHECK(report.stuck_threads == 1);
  CHECK(f.queue.Waiting("default") == std::vector<std::string>{raw});  // back, ready to run next
  CHECK(f.queue.InProgress().empty());
  CHECK(f.queue.unregistered());
  // The stuck job finishes later; its result must not remove the requeued copy.
  f.journal.Release();
  worker.reset();
  CHECK(f.queue.Waiting("default") == std::vector<std::string>{raw});
  CHECK(f.queue.processed() == 1);  // only the RecordingWorker job
}

TEST_CASE("due scheduled and retry jobs are polled onto their queues and run", "[poller]") {
  Fixture f;
  f.options.poll_interval_s = 0.05;
  JobPayload later = fib::NewJobPayload("RecordingWorker", {"scheduled"}, f.clock);
  REQUIRE(f.queue.Schedule(f.clock.NowSeconds() - 1, fib::EncodePayload(later)).ok());
  REQUIRE(f.queue.Schedule(f.clock.NowSeconds() + 3600, f.Raw("RecordingWorker", {"future"})).ok());
  auto worker = f.MakeWorker();
  REQUIRE(worker->Start().ok());
  for (int i = 0; i < 100 && f.journal.RanCount() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  worker->Stop();
  REQUIRE(f.journal.ran.size() == 1);
  CHECK(f.journal.ran[0] == "\"scheduled\"");
  CHECK(f.queue.ScheduleSet().size() == 1);
}

TEST_CASE("orphans of dead workers are recovered at start and periodically", "[recovery]") {
  Fixture f;
  f.options.recover_interval_s = 0.05;
  f.queue.AddOrphan(FetchedJob{"default", f.Raw("RecordingWorker", {"orphan-1"})});
  auto worker = f.MakeWorker();
  REQUIRE(worker->Start().ok());
  f.queue.AddOrphan(FetchedJob{"default", f.Raw("RecordingWorker", {"orphan-2"})});
  for (int i = 0; i < 200 && f.journal.RanCount() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  worker->Stop();
  CHECK(f.journal.ran.size() == 2);
}

TEST_CASE("a queue outage is survived: errors are retried, nothing is lost", "[outage]") {
  Fixture f;
  auto worker = f.MakeWorker();
  REQUIRE(worker->Start().ok());
  f.queue.SetUnavailable(true);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK_FALSE(worker->Beat().ok());
  f.queue.SetUnavailable(false);
  REQUIRE(f.queue.Push("default", f.Raw("RecordingWorker", {1})).ok());
  REQUIRE(f.Drained(5000));
  worker->Stop();
  CHECK(f.journal.ran.size() == 1);
}

TEST_CASE("start fails with a clear error when the queue is unreachable or -q is bad", "[worker]") {
  Fixture f;
  f.queue.SetUnavailable(true);
  auto worker = f.MakeWorker();
  fib::Status started = worker->Start();
  REQUIRE_FALSE(started.ok());
  CHECK(started.message().find("heartbeat") != std::string::npos);
  Fixture g;
  g.options.queues = {"a", "a"};
  fib::Status bad = g.MakeWorker()->Start();
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.message().find("twice") != std::string::npos);
}
