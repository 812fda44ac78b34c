// Unit tests of AckBatcher over MemoryJobQueue: acks go out in batches within the interval, a
// flush on demand is synchronous, and an outage keeps finished jobs pending, never dropped.
#include "workers/ack_batcher.h"

#include <catch2/catch.hpp>
#include <string>

#include "workers/memory_job_queue.h"

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
