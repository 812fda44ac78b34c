// JobFetcher: the worker's one fetching thread. It asks the JobBuffer how many jobs are worth
// taking, moves that many into this process's in-progress list with one JobQueue::FetchBatch,
// and hands them to the processors through the buffer. Jobs nobody will start (the worker went
// quiet or is stopping) go straight back to their queues, unrun.
// Thread-safety: Start, RequestStop and Join from one thread; the quiet flag from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "workers/job_buffer.h"
#include "workers/job_queue.h"
#include "workers/queue_selector.h"

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

class JobFetcher {
 public:
  // All pointers must outlive the fetcher. `random` orders weighted queues for each fetch. Once
  // `*quiet` is true the fetcher fetches no more and puts buffered jobs back on their queues
  // (SIGTSTP); it looks at least every fetch_timeout_ms. `on_exit` (may be empty) runs on the
  // fetcher's thread when it ends, after the last fetch's jobs were started or put back.
  JobFetcher(JobFetcherOptions options, JobQueue* queue, JobBuffer* buffer, QueueSelector selector,
             RandomFn random, const std::atomic<bool>* quiet, std::function<void()> on_exit);
  ~JobFetcher();  // RequestStop + Join

  void Start();
  // Asks the thread to end; returns at once. A fetch in flight ends within fetch_timeout_ms.
  void RequestStop();
  void Join();

  // Jobs this fetcher put back unrun (quiet, stopping).
  int put_back() const { return put_back_; }

 private:
  void Loop();
  void FetchOnce(int want);
  bool SleepUnlessStopping(int ms);

  const JobFetcherOptions options_;
  JobQueue* queue_;
  JobBuffer* buffer_;
  const QueueSelector selector_;
  RandomFn random_;
  const std::atomic<bool>* quiet_;
  std::function<void()> on_exit_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // guarded by mu_
  std::atomic<bool> stop_flag_{false};
  std::atomic<int> put_back_{0};
  int64_t last_error_log_ms_ = -1;  // fetcher thread only
  std::thread thread_;
};

}  // namespace fib
