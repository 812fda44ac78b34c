// Unit tests of AckBatcher over MemoryJobQueue: acks go out in batches within the interval, a
// flush on demand is synchronous, and an outage keeps finished jobs pending, never dropped.
#include "workers/runtime/ack_batcher.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "workers/queue/memory_job_queue.h"

using namespace fib;

namespace {

// Pushes and fetches `count` jobs so they sit in the queue's in-progress list.
std::vector<FetchedJob> InProgressJobs(MemoryJobQueue& queue, int count) {
  for (int i = 0; i < count; ++i) REQUIRE(queue.Push("default", "job-" + std::to_string(i)).ok());
  auto batch = queue.FetchBatch({"default"}, count, 0);
  REQUIRE(batch.ok());
  REQUIRE(batch->jobs.size() == static_cast<size_t>(count));
  return batch->jobs;
}

// A MemoryJobQueue whose AckBatch waits, once it has started, until the test releases it: a
// flush caught in flight.
class GatedAckQueue : public MemoryJobQueue {
 public:
  Status AckBatch(const std::vector<FetchedJob>& jobs) override {
    {
      std::unique_lock lock(gate_mu_);
      in_ack_batch_ = true;
      gate_cv_.notify_all();
      gate_cv_.wait(lock, [this] { return released_; });
    }
    return MemoryJobQueue::AckBatch(jobs);
  }
  bool WaitInAckBatch() {
    std::unique_lock lock(gate_mu_);
    return gate_cv_.wait_for(lock, std::chrono::seconds(5), [this] { return in_ack_batch_; });
  }
  void Release() {
    std::lock_guard lock(gate_mu_);
    released_ = true;
    gate_cv_.notify_all();
  }

 private:
  std::mutex gate_mu_;
  std::condition_variable gate_cv_;
  bool in_ack_batch_ = false;
  bool released_ = false;
};

}  // namespace

TEST_CASE("finished jobs are acked in a few batches within the flush interval", "[acks]") {
  MemoryJobQueue queue;
  auto jobs = InProgressJobs(queue, 500);
  int flushes = 0;
  AckBatcherOptions options;
  options.flush_interval_ms = 5;
  options.max_batch = 200;
  AckBatcher acks(options, &queue, [&] { ++flushes; });
  acks.Start();
  for (const FetchedJob& job : jobs) acks.Add(job);
  REQUIRE(queue.WaitUntil([](const MemoryJobQueue& q) { return q.InProgressLocked() == 0; }, 2000));
  CHECK(queue.ack_batch_calls() <= 10);  // 500 acks, batches of up to 200
  CHECK(acks.Stop() == 0);
  CHECK(flushes >= 1);
}

TEST_CASE("Flush acks at once on the calling thread", "[acks]") {
  MemoryJobQueue queue;
  auto jobs = InProgressJobs(queue, 3);
  AckBatcherOptions options;
  options.flush_interval_ms = 1000;
  AckBatcher acks(options, &queue, nullptr);  // not started: only explicit flushes
  for (const FetchedJob& job : jobs) acks.Add(job);
  CHECK(queue.InProgress().size() == 3);
  REQUIRE(acks.Flush().ok());
  CHECK(queue.InProgress().empty());
  CHECK(queue.ack_batch_calls() == 1);
}

TEST_CASE("an outage keeps acks pending until the store is back", "[acks]") {
  MemoryJobQueue queue;
  auto jobs = InProgressJobs(queue, 4);
  AckBatcherOptions options;
  options.flush_interval_ms = 1;
  options.retry_interval_ms = 10;
  AckBatcher acks(options, &queue, nullptr);
  acks.Start();
  queue.SetUnavailable(true);
  for (const FetchedJob& job : jobs) acks.Add(job);
  CHECK_FALSE(acks.Flush().ok());
  CHECK(acks.pending() == 4);
  queue.SetUnavailable(false);
  REQUIRE(queue.WaitUntil([](const MemoryJobQueue& q) { return q.InProgressLocked() == 0; }, 2000));
  CHECK(acks.Stop() == 0);
}

TEST_CASE("Stop reports the acks it could not send, and their jobs stay in progress", "[acks]") {
  MemoryJobQueue queue;
  auto jobs = InProgressJobs(queue, 2);
  AckBatcher acks(AckBatcherOptions{}, &queue, nullptr);
  acks.Start();
  queue.SetUnavailable(true);
  for (const FetchedJob& job : jobs) acks.Add(job);
  CHECK(acks.Stop(/*attempts=*/1) == 2);
  queue.SetUnavailable(false);
  CHECK(queue.InProgress().size() == 2);  // recovered (and rerun) after this process exits
}

TEST_CASE("jobs of a flush in flight stay visible as pending until their acks are written",
          "[acks]") {
  GatedAckQueue queue;
  auto jobs = InProgressJobs(queue, 3);
  AckBatcherOptions options;
  options.flush_interval_ms = 1000;
  AckBatcher acks(options, &queue, nullptr);  // not started: the test's thread flushes
  for (const FetchedJob& job : jobs) acks.Add(job);
  Status flushed = Status::Error("not flushed");
  std::thread flusher([&] { flushed = acks.Flush(); });
  REQUIRE(queue.WaitInAckBatch());
  // Mid-flush the jobs are still in the in-progress list, so a reconcile must see them held.
  CHECK(queue.InProgress().size() == 3);
  CHECK(acks.PendingJobs().size() == 3);
  CHECK(acks.pending() == 3);
  // A flush asked for meanwhile (the one before a heartbeat) returns only once they are acked.
  Status second = Status::Error("not flushed");
  size_t in_progress_after_second = 0;
  std::thread beat([&] {
    second = acks.Flush();
    in_progress_after_second = queue.InProgress().size();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  queue.Release();
  flusher.join();
  beat.join();
  CHECK(flushed.ok());
  CHECK(second.ok());
  CHECK(in_progress_after_second == 0);
  CHECK(queue.InProgress().empty());
  CHECK(acks.PendingJobs().empty());
  CHECK(queue.ack_batch_calls() == 1);
}
