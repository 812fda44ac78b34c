#include "workers/runtime/job_buffer.h"

#include <algorithm>
#include <chrono>

#include "common/require.h"

namespace fib {
namespace {

constexpr double kAverageWeight = 0.05;  // each finished job moves the average by 5%

}  // namespace

JobBuffer::JobBuffer(JobBufferOptions options, StartFn on_start)
    : options_(options), on_start_(std::move(on_start)) {
  for (int i = 0; i < options_.concurrency; ++i) takers_.push_back(std::make_unique<Taker>());
}

// Until a job has finished nothing is known about job times, so nothing is prefetched.
int JobBuffer::PrefetchTargetLocked() const {
  if (options_.max_prefetch <= 0 || !deep_ || average_job_ms_ < 0) return 0;
  double budget_ms = options_.prefetch_budget_ms * options_.concurrency;
  if (average_job_ms_ * options_.max_prefetch <= budget_ms) return options_.max_prefetch;
  return static_cast<int>(budget_ms / average_job_ms_);
}

// Counting only processors that have arrived keeps a job fetched at start-up from waiting in the
// buffer (where a stop would put it back) for a thread that is not running yet.
int JobBuffer::WantLocked() const {
  int capacity = arrived_ + PrefetchTargetLocked();
  return capacity - running_ - static_cast<int>(jobs_.size());
}

// While prefetching, wait until half the prefetch is used up, so each round trip brings a batch
// rather than a job; processors never idle meanwhile (the other half is still buffered).
int JobBuffer::MinFetchLocked() const { return std::max(1, PrefetchTargetLocked() / 2); }

void JobBuffer::WakeFetcherIfNeededLocked() {
  if (fetcher_waiting_ && WantLocked() >= MinFetchLocked()) room_ready_.notify_one();
}

void JobBuffer::StartLocked(int slot, const FetchedJob& job) {
  ++running_;
  if (on_start_) on_start_(slot, job);
}

void JobBuffer::FinishLocked(double elapsed_ms) {
  --running_;
  if (elapsed_ms >= 0) {
    average_job_ms_ = average_job_ms_ < 0
                          ? elapsed_ms
                          : average_job_ms_ + kAverageWeight * (elapsed_ms - average_job_ms_);
  }
  WakeFetcherIfNeededLocked();
}

int JobBuffer::WaitForRoom(int timeout_ms) {
  std::unique_lock lock(mu_);
  fetcher_waiting_ = true;
  room_ready_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                       [this] { return closed_ || WantLocked() >= MinFetchLocked(); });
  fetcher_waiting_ = false;
  if (closed_) return 0;
  int want = WantLocked();
  return want >= MinFetchLocked() ? want : 0;
}

void JobBuffer::Put(std::vector<FetchedJob>* jobs, int64_t left) {
  std::lock_guard lock(mu_);
  if (released_) return;
  deep_ = left >= options_.concurrency;
  size_t placed = 0;
  for (; placed < jobs->size(); ++placed) {
    FetchedJob& job = (*jobs)[placed];
    if (idle_.empty()) {
      if (closed_) break;
      jobs_.push_back(std::move(job));
      continue;
    }
    // The most recently idle processor first: its stack is likely still in cache.
    Taker& taker = *takers_[idle_.back()];
    StartLocked(idle_.back(), job);
    idle_.pop_back();
    taker.assigned = std::move(job);
    taker.wake.notify_one();
  }
  jobs->erase(jobs->begin(), jobs->begin() + static_cast<std::ptrdiff_t>(placed));
}

std::vector<FetchedJob> JobBuffer::TakeAll() {
  std::lock_guard lock(mu_);
  std::vector<FetchedJob> taken(std::make_move_iterator(jobs_.begin()),
                                std::make_move_iterator(jobs_.end()));
  jobs_.clear();
  return taken;
}

std::optional<FetchedJob> JobBuffer::Take(int slot, double previous_ms) {
  FIB_REQUIRE(slot >= 0 && static_cast<size_t>(slot) < takers_.size());
  std::unique_lock lock(mu_);
  Taker& taker = *takers_[slot];
  if (!taker.arrived) {
    taker.arrived = true;
    ++arrived_;
  }
  if (previous_ms >= 0) FinishLocked(previous_ms);
  if (released_) return std::nullopt;
  if (!jobs_.empty()) {
    FetchedJob job = std::move(jobs_.front());
    jobs_.pop_front();
    StartLocked(slot, job);
    return job;
  }
  idle_.push_back(slot);
  WakeFetcherIfNeededLocked();
  taker.wake.wait(lock, [&] { return released_ || taker.assigned.has_value(); });
  if (!taker.assigned) {  // released while waiting
    idle_.erase(std::find(idle_.begin(), idle_.end(), slot));
    return std::nullopt;
  }
  // Assigned before the release: the job has started and must run.
  std::optional<FetchedJob> job = std::move(taker.assigned);
  taker.assigned.reset();
  return job;
}

void JobBuffer::Done(double elapsed_ms) {
  std::lock_guard lock(mu_);
  FinishLocked(elapsed_ms);
}

std::vector<FetchedJob> JobBuffer::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  room_ready_.notify_all();
  std::vector<FetchedJob> left(std::make_move_iterator(jobs_.begin()),
                               std::make_move_iterator(jobs_.end()));
  jobs_.clear();
  return left;
}

void JobBuffer::Release() {
  std::lock_guard lock(mu_);
  closed_ = released_ = true;
  room_ready_.notify_all();
  for (auto& taker : takers_) taker->wake.notify_one();
}

int JobBuffer::prefetch_target() const {
  std::lock_guard lock(mu_);
  return PrefetchTargetLocked();
}

std::vector<FetchedJob> JobBuffer::Snapshot() const {
  std::lock_guard lock(mu_);
  return std::vector<FetchedJob>(jobs_.begin(), jobs_.end());
}

int JobBuffer::buffered() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(jobs_.size());
}

}  // namespace fib
