// Unit tests of the fetcher's reconciliation after a fetch whose reply was lost (Redis ran the
// fetch, moved the jobs into our in-progress list, then died before replying): the jobs must run
// (not wait in our own list until this worker exits), held jobs must not be touched, and
// identical payloads must be counted copy by copy. Over MemoryJobQueue; no network.
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <thread>

#include "workers/runtime/isolated_run.h"
#include "workers/runtime/job_fetcher.h"
#include "workers/runtime/worker.h"
#include "workers/runtime/worker_test_fixture.h"

using namespace fib;
using namespace fib::test;

namespace {

FetchedJob Entry(const std::string& raw, const std::string& queue = "default") {
  return FetchedJob{queue, raw};
}

std::vector<std::string> Raws(const std::vector<FetchedJob>& jobs) {
  std::vector<std::string> raws;
  for (const FetchedJob& job : jobs) raws.push_back(job.queue + "/" + job.raw);
  return raws;
}

bool InProgressIs(Fixture& f, size_t n, int timeout_ms) {
  return f.queue.WaitUntil([n](const MemoryJobQueue& q) { return q.InProgressLocked() == n; },
                           timeout_ms);
}

struct ReleaseAtExit {
  Journal& journal;
  ~ReleaseAtExit() { journal.Release(); }
};

}  // namespace

TEST_CASE("UnheldJobs keeps listed entries no held job accounts for, copy by copy",
          "[worker][fetch-recovery]") {
  std::vector<FetchedJob> listed = {Entry("a"), Entry("b"), Entry("a"), Entry("c"),
                                    Entry("a", "low")};
  SECTION("nothing held: everything is unheld") {
    CHECK(Raws(UnheldJobs(listed, {})) == Raws(listed));
  }
  SECTION("one held copy of an identical payload accounts for one entry only") {
    auto unheld = UnheldJobs(listed, {{Entry("a")}, {Entry("c")}});
    CHECK(Raws(unheld) ==
          std::vector<std::string>{"default/b", "default/a", "low/a"});  // queue is part of the key
  }
  SECTION("a job seen in two snapshots (it moved on between them) counts once") {
    auto unheld = UnheldJobs(listed, {{Entry("b")}, {Entry("b"), Entry("c")}});
    CHECK(Raws(unheld) == std::vector<std::string>{"default/a", "default/a", "low/a"});
  }
  SECTION("two copies held in one place account for two entries") {
    auto unheld =
        UnheldJobs(listed, {{Entry("a"), Entry("a"), Entry("b"), Entry("c"), Entry("a", "low")}});
    CHECK(unheld.empty());
  }
  SECTION("held jobs no longer listed (already acked) change nothing") {
    auto unheld = UnheldJobs({Entry("b")}, {{Entry("x"), Entry("y")}});
    CHECK(Raws(unheld) == std::vector<std::string>{"default/b"});
  }
}

TEST_CASE("jobs moved by a fetch whose reply was lost run once the store answers again",
          "[worker][fetch-recovery]") {
  Fixture f;
  f.options.concurrency = 2;
  std::vector<std::string> raws;
  for (int i = 0; i < 5; ++i)
    raws.push_back(f.Raw("RecordingWorker", {"lost" + std::to_string(i)}));
  f.queue.LoseFetchReplies(1);
  REQUIRE(f.queue.PushBulk("default", raws).ok());
  auto worker = f.MakeWorker();
  REQUIRE(worker->Start().ok());
  // Without the reconciliation the moved jobs sit in our own in-progress list until Stop.
  REQUIRE(f.Drained(5000));
  worker->Stop();
  CHECK(f.journal.ran.size() == raws.size());  // each exactly once
  CHECK(std::set<std::string>(f.journal.ran.begin(), f.journal.ran.end()).size() == raws.size());
  CHECK(f.queue.InProgress().empty());
}

TEST_CASE("after a lost fetch reply, jobs still running are not put back",
          "[worker][fetch-recovery]") {
  Fixture f;
  f.options.concurrency = 2;
  auto worker = f.MakeWorker();
  ReleaseAtExit release{f.journal};
  REQUIRE(worker->Start().ok());
  std::string blocking = f.Raw("BlockingWorker", {});
  REQUIRE(f.queue.Push("default", blocking).ok());
  f.journal.WaitStarted(1);
  f.queue.LoseFetchReplies(1);
  REQUIRE(f.queue.Push("default", f.Raw("RecordingWorker", {"after"})).ok());
  // The lost fetch's job runs on the free thread while the blocking job still runs.
  for (int i = 0; i < 500 && f.journal.RanCount() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(f.journal.RanCount() == 1);
  REQUIRE(InProgressIs(f, 1, 5000));  // its ack went out; only the blocking job is left
  CHECK(f.queue.InProgress().front().raw == blocking);  // still ours, not pushed back
  CHECK(f.queue.Waiting("default").empty());
  f.journal.Release();
  REQUIRE(f.Drained(5000));
  worker->Stop();
  {
    std::lock_guard lock(f.journal.mu);
    CHECK(f.journal.blocking_started == 1);  // the running job was not run a second time
  }
  CHECK(f.journal.ran == std::vector<std::string>{"\"after\""});
}

namespace {

// Recovered jobs over FlakyQueue: FetchRecovered hands out what the test added; the next
// `failing_returns` ReturnRecovered calls fail (Redis down), later ones are recorded.
class RecoveredQueue : public FlakyQueue {
 public:
  void AddRecovered(const FetchedJob& job) {
    std::lock_guard lock(mu_);
    recovered_.push_back(job);
  }
  Result<std::optional<FetchedJob>> FetchRecovered(const std::vector<std::string>&) override {
    std::lock_guard lock(mu_);
    if (recovered_.empty()) return std::optional<FetchedJob>();
    FetchedJob job = recovered_.back();
    recovered_.pop_back();
    return std::optional<FetchedJob>(job);
  }
  Status ReturnRecovered(const FetchedJob& job, bool crashed, const std::string&) override {
    std::lock_guard lock(mu_);
    ++return_calls_;
    if (failing_returns_ > 0) {
      --failing_returns_;
      return Status::Error("ReturnRecovered failed (injected by the test)");
    }
    returned_.push_back(job.raw + (crashed ? " crashed" : ""));
    return Status::Ok();
  }
  void FailReturns(int count) {
    std::lock_guard lock(mu_);
    failing_returns_ = count;
  }
  std::vector<std::string> returned() {
    std::lock_guard lock(mu_);
    return returned_;
  }
  int return_calls() {
    std::lock_guard lock(mu_);
    return return_calls_;
  }

 private:
  std::mutex mu_;
  std::vector<FetchedJob> recovered_;
  std::vector<std::string> returned_;
  int failing_returns_ = 0;
  int return_calls_ = 0;
};

// Every job "crashes" its isolated process.
class CrashingRunner : public IsolatedRunner {
 public:
  IsolatedResult Run(const FetchedJob&) override {
    IsolatedResult result;
    result.kind = IsolatedResult::Kind::kCrashed;
    result.problem = "killed by signal 6 (Aborted; test)";
    return result;
  }
  void KillAll() override {}
};

}  // namespace

// Review finding: a crashed recovered job whose put-back failed 5 times was left in the worker's
// in-progress list for the rest of the worker's life. It is retried until Redis takes it back.
TEST_CASE("a recovered job whose put-back keeps failing is retried until Redis takes it back",
          "[worker][recovered]") {
  Fixture f;
  RecoveredQueue queue;
  CrashingRunner runner;
  f.options.isolated = &runner;
  f.options.recovered_threads = 1;
  f.options.recovered_poll_ms = 10;
  f.options.report_retry_ms = 1;
  queue.FailReturns(8);  // more than the 5 attempts a job result gets
  queue.AddRecovered(FetchedJob{"default", "poison"});
  Worker worker(f.options, &queue, &f.registry, nullptr, &f.clock, [](uint64_t) { return 0; });
  REQUIRE(worker.Start().ok());
  bool returned = false;
  for (int i = 0; i < 500 && !returned; ++i) {
    returned = !queue.returned().empty();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(returned);
  CHECK(queue.return_calls() == 9);
  CHECK(queue.returned() == std::vector<std::string>{"poison crashed"});
  CHECK(worker.crashed_recovered_total() == 1);
  worker.Stop();
}

// Sidekiq's Web UI shows when each busy job started (`run_at`); a recovered job's must not move
// to "now" at every beat, as it did.
TEST_CASE("a running recovered job is published busy with the time it started",
          "[worker][recovered][heartbeat]") {
  Fixture f;
  RecoveredQueue queue;
  f.options.recovered_threads = 1;
  f.options.recovered_poll_ms = 10;
  std::string raw = f.Raw("BlockingWorker", {});
  queue.AddRecovered(FetchedJob{"default", raw});
  Worker worker(f.options, &queue, &f.registry, nullptr, &f.clock, [](uint64_t) { return 0; });
  auto started_s = static_cast<int64_t>(f.clock.NowSeconds());
  REQUIRE(worker.Start().ok());
  f.journal.WaitStarted(1);
  f.clock.Advance(30LL * 1000000);
  REQUIRE(worker.Beat().ok());
  auto busy = queue.last_busy();
  REQUIRE(busy.size() == 1);
  CHECK(busy[0].thread_id == "tid-recovered-0");
  CHECK(busy[0].raw == raw);
  CHECK(busy[0].run_at == started_s);
  CHECK(queue.last_process()->busy == 1);
  f.journal.Release();
  worker.Stop();
}
