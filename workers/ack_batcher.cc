#include "workers/ack_batcher.h"

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

Status AckBatcher::Flush() {
  std::vector<FetchedJob> batch;
  {
    std::lock_guard lock(mu_);
    batch.swap(pending_);
  }
  if (batch.empty()) return Status::Ok();
  Status status = queue_->AckBatch(batch);
  if (!status.ok()) {
    std::lock_guard lock(mu_);
    pending_.insert(pending_.begin(), std::make_move_iterator(batch.begin()),
                    std::make_move_iterator(batch.end()));
  }
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
  return pending_;
}

size_t AckBatcher::pending() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

}  // namespace fib
