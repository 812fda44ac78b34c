#include "workers/runtime/unrecorded_jobs.h"

#include <algorithm>

namespace fib {

int64_t UnrecordedJobs::BackoffMs(int failures) const {
  int64_t ms = base_backoff_ms_, most = 30 * base_backoff_ms_;
  for (int i = 1; i < failures && ms < most; ++i) ms *= 2;
  return std::min(ms, most);
}

bool UnrecordedJobs::Failed(const FetchedJob& job, int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (entries_.size() >= kMaxEntries) {
    // Jobs that were put back and have not failed since (most ran fine): forget them first.
    std::erase_if(entries_, [&](const auto& kv) {
      return !kv.second.waiting && kv.second.failures < max_failures_;
    });
  }
  Entry& entry = entries_[{job.queue, job.raw}];
  if (entry.failures >= max_failures_) return false;  // parked already
  ++entry.failures;
  entry.waiting = true;
  entry.due_ms = now_ms + BackoffMs(entry.failures);
  if (entry.failures < max_failures_) return false;
  ++parked_;
  return true;
}

void UnrecordedJobs::Recorded(const FetchedJob& job) {
  std::lock_guard lock(mu_);
  auto it = entries_.find({job.queue, job.raw});
  if (it == entries_.end()) return;
  if (it->second.failures >= max_failures_) --parked_;
  entries_.erase(it);
}

std::vector<FetchedJob> UnrecordedJobs::Holding(int64_t now_ms) {
  std::lock_guard lock(mu_);
  std::vector<FetchedJob> held;
  for (auto& [key, entry] : entries_) {
    if (!entry.waiting) continue;
    if (entry.failures >= max_failures_ || now_ms < entry.due_ms) {
      held.push_back(FetchedJob{key.first, key.second});
    } else {
      entry.waiting = false;  // this reconcile puts it back; it runs again
    }
  }
  return held;
}

bool UnrecordedJobs::AnyDue(int64_t now_ms) const {
  std::lock_guard lock(mu_);
  return std::any_of(entries_.begin(), entries_.end(), [&](const auto& kv) {
    const Entry& e = kv.second;
    return e.waiting && e.failures < max_failures_ && now_ms >= e.due_ms;
  });
}

bool UnrecordedJobs::AnyBackingOff() const {
  std::lock_guard lock(mu_);
  return std::any_of(entries_.begin(), entries_.end(), [&](const auto& kv) {
    return kv.second.waiting && kv.second.failures < max_failures_;
  });
}

int UnrecordedJobs::parked() const {
  std::lock_guard lock(mu_);
  return parked_;
}

}  // namespace fib
