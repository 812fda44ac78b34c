#include "workers/runtime/ack_batcher.h"

#include <chrono>

#include "common/log.h"

namespace fib {

AckBatcher::AckBatcher(AckBatcherOptions options, JobQueue* queue,
                       std::function<void()> after_flush)
    : options_(options), queue_(queue), after_flush_(std::move(after_flush)) {}

AckBatcher::~AckBatcher() { Stop(); }

void AckBatcher::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { Loop(); });
}

void AckBatcher::Add(FetchedJob job) {
  std::lock_guard lock(mu_);
  pending_.push_back(std::move(job));
  // Wake the thread only on the first job of a batch and when the batch is full: a notify per
  // job would cost a futex call per job.
  if (pending_.size() == 1 || pending_.size() == static_cast<size_t>(options_.max_batch)) {
    wake_.notify_one();
  }
}

void AckBatcher::Touch() {
  std::lock_guard lock(mu_);
  touched_ = true;
  wake_.notify_one();
}

// Serialised, so that a flush that finds nothing pending (e.g. the one before a heartbeat)
// returns only after the flush in flight has acked its jobs.
Status AckBatcher::Flush() {
  std::lock_guard flush_lock(flush_mu_);
  {
    std::lock_guard lock(mu_);
    inflight_.swap(pending_);
  }
  if (inflight_.empty()) return Status::Ok();
  Status status = queue_->AckBatch(inflight_);
  std::lock_guard lock(mu_);
  if (!status.ok()) {
    pending_.insert(pending_.begin(), std::make_move_iterator(inflight_.begin()),
                    std::make_move_iterator(inflight_.end()));
    // The thread may have gone to sleep while these were in flight (nothing pending then):
    // wake it, or they would wait for the next Add.
    wake_.notify_one();
  }
  inflight_.clear();
  return status;
}

void AckBatcher::Loop() {
  auto last_error_log = std::chrono::steady_clock::time_point();
  std::unique_lock lock(mu_);
  while (!stop_) {
    wake_.wait(lock, [this] { return stop_ || touched_ || !pending_.empty(); });
    if (stop_) break;
    // Let the batch fill for up to one interval.
    wake_.wait_for(lock, std::chrono::milliseconds(options_.flush_interval_ms), [this] {
      return stop_ || pending_.size() >= static_cast<size_t>(options_.max_batch);
    });
    touched_ = false;
    lock.unlock();
    Status flushed = Flush();
    if (after_flush_) after_flush_();
    lock.lock();
    if (flushed.ok()) continue;
    auto now = std::chrono::steady_clock::now();
    if (now - last_error_log > std::chrono::seconds(5)) {
      last_error_log = now;
      Log("cannot ack {} finished jobs (retrying; until then they stay in the in-progress list): "
          "{}",
          pending_.size(), flushed.message());
    }
    wake_.wait_for(lock, std::chrono::milliseconds(options_.retry_interval_ms),
                   [this] { return stop_; });
  }
}

int AckBatcher::Stop(int attempts) {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  Status flushed = Flush();
  for (int attempt = 1; attempt < attempts && !flushed.ok(); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt));
    flushed = Flush();
  }
  if (after_flush_) after_flush_();
  if (flushed.ok()) return 0;
  int left = static_cast<int>(pending());
  Log("cannot ack {} finished jobs; they stay in this worker's in-progress list and will run "
      "again after this worker exits: {}",
      left, flushed.message());
  return left;
}

std::vector<FetchedJob> AckBatcher::PendingJobs() const {
  std::lock_guard lock(mu_);
  std::vector<FetchedJob> jobs = inflight_;
  jobs.insert(jobs.end(), pending_.begin(), pending_.end());
  return jobs;
}

size_t AckBatcher::pending() const {
  std::lock_guard lock(mu_);
  return inflight_.size() + pending_.size();
}

}  // namespace fib
