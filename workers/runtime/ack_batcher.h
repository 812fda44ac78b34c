// AckBatcher: acknowledges finished jobs in batches (JobQueue::AckBatch: one round trip for many
// LREMs) from a thread of its own, so processors never wait on Redis for a successful job.
// A batch goes out when it holds max_batch jobs, else flush_interval_ms after its first job, and
// whenever Flush is called (the worker does before each heartbeat and at shutdown).
// Trade-off: a job that finished but whose ack is still pending sits in the in-progress list; if
// the process is killed with -9 in that window (a few ms), the job is recovered and runs again.
// That is a duplicate (at-least-once delivery, as before), never a loss.
// Thread-safety: every method may be called from many threads at once; Start/Stop from one.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "common/status.h"
#include "workers/queue/job_queue.h"

namespace fib {

struct AckBatcherOptions {
  int flush_interval_ms = 2;    // longest a finished job waits for its ack (unless Redis fails)
  int max_batch = 256;          // acks per round trip; a full batch goes out at once
  int retry_interval_ms = 500;  // wait after a failed flush before trying again
};

class AckBatcher {
 public:
  // `queue` must outlive the batcher. `after_flush` (may be empty) runs on the flushing thread
  // after every flush, e.g. to write buffered log lines at the same rhythm.
  AckBatcher(AckBatcherOptions options, JobQueue* queue, std::function<void()> after_flush);
  ~AckBatcher();  // Stop()
  AckBatcher(const AckBatcher&) = delete;
  AckBatcher& operator=(const AckBatcher&) = delete;

  void Start();
  // Queues `job` for acknowledgement.
  void Add(FetchedJob job);
  // Asks the thread to run after_flush soon even with no acks pending (e.g. a failure was logged).
  void Touch();
  // Acks everything pending now on the calling thread, after any flush in flight has ended (so
  // on return every job added before the call is acked, or still pending on failure).
  Status Flush();
  // Stops the thread after a last flush (tried `attempts` times, 200 ms apart, more each time).
  // Returns how many finished jobs could not be acked (they stay in in-progress and run again
  // after this process exits).
  int Stop(int attempts = 5);

  // Returns how many finished jobs are not acked yet (waiting, or in a flush in flight).
  size_t pending() const;
  // Returns copies of the jobs not acked yet, those of a flush in flight included: until
  // AckBatch returns they are still in the in-progress list, and a reconcile that did not see
  // them would put finished jobs back on their queues.
  std::vector<FetchedJob> PendingJobs() const;

 private:
  void Loop();

  const AckBatcherOptions options_;
  JobQueue* queue_;
  std::function<void()> after_flush_;
  std::mutex flush_mu_;  // one flush at a time: a flush owns inflight_ until AckBatch returns
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<FetchedJob> pending_;
  // The batch being acked. Written under flush_mu_ and mu_; read by the flusher under flush_mu_
  // (during AckBatch, without mu_) and by PendingJobs under mu_.
  std::vector<FetchedJob> inflight_;
  bool touched_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace fib
