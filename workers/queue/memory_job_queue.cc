#include "workers/queue/memory_job_queue.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

namespace fib {

Status MemoryJobQueue::CheckAvailable() const {
  return unavailable_ ? Status::Error("memory queue: unavailable (test outage)") : Status::Ok();
}

Status MemoryJobQueue::Push(const std::string& queue, const std::string& raw) {
  return PushBulk(queue, {raw});
}

Status MemoryJobQueue::PushBulk(const std::string& queue, const std::vector<std::string>& raws) {
  std::lock_guard lock(mu_);
  if (Status s = CheckAvailable(); !s.ok()) return s;
  for (const std::string& raw : raws) queues_[queue].push_front(raw);
  changed_.notify_all();
  return Status::Ok();
}

Status MemoryJobQueue::Schedule(double at_seconds, const std::string& raw) {
  std::lock_guard lock(mu_);
  if (Status s = CheckAvailable(); !s.ok()) return s;
  schedule_.emplace(at_seconds, raw);
  return Status::Ok();
}

Result<std::optional<FetchedJob>> MemoryJobQueue::Fetch(const std::vector<std::string>& queues,
                                                        int timeout_ms) {
  std::unique_lock lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (Status s = CheckAvailable(); !s.ok()) return s;
    for (const std::string& name : queues) {
      auto it = queues_.find(name);
      if (it == queues_.end() || it->second.empty()) continue;
      FetchedJob job{name, std::move(it->second.back())};
      it->second.pop_back();
      in_progress_.push_back(job);
      changed_.notify_all();
      return std::optional<FetchedJob>(std::move(job));
    }
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
      return std::optional<FetchedJob>();
    }
  }
}

FetchedBatch MemoryJobQueue::TakeBatchLocked(const std::vector<std::string>& queues, int max_jobs) {
  FetchedBatch batch;
  for (const std::string& name : queues) {
    auto it = queues_.find(name);
    if (it == queues_.end() || it->second.empty()) continue;
    while (!it->second.empty() && static_cast<int>(batch.jobs.size()) < max_jobs) {
      batch.jobs.push_back(FetchedJob{name, std::move(it->second.back())});
      it->second.pop_back();
      in_progress_.push_back(batch.jobs.back());
    }
    batch.left = static_cast<int64_t>(it->second.size());
    changed_.notify_all();
    break;
  }
  return batch;
}

Result<FetchedBatch> MemoryJobQueue::FetchBatch(const std::vector<std::string>& queues,
                                                int max_jobs, int timeout_ms) {
  if (max_jobs < 1) return Status::Error("FetchBatch needs max_jobs >= 1");
  std::unique_lock lock(mu_);
  ++fetch_batch_calls_;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (Status s = CheckAvailable(); !s.ok()) return s;
    FetchedBatch batch = TakeBatchLocked(queues, max_jobs);
    if (!batch.jobs.empty() && lose_fetch_replies_ > 0) {
      --lose_fetch_replies_;
      return Status::Error("memory queue: fetch reply lost (test outage after the move)");
    }
    if (!batch.jobs.empty()) return batch;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) return FetchedBatch{};
  }
}

Status MemoryJobQueue::AckBatch(const std::vector<FetchedJob>& jobs) {
  std::lock_guard lock(mu_);
  ++ack_batch_calls_;
  if (Status s = CheckAvailable(); !s.ok()) return s;
  for (const FetchedJob& job : jobs) TakeInProgress(job);
  return Status::Ok();
}

bool MemoryJobQueue::TakeInProgress(const FetchedJob& job) {
  auto it = std::find_if(in_progress_.begin(), in_progress_.end(), [&](const FetchedJob& j) {
    return j.queue == job.queue && j.raw == job.raw;
  });
  if (it == in_progress_.end()) return false;
  in_progress_.erase(it);
  changed_.notify_all();
  return true;
}

Status MemoryJobQueue::Ack(const FetchedJob& job) {
  std::lock_guard lock(mu_);
  if (Status s = CheckAvailable(); !s.ok()) return s;
  TakeInProgress(job);
  return Status::Ok();
}

Status MemoryJobQueue::Retry(const FetchedJob& job, const std::string& updated_raw,
                             double at_seconds) {
  std::lock_guard lock(mu_);
  if (Status s = CheckAvailable(); !s.ok()) return s;
  if (!TakeInProgress(job)) return Status::Ok();  // recovered meanwhile: it runs again anyway
  retry_.emplace(at_seconds, updated_raw);
  changed_.notify_all();
  return Status::Ok();
}

Status MemoryJobQueue::Kill(const FetchedJob& job, const std::string& updated_raw,
                            double now_seconds) {
  std::lock_guard lock(mu_);
  if (Status s = CheckAvailable(); !s.ok()) return s;
  TakeInProgress(job);
  dead_.emplace(now_seconds, updated_raw);
  // The same trims Sidekiq applies: older than 180 days, more than 10,000 entries.
  dead_.erase(dead_.begin(), dead_.lower_bound(now_seconds - 180.0 * 24 * 3600));
  while (dead_.size() > 10000) dead_.erase(dead_.begin());
  changed_.notify_all();
  return Status::Ok();
}

Status MemoryJobQueue::Requeue(const FetchedJob& job) {
  std::lock_guard lock(mu_);
  if (Status s = CheckAvailable(); !s.ok()) return s;
  if (!TakeInProgress(job)) return Status::Ok();
  ++requeued_;
  queues_[job.queue].push_back(job.raw);  // RPUSH: the pop end, so it runs next
  changed_.notify_all();
  return Status::Ok();
}

Result<std::vector<FetchedJob>> MemoryJobQueue::ListInProgress(
    const std::vector<std::string>& queues) {
  std::lock_guard lock(mu_);
  if (Status s = CheckAvailable(); !s.ok()) return s;
  std::vector<FetchedJob> listed;
  for (const FetchedJob& job : in_progress_) {
    if (std::find(queues.begin(), queues.end(), job.queue) != queues.end()) listed.push_back(job);
  }
  return listed;
}

Result<int> MemoryJobQueue::EnqueueDue(double now_seconds) {
  std::lock_guard lock(mu_);
  if (Status s = CheckAvailable(); !s.ok()) return s;
  int moved = 0;
  for (auto* set : {&retry_, &schedule_}) {
    while (!set->empty() && set->begin()->first <= now_seconds) {
      std::string raw = set->begin()->second;
      set->erase(set->begin());
      std::string queue = "default";
      nlohmann::json job = nlohmann::json::parse(raw, nullptr, false);
      if (job.is_object()) {
        if (job.contains("queue") && job["queue"].is_string()) queue = job["queue"];
        job["enqueued_at"] = now_seconds;
        raw = job.dump();
      }
      queues_[queue].push_front(raw);
      ++moved;
    }
  }
  changed_.notify_all();
  return moved;
}

Result<int> MemoryJobQueue::RecoverOrphans() {
  std::lock_guard lock(mu_);
  if (Status s = CheckAvailable(); !s.ok()) return s;
  int recovered = static_cast<int>(orphans_.size());
  for (const FetchedJob& job : orphans_) queues_[job.queue].push_back(job.raw);
  orphans_.clear();
  changed_.notify_all();
  return recovered;
}

Result<std::vector<std::string>> MemoryJobQueue::Heartbeat(const ProcessInfo& process,
                                                           const std::vector<BusyJob>& busy,
                                                           int64_t processed_delta,
                                                           int64_t failed_delta, double) {
  std::lock_guard lock(mu_);
  if (Status s = CheckAvailable(); !s.ok()) return s;
  processed_ += processed_delta;
  failed_ += failed_delta;
  ++heartbeats_;
  last_process_ = process;
  last_busy_ = busy;
  std::vector<std::string> signals(signals_.begin(), signals_.end());
  signals_.clear();
  changed_.notify_all();
  return signals;
}

Status MemoryJobQueue::Unregister(const ProcessInfo&) {
  std::lock_guard lock(mu_);
  if (Status s = CheckAvailable(); !s.ok()) return s;
  unregistered_ = true;
  changed_.notify_all();
  return Status::Ok();
}

std::vector<std::string> MemoryJobQueue::Waiting(const std::string& queue) const {
  std::lock_guard lock(mu_);
  auto it = queues_.find(queue);
  if (it == queues_.end()) return {};
  return std::vector<std::string>(it->second.rbegin(), it->second.rend());
}

size_t MemoryJobQueue::WaitingLocked(const std::string& queue) const {
  auto it = queues_.find(queue);
  return it == queues_.end() ? 0 : it->second.size();
}

std::vector<FetchedJob> MemoryJobQueue::InProgress() const {
  std::lock_guard lock(mu_);
  return in_progress_;
}

std::vector<ScoredJob> MemoryJobQueue::Sorted(const std::multimap<double, std::string>& set) {
  std::vector<ScoredJob> out;
  for (const auto& [score, raw] : set) out.push_back({score, raw});
  return out;
}

std::vector<ScoredJob> MemoryJobQueue::RetrySet() const {
  std::lock_guard lock(mu_);
  return Sorted(retry_);
}

std::vector<ScoredJob> MemoryJobQueue::ScheduleSet() const {
  std::lock_guard lock(mu_);
  return Sorted(schedule_);
}

std::vector<ScoredJob> MemoryJobQueue::DeadSet() const {
  std::lock_guard lock(mu_);
  return Sorted(dead_);
}

void MemoryJobQueue::PushSignal(const std::string& signal) {
  std::lock_guard lock(mu_);
  signals_.push_back(signal);
}

void MemoryJobQueue::AddOrphan(const FetchedJob& job) {
  std::lock_guard lock(mu_);
  orphans_.push_back(job);
}

void MemoryJobQueue::LoseFetchReplies(int count) {
  std::lock_guard lock(mu_);
  lose_fetch_replies_ = count;
}

void MemoryJobQueue::SetUnavailable(bool unavailable) {
  std::lock_guard lock(mu_);
  unavailable_ = unavailable;
  changed_.notify_all();
}

bool MemoryJobQueue::WaitUntil(const std::function<bool(const MemoryJobQueue&)>& predicate,
                               int timeout_ms) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [&] { return predicate(*this); });
}

int MemoryJobQueue::fetch_batch_calls() const {
  std::lock_guard lock(mu_);
  return fetch_batch_calls_;
}

int MemoryJobQueue::ack_batch_calls() const {
  std::lock_guard lock(mu_);
  return ack_batch_calls_;
}

int64_t MemoryJobQueue::processed() const {
  std::lock_guard lock(mu_);
  return processed_;
}

int64_t MemoryJobQueue::failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}

int MemoryJobQueue::heartbeats() const {
  std::lock_guard lock(mu_);
  return heartbeats_;
}

std::optional<ProcessInfo> MemoryJobQueue::last_process() const {
  std::lock_guard lock(mu_);
  return last_process_;
}

std::vector<BusyJob> MemoryJobQueue::last_busy() const {
  std::lock_guard lock(mu_);
  return last_busy_;
}

bool MemoryJobQueue::unregistered() const {
  std::lock_guard lock(mu_);
  return unregistered_;
}

}  // namespace fib
