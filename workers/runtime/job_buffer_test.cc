// Unit tests of JobBuffer: how many jobs the fetcher may take (one per idle thread; a bounded
// prefetch only for a deep queue of fast jobs), the hand-off to processors, and closing.
#include "workers/runtime/job_buffer.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <utility>

using namespace fib;

namespace {

JobBufferOptions Options(int concurrency, int max_prefetch, double budget_ms) {
  JobBufferOptions options;
  options.concurrency = concurrency;
  options.max_prefetch = max_prefetch;
  options.prefetch_budget_ms = budget_ms;
  return options;
}

std::vector<FetchedJob> Jobs(int first, int count);

// Puts `jobs` into an open buffer, where every one must find a place.
void PutAll(JobBuffer& buffer, std::vector<FetchedJob> jobs, int64_t left) {
  buffer.Put(&jobs, left);
  REQUIRE(jobs.empty());
}

// Has every processor slot take (and finish, untimed) one job, as running threads would: a slot
// counts only once its thread has arrived.
void Arrive(JobBuffer& buffer, int concurrency) {
  PutAll(buffer, Jobs(-concurrency, concurrency), 0);
  for (int slot = 0; slot < concurrency; ++slot) {
    REQUIRE(buffer.Take(slot).has_value());
    buffer.Done(-1);
  }
}

std::vector<FetchedJob> Jobs(int first, int count) {
  std::vector<FetchedJob> jobs;
  for (int i = first; i < first + count; ++i) jobs.push_back({"default", std::to_string(i)});
  return jobs;
}

// Takes one job and finishes it after `ms`, as a processor would.
void RunOne(JobBuffer& buffer, double ms) {
  REQUIRE(buffer.Take(0).has_value());
  buffer.Done(ms);
}

}  // namespace

TEST_CASE("before any job finished the fetcher takes one job per idle thread", "[buffer]") {
  JobBuffer buffer(Options(4, 100, 2.0));
  CHECK(buffer.WaitForRoom(0) == 0);  // no processor thread has arrived yet
  Arrive(buffer, 4);
  CHECK(buffer.WaitForRoom(0) == 4);
  PutAll(buffer, Jobs(0, 3), 1000);
  CHECK(buffer.WaitForRoom(0) == 1);  // 3 buffered for 4 threads
  CHECK(buffer.prefetch_target() == 0);
}

TEST_CASE("a deep queue of fast jobs is prefetched up to max_prefetch", "[buffer]") {
  JobBuffer buffer(Options(4, 100, 2.0));
  Arrive(buffer, 4);
  PutAll(buffer, Jobs(0, 4), 1000);
  RunOne(buffer, 0.01);
  CHECK(buffer.prefetch_target() == 100);
  CHECK(buffer.WaitForRoom(0) == 4 + 100 - 3);
}

TEST_CASE("prefetch holds at most budget x threads of work, and none of slow jobs", "[buffer]") {
  JobBuffer buffer(Options(4, 100, 2.0));  // 8 ms of work in all
  Arrive(buffer, 4);
  PutAll(buffer, Jobs(0, 4), 1000);
  RunOne(buffer, 1.0);
  CHECK(buffer.prefetch_target() == 8);
  JobBuffer slow(Options(4, 100, 2.0));
  Arrive(slow, 4);
  PutAll(slow, Jobs(0, 4), 1000);
  RunOne(slow, 50.0);
  CHECK(slow.prefetch_target() == 0);
  CHECK(slow.WaitForRoom(0) == 1);  // only the thread that just became free
}

TEST_CASE("a shallow queue is not prefetched, however fast its jobs", "[buffer]") {
  JobBuffer buffer(Options(4, 100, 2.0));
  Arrive(buffer, 4);
  PutAll(buffer, Jobs(0, 4), 3);  // fewer left than threads
  RunOne(buffer, 0.01);
  CHECK(buffer.prefetch_target() == 0);
  PutAll(buffer, Jobs(4, 1), -1);  // unknown (after a blocking fetch) counts as shallow
  CHECK(buffer.prefetch_target() == 0);
}

TEST_CASE("while prefetching the fetcher waits until half the prefetch is used", "[buffer]") {
  JobBuffer buffer(Options(2, 10, 2.0));
  Arrive(buffer, 2);
  PutAll(buffer, Jobs(0, 2), 1000);
  RunOne(buffer, 0.01);               // one running is done; one job left buffered
  PutAll(buffer, Jobs(2, 11), 1000);  // 12 buffered = 2 + 10: full
  CHECK(buffer.WaitForRoom(0) == 0);
  for (int i = 0; i < 4; ++i) RunOne(buffer, 0.01);
  CHECK(buffer.WaitForRoom(0) == 0);  // 4 used: below half of 10
  RunOne(buffer, 0.01);
  CHECK(buffer.WaitForRoom(0) == 5);
}

TEST_CASE("fetched jobs start at once on idle processors, the rest wait in order", "[buffer]") {
  std::vector<std::pair<int, std::string>> started;  // (slot, job) as on_start saw them
  JobBuffer buffer(Options(2, 0, 2.0),
                   [&](int slot, const FetchedJob& job) { started.emplace_back(slot, job.raw); });
  auto idle = std::async(std::launch::async, [&] { return buffer.Take(1); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // slot 1 is waiting in Take
  PutAll(buffer, Jobs(0, 3), 0);
  // Job 0 started on slot 1 inside Put, before its thread even woke; 1 and 2 wait.
  REQUIRE(started.size() == 1);
  CHECK(started[0] == std::make_pair(1, std::string("0")));
  CHECK(buffer.buffered() == 2);
  auto first = idle.get();
  REQUIRE(first.has_value());
  CHECK(first->raw == "0");
  auto second = buffer.Take(0);
  REQUIRE(second.has_value());
  CHECK(second->raw == "1");
  auto third = buffer.Take(1, /*previous_ms=*/0.5);  // finishes job 0, takes the next
  REQUIRE(third.has_value());
  CHECK(third->raw == "2");
  CHECK(started.size() == 3);
}

TEST_CASE("a job started on an idle processor survives Close and Release", "[buffer]") {
  JobBuffer buffer(Options(1, 0, 2.0));
  auto idle = std::async(std::launch::async, [&] { return buffer.Take(0); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  PutAll(buffer, Jobs(0, 2), 0);
  auto left = buffer.Close();  // maybe before the processor woke: job 0 is still its to run
  buffer.Release();
  REQUIRE(left.size() == 1);
  CHECK(left[0].raw == "1");
  auto first = idle.get();
  REQUIRE(first.has_value());
  CHECK(first->raw == "0");
}

TEST_CASE("Close hands back prefetched jobs in order and stops fetching", "[buffer]") {
  JobBuffer buffer(Options(2, 0, 2.0));
  PutAll(buffer, Jobs(0, 2), 0);
  REQUIRE(buffer.Take(0).has_value());
  PutAll(buffer, Jobs(2, 1), 0);
  auto fetcher = std::async(std::launch::async, [&] { return buffer.WaitForRoom(10000); });
  auto left = buffer.Close();
  REQUIRE(left.size() == 2);
  CHECK(left[0].raw == "1");
  CHECK(left[1].raw == "2");
  CHECK(fetcher.get() == 0);
  CHECK(buffer.WaitForRoom(0) == 0);
}

TEST_CASE("after Close a late fetch starts jobs only on idle processors, after Release none",
          "[buffer]") {
  JobBuffer buffer(Options(2, 0, 2.0));
  auto idle = std::async(std::launch::async, [&] { return buffer.Take(1); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(buffer.Close().empty());
  auto late = Jobs(0, 3);
  buffer.Put(&late, 100);
  REQUIRE(late.size() == 2);  // one idle processor took job 0; nothing is buffered any more
  CHECK(late[0].raw == "1");
  CHECK(buffer.buffered() == 0);
  auto first = idle.get();
  REQUIRE(first.has_value());
  CHECK(first->raw == "0");

  auto waiting = std::async(std::launch::async, [&] { return buffer.Take(1, 0.1); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  buffer.Release();
  CHECK_FALSE(waiting.get().has_value());
  auto after = Jobs(3, 1);
  buffer.Put(&after, 100);
  CHECK(after.size() == 1);  // still the caller's to put back
  CHECK_FALSE(buffer.Take(0).has_value());
}

TEST_CASE("TakeAll empties the buffer but keeps it open", "[buffer]") {
  JobBuffer buffer(Options(2, 0, 2.0));
  PutAll(buffer, Jobs(0, 2), 0);
  CHECK(buffer.TakeAll().size() == 2);
  CHECK(buffer.buffered() == 0);
  PutAll(buffer, Jobs(2, 1), 0);
  CHECK(buffer.buffered() == 1);
}
