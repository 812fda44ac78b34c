// MemoryJobQueue: a JobQueue held in memory, for the worker's unit tests (no network). It keeps
// the same shapes as Redis — lists popped from the right, sorted sets by score, an in-progress
// list — and lets a test look inside, inject remote signals, orphans and outages.
// Thread-safety: every method may be called from many threads at once (one mutex).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "workers/queue/job_queue.h"

namespace fib {

// One entry of a sorted set (retry, schedule, dead), ordered by score.
struct ScoredJob {
  double score = 0;
  std::string raw;
};

class MemoryJobQueue : public JobQueue {
 public:
  MemoryJobQueue() = default;

  Status Push(const std::string& queue, const std::string& raw) override;
  Status PushBulk(const std::string& queue, const std::vector<std::string>& raws) override;
  Status Schedule(double at_seconds, const std::string& raw) override;
  Result<std::optional<FetchedJob>> Fetch(const std::vector<std::string>& queues,
                                          int timeout_ms) override;
  Status Ack(const FetchedJob& job) override;
  Result<FetchedBatch> FetchBatch(const std::vector<std::string>& queues, int max_jobs,
                                  int timeout_ms) override;
  Status AckBatch(const std::vector<FetchedJob>& jobs) override;
  Status Retry(const FetchedJob& job, const std::string& updated_raw, double at_seconds) override;
  Status Kill(const FetchedJob& job, const std::string& updated_raw, double now_seconds) override;
  // As Redis's script: pushes back only if the job was still in the in-progress list.
  Status Requeue(const FetchedJob& job) override;
  Result<std::vector<FetchedJob>> ListInProgress(const std::vector<std::string>& queues) override;
  Result<int> EnqueueDue(double now_seconds) override;
  Result<int> RecoverOrphans() override;
  Result<std::vector<std::string>> Heartbeat(const ProcessInfo& process,
                                             const std::vector<BusyJob>& busy,
                                             int64_t processed_delta, int64_t failed_delta,
                                             double now_seconds) override;
  Status Unregister(const ProcessInfo& process) override;

  // ---- for tests ----
  // Returns the jobs waiting in `queue`, the next one to be fetched first.
  std::vector<std::string> Waiting(const std::string& queue) const;
  std::vector<FetchedJob> InProgress() const;
  std::vector<ScoredJob> RetrySet() const;
  std::vector<ScoredJob> ScheduleSet() const;
  std::vector<ScoredJob> DeadSet() const;
  // Queues a remote signal ("TSTP", "TERM") for the next Heartbeat to return.
  void PushSignal(const std::string& signal);
  // Adds a job to the in-progress list of a process that died; RecoverOrphans puts it back.
  void AddOrphan(const FetchedJob& job);
  // The next `count` FetchBatch calls that move jobs move them into in-progress but then fail,
  // as when Redis ran the fetch and died before its reply reached the worker.
  void LoseFetchReplies(int count);
  // While true, every operation fails as if the store were unreachable.
  void SetUnavailable(bool unavailable);
  // Waits (up to timeout_ms) until `predicate` holds for this queue; returns whether it did.
  // The predicate runs under the queue's lock and must not call back into the queue.
  bool WaitUntil(const std::function<bool(const MemoryJobQueue&)>& predicate, int timeout_ms);

  // How many FetchBatch / AckBatch calls were made (each one round trip in Redis).
  int fetch_batch_calls() const;
  int ack_batch_calls() const;
  int64_t processed() const;
  int64_t failed() const;
  int heartbeats() const;
  std::optional<ProcessInfo> last_process() const;
  std::vector<BusyJob> last_busy() const;
  bool unregistered() const;

  // Unlocked views for WaitUntil predicates.
  size_t WaitingLocked(const std::string& queue) const;
  size_t InProgressLocked() const { return in_progress_.size(); }
  size_t RetryLocked() const { return retry_.size(); }
  size_t DeadLocked() const { return dead_.size(); }
  int64_t ProcessedLocked() const { return processed_; }
  int RequeuedLocked() const { return requeued_; }  // jobs Requeue moved back to their queue

 private:
  Status CheckAvailable() const;
  // Moves up to max_jobs from the first non-empty queue into in-progress. REQUIRES: mu_ held.
  FetchedBatch TakeBatchLocked(const std::vector<std::string>& queues, int max_jobs);
  // Removes `job` from in-progress; returns false if it was not there. REQUIRES: mu_ held.
  bool TakeInProgress(const FetchedJob& job);
  static std::vector<ScoredJob> Sorted(const std::multimap<double, std::string>& set);

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, std::deque<std::string>> queues_;  // front = LPUSH end, back = pop end
  std::vector<FetchedJob> in_progress_;
  std::vector<FetchedJob> orphans_;
  std::multimap<double, std::string> retry_, schedule_, dead_;
  std::deque<std::string> signals_;
  bool unavailable_ = false;
  int lose_fetch_replies_ = 0;
  int64_t processed_ = 0, failed_ = 0;
  int heartbeats_ = 0;
  int fetch_batch_calls_ = 0, ack_batch_calls_ = 0;
  int requeued_ = 0;
  std::optional<ProcessInfo> last_process_;
  std::vector<BusyJob> last_busy_;
  bool unregistered_ = false;
};

}  // namespace fib
