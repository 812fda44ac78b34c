// Unit tests of the worker's batch paths over MemoryJobQueue: batched fetches and acks, a
// prefetch that never hoards slow jobs, prefetched jobs put back at once on stop and quiet, and
// acks flushed before each heartbeat. No network.
#include <catch2/catch.hpp>
#include <future>
#include <set>

#include "workers/runtime/worker.h"
#include "workers/runtime/worker_test_fixture.h"

using namespace fib;
using namespace fib::test;

namespace {

// Takes 50 ms by the fixture's ManualClock (the worker times jobs with it).
class SlowJob : public fib::Job {
 public:
  explicit SlowJob(fib::ManualClock* clock) : clock_(clock) {}
  fib::JobStatus Perform(const nlohmann::json&, const fib::JobContext&) const override {
    clock_->Advance(50000);
    return fib::JobStatus::Ok();
  }
  fib::ManualClock* clock_;
};

// Pushes `count` RecordingWorker jobs named prefix0.. and returns their payloads, oldest first.
std::vector<std::string> PushRecording(Fixture& f, const std::string& prefix, int count) {
  std::vector<std::string> raws;
  for (int i = 0; i < count; ++i) {
    raws.push_back(f.Raw("RecordingWorker", {prefix + std::to_string(i)}));
  }
  for (const std::string& raw : raws) REQUIRE(f.queue.Push("default", raw).ok());
  return raws;
}

bool InProgressIs(Fixture& f, size_t n, int timeout_ms) {
  return f.queue.WaitUntil([n](const MemoryJobQueue& q) { return q.InProgressLocked() == n; },
                           timeout_ms);
}

// Waits until a blocked worker's prefetch settles; returns how many jobs it holds in progress.
size_t SettledInProgress(Fixture& f) {
  REQUIRE(
      f.queue.WaitUntil([](const MemoryJobQueue& q) { return q.InProgressLocked() > 1; }, 5000));
  size_t seen = 0;
  for (int i = 0; i < 100 && seen != f.queue.InProgress().size(); ++i) {
    seen = f.queue.InProgress().size();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return seen;
}

// Releases blocked jobs when the test ends, even after a failed REQUIRE, so the worker (declared
// before it, destroyed after it) can be joined.
struct ReleaseAtExit {
  Journal& journal;
  ~ReleaseAtExit() { journal.Release(); }
};

}  // namespace

TEST_CASE("fast jobs are fetched and acked in batches, each run once", "[worker][batch]") {
  Fixture f;
  f.options.concurrency = 4;
  f.options.max_prefetch = 100;
  PushRecording(f, "n", 2000);
  auto worker = f.MakeWorker();
  REQUIRE(worker->Start().ok());
  REQUIRE(f.Drained(20000));
  worker->Stop();
  REQUIRE(f.journal.ran.size() == 2000);
  CHECK(std::set<std::string>(f.journal.ran.begin(), f.journal.ran.end()).size() == 2000);
  CHECK(f.queue.fetch_batch_calls() < 400);  // one round trip per 5+ jobs
  CHECK(f.queue.ack_batch_calls() < 400);
  CHECK(f.queue.processed() == 2000);
  CHECK(f.queue.InProgress().empty());
}

TEST_CASE("slow jobs are not prefetched: one job per free thread", "[worker][batch]") {
  Fixture f;
  f.options.max_prefetch = 100;
  f.registry.Register("SlowWorker", std::make_shared<SlowJob>(&f.clock));
  for (int i = 0; i < 3; ++i) REQUIRE(f.queue.Push("default", f.Raw("SlowWorker", {})).ok());
  auto worker = f.MakeWorker();  // 2 threads
  REQUIRE(worker->Start().ok());
  REQUIRE(f.Drained());  // the worker now knows its jobs take 50 ms
  ReleaseAtExit release{f.journal};
  for (int i = 0; i < 2; ++i) REQUIRE(f.queue.Push("default", f.Raw("BlockingWorker", {})).ok());
  for (int i = 0; i < 10; ++i) REQUIRE(f.queue.Push("default", f.Raw("SlowWorker", {})).ok());
  f.journal.WaitStarted(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a hoarding fetch would be done
  CHECK(f.queue.InProgress().size() == 2);
  CHECK(f.queue.Waiting("default").size() == 10);
  f.journal.Release();
  REQUIRE(f.Drained());
  worker->Stop();
}

TEST_CASE("stop puts prefetched jobs back at once, in order, while a job still runs",
          "[worker][batch][shutdown]") {
  Fixture f;
  f.options.concurrency = 1;
  f.options.max_prefetch = 100;
  f.options.shutdown_timeout_ms = 5000;
  PushRecording(f, "warm", 20);  // fast jobs: the worker starts to prefetch
  std::string blocking = f.Raw("BlockingWorker", {});
  REQUIRE(f.queue.Push("default", blocking).ok());
  std::vector<std::string> after = PushRecording(f, "after", 200);
  auto worker = f.MakeWorker();
  ReleaseAtExit release{f.journal};
  REQUIRE(worker->Start().ok());
  f.journal.WaitStarted(1);
  size_t held = SettledInProgress(f);  // the running job and what was prefetched behind it
  CHECK(held > 1 + 10);                // far more than one job per thread: a deep, fast queue
  CHECK(held <= 1 + 100);              // but never more than max_prefetch

  auto stopped = std::async(std::launch::async, [&] { return worker->Stop(); });
  // Back long before the running job ends (it ends only when released below).
  REQUIRE(InProgressIs(f, 1, 1000));
  CHECK(f.queue.Waiting("default") == after);  // in the original order, none lost or run
  f.journal.Release();
  fib::ShutdownReport report = stopped.get();
  CHECK(report.requeued == 0);
  CHECK(report.prefetched_requeued == static_cast<int>(held - 1));
  CHECK(f.journal.ran.size() == 20);
  CHECK(f.queue.InProgress().empty());
  CHECK(f.queue.processed() == 21);
}

// One processor that may prefetch 100: 20 quick jobs, then one that blocks until the journal is
// released, then 150 more (returned), so the worker ends up holding a prefetched batch.
std::vector<std::string> QueueBehindABlockingJob(Fixture& f) {
  f.options.concurrency = 1;
  f.options.max_prefetch = 100;
  PushRecording(f, "warm", 20);
  REQUIRE(f.queue.Push("default", f.Raw("BlockingWorker", {})).ok());
  return PushRecording(f, "after", 150);
}

TEST_CASE("quiet puts prefetched jobs back and starts no more", "[worker][batch][signals]") {
  Fixture f;
  std::vector<std::string> after = QueueBehindABlockingJob(f);
  auto worker = f.MakeWorker();
  ReleaseAtExit release{f.journal};
  REQUIRE(worker->Start().ok());
  f.journal.WaitStarted(1);
  CHECK(SettledInProgress(f) > 1 + 10);
  worker->Quiet();
  REQUIRE(InProgressIs(f, 1, 2000));
  CHECK(f.queue.Waiting("default") == after);
  f.journal.Release();
  REQUIRE(InProgressIs(f, 0, 2000));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(f.queue.Waiting("default").size() == 150);
  worker->Stop();
  CHECK(f.journal.ran.size() == 20);
}

TEST_CASE("a prefetched job that could not be put back on quiet is put back by a reconcile",
          "[worker][batch][signals][reconcile]") {
  Fixture f;
  std::vector<std::string> after = QueueBehindABlockingJob(f);
  auto worker = f.MakeWorker();
  ReleaseAtExit release{f.journal};
  REQUIRE(worker->Start().ok());
  f.journal.WaitStarted(1);
  CHECK(SettledInProgress(f) > 1 + 10);
  f.queue.FailRequeues(1);  // the first put-back fails: that job is held by no one now
  worker->Quiet();
  // Without a reconcile it would sit in our list (not run, not queued) until the worker exits.
  REQUIRE(InProgressIs(f, 1, 3000));  // only the running job
  std::vector<std::string> waiting = f.queue.Waiting("default");
  CHECK(std::multiset<std::string>(waiting.begin(), waiting.end()) ==
        std::multiset<std::string>(after.begin(), after.end()));
  f.journal.Release();
  REQUIRE(InProgressIs(f, 0, 2000));
  worker->Stop();
  CHECK(f.journal.ran.size() == 20);
}

TEST_CASE("prefetching keeps strict queue order", "[worker][batch][queues]") {
  Fixture f;
  f.options.concurrency = 1;
  f.options.max_prefetch = 100;
  f.options.queues = {"high", "low"};
  for (int i = 0; i < 300; ++i) {
    REQUIRE(f.queue.Push("low", f.Raw("RecordingWorker", {"low"})).ok());
  }
  for (int i = 0; i < 300; ++i) {
    REQUIRE(f.queue.Push("high", f.Raw("RecordingWorker", {"high"})).ok());
  }
  auto worker = f.MakeWorker();
  REQUIRE(worker->Start().ok());
  REQUIRE(f.queue.WaitUntil(
      [](const MemoryJobQueue& q) {
        return q.WaitingLocked("low") == 0 && q.WaitingLocked("high") == 0 &&
               q.InProgressLocked() == 0;
      },
      10000));
  worker->Stop();
  REQUIRE(f.journal.ran.size() == 600);
  for (int i = 0; i < 300; ++i) CHECK(f.journal.ran[i] == "\"high\"");
  CHECK(f.queue.fetch_batch_calls() < 100);
}

TEST_CASE("pending acks are flushed before each heartbeat", "[worker][batch][heartbeat]") {
  Fixture f;
  f.options.ack_interval_ms = 1000;  // long enough for the test to look in between
  auto worker = f.MakeWorker();
  REQUIRE(worker->Start().ok());
  PushRecording(f, "n", 5);
  REQUIRE(f.queue.WaitUntil([](const MemoryJobQueue& q) { return q.WaitingLocked("default") == 0; },
                            5000));
  for (int i = 0; i < 200 && worker->processed_total() < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(worker->processed_total() == 5);
  CHECK(f.queue.InProgress().size() == 5);  // finished, ack pending: a kill -9 would rerun them
  REQUIRE(worker->Beat().ok());
  CHECK(f.queue.InProgress().empty());
  CHECK(f.queue.processed() == 5);
  worker->Stop();
}
