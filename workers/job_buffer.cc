#include "workers/job_buffer.h"

#include <algorithm>
#include <chrono>

namespace fib {
namespace {

constexpr double kAverageWeight = 0.05;  // each finished job moves the average by 5%

}  // namespace

JobBuffer::JobBuffer(JobBufferOptions options) : options_(options) {}

bool JobBuffer::PrefetchingLocked() const {
  return options_.prefetch > 0 && deep_ && average_job_ms_ >= 0 &&
         average_job_ms_ < options_.prefetch_max_job_ms;
}

int JobBuffer::WantLocked() const {
  int capacity = options_.concurrency + (PrefetchingLocked() ? options_.prefetch : 0);
  return capacity - running_ - static_cast<int>(jobs_.size());
}

// While prefetching, wait until half the prefetch is used up, so each round trip brings a batch
// rather than a job; processors never idle meanwhile (the other half is still buffered).
int JobBuffer::MinFetchLocked() const {
  return PrefetchingLocked() ? std::max(1, options_.prefetch / 2) : 1;
}

void JobBuffer::WakeFetcherIfNeededLocked() {
  if (fetcher_waiting_ && WantLocked() >= MinFetchLocked()) room_ready_.notify_one();
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

bool JobBuffer::Put(std::vector<FetchedJob>* jobs, int64_t left) {
  std::lock_guard lock(mu_);
  if (closed_) return false;
  deep_ = left >= std::max(options_.prefetch, 1);
  for (FetchedJob& job : *jobs) jobs_.push_back(std::move(job));
  jobs->clear();
  // One wake per job at most, and none when every processor is busy.
  size_t wakes = std::min(jobs_.size(), static_cast<size_t>(takers_waiting_));
  for (size_t i = 0; i < wakes; ++i) job_ready_.notify_one();
  return true;
}

std::vector<FetchedJob> JobBuffer::TakeAll() {
  std::lock_guard lock(mu_);
  std::vector<FetchedJob> taken(std::make_move_iterator(jobs_.begin()),
                                std::make_move_iterator(jobs_.end()));
  jobs_.clear();
  return taken;
}

std::optional<FetchedJob> JobBuffer::Take() {
  std::unique_lock lock(mu_);
  if (jobs_.empty() && !closed_) {
    WakeFetcherIfNeededLocked();
    ++takers_waiting_;
    job_ready_.wait(lock, [this] { return closed_ || !jobs_.empty(); });
    --takers_waiting_;
  }
  if (closed_) return std::nullopt;
  FetchedJob job = std::move(jobs_.front());
  jobs_.pop_front();
  ++running_;
  return job;
}

void JobBuffer::Done(double elapsed_ms) {
  std::lock_guard lock(mu_);
  --running_;
  average_job_ms_ = average_job_ms_ < 0
                        ? elapsed_ms
                        : average_job_ms_ + kAverageWeight * (elapsed_ms - average_job_ms_);
  WakeFetcherIfNeededLocked();
}

std::vector<FetchedJob> JobBuffer::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  job_ready_.notify_all();
  room_ready_.notify_all();
  std::vector<FetchedJob> left(std::make_move_iterator(jobs_.begin()),
                               std::make_move_iterator(jobs_.end()));
  jobs_.clear();
  return left;
}

int JobBuffer::buffered() const {
  std::lock_guard lock(mu_);
  return static_cast<int>(jobs_.size());
}

}  // namespace fib
