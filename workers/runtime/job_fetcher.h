// JobFetcher: the worker's one fetching thread. It asks the JobBuffer how many jobs are worth
// taking, moves that many into this process's in-progress list with one JobQueue::FetchBatch,
// and hands them to the processors through the buffer. Jobs nobody will start (the worker went
// quiet, even those of a fetch in flight then, or is stopping) go straight back to their queues,
// unrun.
// Thread-safety: Start, RequestStop and Join from one thread; the quiet flag and
// RequestReconcile from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "workers/queue/job_queue.h"
#include "workers/runtime/job_buffer.h"
#include "workers/runtime/queue_selector.h"

namespace fib {

struct JobFetcherOptions {
  int fetch_timeout_ms = 1000;       // longest one fetch blocks (bounds how fast a stop is seen)
  int error_retry_ms = 1000;         // wait after a failed fetch
  int error_log_interval_ms = 5000;  // at most one "fetch failed" line per interval
};

// Puts unstarted jobs (oldest first) back at the pop end of their queues, newest first, so the
// oldest runs first again. Returns how many went back; logs the ones that could not (they stay
// in in-progress and are recovered after this process exits).
int PutBackUnstarted(JobQueue* queue, std::vector<FetchedJob> jobs);

// Returns the entries of `listed` (an in-progress list, oldest first) that no job in `held`
// accounts for. `held` has one snapshot per place a job can be held; a job seen in several of
// them (it moved on between two snapshots) counts once: per payload the largest count wins, so
// identical payloads are never over-counted (which would strand one). Under-counting only makes
// a job run twice (Requeue pushes back only what is still listed).
std::vector<FetchedJob> UnheldJobs(const std::vector<FetchedJob>& listed,
                                   const std::vector<std::vector<FetchedJob>>& held);

class JobFetcher {
 public:
  // Snapshots of the jobs this process holds beyond the buffer, one per place, taken in the
  // order jobs move through them (running, then finished with an ack pending).
  using HeldJobsFn = std::function<std::vector<std::vector<FetchedJob>>()>;

  // All pointers must outlive the fetcher. `random` orders weighted queues for each fetch. Once
  // `*quiet` is true the fetcher fetches no more and puts buffered jobs back on their queues
  // (SIGTSTP); it looks at least every fetch_timeout_ms. `on_exit` (may be empty) runs on the
  // fetcher's thread when it ends, after the last fetch's jobs were started or put back.
  JobFetcher(JobFetcherOptions options, JobQueue* queue, JobBuffer* buffer, QueueSelector selector,
             RandomFn random, const std::atomic<bool>* quiet, std::function<void()> on_exit);
  ~JobFetcher();  // RequestStop + Join

  // Once set (before Start), a failed fetch makes the fetcher reconcile this process's
  // in-progress lists as soon as the store answers again: entries it does not hold (a fetch
  // whose reply was lost moved them) go back to their queues. Without it they would stay there
  // until this process exits.
  void SetHeldJobs(HeldJobsFn held) { held_ = std::move(held); }

  // Asks the fetcher to reconcile the in-progress lists (as after a failed fetch) before its
  // next fetch: call it when a job that is no longer held could not be taken out of the list
  // (its outcome or its put-back could not be written). Returns at once; the reconcile runs
  // within about fetch_timeout_ms. Does nothing without SetHeldJobs.
  void RequestReconcile() { reconcile_requested_ = true; }

  void Start();
  // Asks the thread to end; returns at once. A fetch in flight ends within fetch_timeout_ms.
  void RequestStop();
  void Join();

  // Jobs this fetcher put back unrun (quiet, stopping).
  int put_back() const { return put_back_; }
  // Jobs found unheld in our in-progress list (after a failed fetch, a failed put-back or a
  // RequestReconcile) and put back on their queues.
  int recovered_after_failed_fetch() const { return recovered_; }

 private:
  void Loop();
  void FetchOnce(int want);
  // PutBackUnstarted, and a reconcile later for the jobs it could not put back.
  int PutBack(std::vector<FetchedJob> jobs);
  bool SleepUnlessStopping(int ms);
  // Returns false while the store is still unreachable.
  bool ReconcileInProgress();

  const JobFetcherOptions options_;
  JobQueue* queue_;
  JobBuffer* buffer_;
  const QueueSelector selector_;
  RandomFn random_;
  const std::atomic<bool>* quiet_;
  std::function<void()> on_exit_;
  HeldJobsFn held_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // guarded by mu_
  std::atomic<bool> stop_flag_{false};
  std::atomic<int> put_back_{0};
  std::atomic<int> recovered_{0};
  std::atomic<bool> reconcile_requested_{false};  // RequestReconcile
  bool reconcile_ = false;  // a fetch or put-back failed, or was requested; fetcher thread only
  const char* reconcile_reason_ = "";  // for the log line; fetcher thread only
  int64_t last_error_log_ms_ = -1;     // fetcher thread only
  std::thread thread_;
};

}  // namespace fib
