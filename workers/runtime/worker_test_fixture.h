// Test doubles shared by the worker's unit tests: job types that record, block, fail and throw,
// a MemoryJobQueue whose writes can be made to fail, and a Fixture wiring a Worker to it, a
// ManualClock and a fixed random source.
// Thread-safety: Journal and FlakyQueue are thread-safe; Fixture is used from the test thread.
#pragma once

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/clock.h"
#include "workers/queue/job_payload.h"
#include "workers/queue/memory_job_queue.h"
#include "workers/runtime/worker.h"

namespace fib::test {

// What the test jobs saw: shared by the job types registered below.
struct Journal {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> ran;  // args[0] of RecordingWorker runs, in order
  std::vector<fib::JobContext> contexts;
  int blocking_started = 0;
  bool release = false;

  void WaitStarted(int n) {
    std::unique_lock lock(mu);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return blocking_started >= n; }));
  }
  void Release() {
    std::lock_guard lock(mu);
    release = true;
    cv.notify_all();
  }
  // For polling while the worker runs (`ran` itself is safe to read only after Stop).
  size_t RanCount() {
    std::lock_guard lock(mu);
    return ran.size();
  }
};

class RecordingJob : public fib::Job {
 public:
  explicit RecordingJob(Journal* journal) : journal_(journal) {}
  fib::JobStatus Perform(const nlohmann::json& args,
                         const fib::JobContext& context) const override {
    std::lock_guard lock(journal_->mu);
    journal_->ran.push_back(args.empty() ? "" : args[0].dump());
    journal_->contexts.push_back(context);
    return fib::JobStatus::Ok();
  }
  Journal* journal_;
};

// Blocks until the test releases it: a job that outlives the shutdown timeout.
class BlockingJob : public fib::Job {
 public:
  explicit BlockingJob(Journal* journal) : journal_(journal) {}
  fib::JobStatus Perform(const nlohmann::json&, const fib::JobContext&) const override {
    std::unique_lock lock(journal_->mu);
    ++journal_->blocking_started;
    journal_->cv.notify_all();
    journal_->cv.wait(lock, [&] { return journal_->release; });
    return fib::JobStatus::Ok();
  }
  Journal* journal_;
};

class FailingJob : public fib::Job {
 public:
  fib::JobStatus Perform(const nlohmann::json&, const fib::JobContext&) const override {
    return fib::JobStatus::Fail("SmtpError", "550 mailbox unavailable");
  }
};

class ThrowingJob : public fib::Job {
 public:
  fib::JobStatus Perform(const nlohmann::json&, const fib::JobContext&) const override {
    throw std::runtime_error("kaboom");
  }
};

// A MemoryJobQueue whose next few outcome writes (Ack, Retry, Kill) or put-backs (Requeue) fail
// while fetches keep working: one bad connection, or a wrong-typed `retry` key in Redis.
class FlakyQueue : public fib::MemoryJobQueue {
 public:
  // The next `count` Ack/Retry/Kill calls fail (batched acks are not affected).
  void FailReports(int count) { failing_reports_ = count; }
  // The next `count` Requeue calls fail.
  void FailRequeues(int count) { failing_requeues_ = count; }

  fib::Status Ack(const fib::FetchedJob& job) override {
    if (TakeFailure(failing_reports_)) return Injected("Ack");
    return MemoryJobQueue::Ack(job);
  }
  fib::Status Retry(const fib::FetchedJob& job, const std::string& updated_raw,
                    double at_seconds) override {
    if (TakeFailure(failing_reports_)) return Injected("Retry");
    return MemoryJobQueue::Retry(job, updated_raw, at_seconds);
  }
  fib::Status Kill(const fib::FetchedJob& job, const std::string& updated_raw,
                   double now_seconds) override {
    if (TakeFailure(failing_reports_)) return Injected("Kill");
    return MemoryJobQueue::Kill(job, updated_raw, now_seconds);
  }
  fib::Status Requeue(const fib::FetchedJob& job) override {
    if (TakeFailure(failing_requeues_)) return Injected("Requeue");
    return MemoryJobQueue::Requeue(job);
  }

 private:
  static bool TakeFailure(std::atomic<int>& count) {
    int left = count.load();
    while (left > 0 && !count.compare_exchange_weak(left, left - 1)) {
    }
    return left > 0;
  }
  static fib::Status Injected(const std::string& what) {
    return fib::Status::Error(what + " failed (injected by the test)");
  }

  std::atomic<int> failing_reports_{0};
  std::atomic<int> failing_requeues_{0};
};

// A worker over FlakyQueue (no failures unless asked), a ManualClock and a fixed random source
// (jitter 0 unless set).
struct Fixture {
  Fixture() {
    fib::RegisterBuiltinJobs(&registry);
    registry.Register("RecordingWorker", std::make_shared<RecordingJob>(&journal));
    registry.Register("BlockingWorker", std::make_shared<BlockingJob>(&journal));
    registry.Register("FailingWorker", std::make_shared<FailingJob>());
    registry.Register("ThrowingWorker", std::make_shared<ThrowingJob>());
    options.concurrency = 2;
    options.fetch_timeout_ms = 20;
    options.heartbeat_interval_s = 3600;  // tests beat explicitly
    options.poll_interval_s = 3600;
    options.recover_interval_s = 3600;
    options.shutdown_timeout_ms = 2000;
    options.hostname = "testhost";
    options.log_each_job = false;
    // The ManualClock makes every job take 0 ms, so any deep queue would be prefetched. These
    // tests look at one job per free thread (a job that left the queue has started); the
    // prefetch tests (worker_batch_test.cc) turn it on.
    options.max_prefetch = 0;
  }
  std::unique_ptr<fib::Worker> MakeWorker() {
    return std::make_unique<fib::Worker>(options, &queue, &registry, nullptr, &clock,
                                         [this](uint64_t bound) { return random_value % bound; });
  }
  std::string Raw(const std::string& cls, nlohmann::json args, nlohmann::json retry = true,
                  const std::string& q = "default") {
    if (args.is_null()) args = nlohmann::json::array();  // `{}` in a call means null, not []
    JobPayload payload = fib::NewJobPayload(cls, std::move(args), clock, q);
    payload.retry = std::move(retry);
    payload.enqueued_at = clock.NowSeconds();
    return fib::EncodePayload(payload);
  }
  // Pushes `raw` and runs it synchronously as a processor thread would, after a real fetch.
  void RunOne(fib::Worker& worker, const std::string& raw, const std::string& q = "default") {
    REQUIRE(queue.Push(q, raw).ok());
    auto fetched = queue.Fetch({q}, 100);
    REQUIRE(fetched.ok());
    REQUIRE(fetched->has_value());
    worker.Process(**fetched);
  }
  bool Drained(int timeout_ms = 5000) {
    return queue.WaitUntil(
        [](const MemoryJobQueue& q) {
          return q.WaitingLocked("default") == 0 && q.InProgressLocked() == 0;
        },
        timeout_ms);
  }

  fib::JobRegistry registry;
  Journal journal;
  FlakyQueue queue;
  fib::ManualClock clock;
  fib::WorkerOptions options;
  uint64_t random_value = 0;
};

inline JobPayload Decode(const std::string& raw) {
  auto payload = fib::DecodePayload(raw);
  REQUIRE(payload.ok());
  return *payload;
}

}  // namespace fib::test
