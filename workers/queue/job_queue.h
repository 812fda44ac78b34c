// JobQueue: the worker's seam to its queue store (as LevelDB's Env). RedisJobQueue speaks
// Sidekiq 6.4's keys and commands; MemoryJobQueue backs unit tests with no network.
// Payloads cross this interface as the raw JSON text stored in the queue, so an ack removes
// exactly what was fetched.
// Thread-safety: every method may be called from many threads at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace fib {

// A job taken from a queue and held in this process's in-progress list until finished.
struct FetchedJob {
  std::string queue;          // queue name without the "queue:" prefix
  std::string raw;            // the payload exactly as stored
  int64_t fetched_at_us = 0;  // wall clock when it left its queue (X-Fib-Timing); 0 = unknown
};

// What one FetchBatch moved into in-progress.
struct FetchedBatch {
  std::vector<FetchedJob> jobs;  // all from one queue, oldest first (the order Fetch would give)
  int64_t left = -1;             // jobs still waiting in that queue after the move; -1 = unknown
};

// What the heartbeat publishes about this process (Sidekiq's `processes` registry).
struct ProcessInfo {
  std::string identity;  // hostname:pid:<12 hex>
  std::string hostname;
  int pid = 0;
  std::string tag;
  int concurrency = 0;
  std::vector<std::string> queues;
  double started_at = 0;
  bool quiet = false;
  int busy = 0;
  int64_t rss_kb = 0;
  std::string liveness_token;  // ProcessLivenessToken (common/process.h); "" = not published
};

// A job running now, for `<identity>:workers`.
struct BusyJob {
  std::string thread_id;  // field name, e.g. "tid-3"
  std::string queue;
  std::string raw;     // payload JSON
  int64_t run_at = 0;  // epoch seconds
};

class JobQueue {
 public:
  virtual ~JobQueue() = default;

  // ---- producing ----
  // Pushes one job now (SADD queues + LPUSH queue:<queue>, pipelined).
  virtual Status Push(const std::string& queue, const std::string& raw) = 0;
  // Pushes many jobs to one queue in one round trip.
  virtual Status PushBulk(const std::string& queue, const std::vector<std::string>& raws) = 0;
  // Schedules a job for later (ZADD schedule <at> <raw>).
  virtual Status Schedule(double at_seconds, const std::string& raw) = 0;

  // ---- consuming (reliable fetch) ----
  // Atomically moves the next job from `queues` (tried in the given order) into this process's
  // in-progress list. Waits up to timeout_ms; returns nullopt when nothing arrived.
  virtual Result<std::optional<FetchedJob>> Fetch(const std::vector<std::string>& queues,
                                                  int timeout_ms) = 0;
  // Removes a finished job from the in-progress list.
  virtual Status Ack(const FetchedJob& job) = 0;
  // As up to `max_jobs` Fetches in a row, in one step: atomically moves the oldest jobs of the
  // first non-empty queue in `queues` (never several queues in one batch) into in-progress.
  // Waits up to timeout_ms when all are empty; returns an empty batch when nothing arrived.
  // REQUIRES: max_jobs >= 1. The default fetches one job with Fetch.
  virtual Result<FetchedBatch> FetchBatch(const std::vector<std::string>& queues, int max_jobs,
                                          int timeout_ms);
  // As Ack on each job, in as few round trips as the store allows. The default calls Ack.
  virtual Status AckBatch(const std::vector<FetchedJob>& jobs);
  // Atomically removes `job` from the in-progress list and adds `updated_raw` to `retry` at `at`.
  virtual Status Retry(const FetchedJob& job, const std::string& updated_raw,
                       double at_seconds) = 0;
  // Atomically removes `job` from in-progress and adds `updated_raw` to `dead` (with its trims:
  // older than 180 days, more than 10,000 entries).
  virtual Status Kill(const FetchedJob& job, const std::string& updated_raw,
                      double now_seconds) = 0;
  // Atomically puts an unfinished job back at the pop end of its queue (RPUSH) and removes it
  // from in-progress (graceful shutdown).
  virtual Status Requeue(const FetchedJob& job) = 0;
  // Returns what sits in this process's in-progress lists of `queues` now, oldest fetched first
  // per queue (one entry per copy). A fetch whose reply was lost (the store moved the jobs, then
  // the connection failed) leaves jobs there that this process does not hold; the fetcher puts
  // them back (JobFetcher). The default (a store that cannot lose a reply) lists nothing.
  virtual Result<std::vector<FetchedJob>> ListInProgress(const std::vector<std::string>& queues);

  // ---- recovered jobs (docs/reliability.md, "Poison pills") ----
  // RecoverOrphans puts a dead process's jobs aside, not back on their queues: one of them may be
  // what killed it. A worker takes them one at a time with FetchRecovered (non-blocking; into its
  // in-progress list, as Fetch) and runs each alone, so a crash takes no other job with it.
  // The default (a store without recovery) has none.
  virtual Result<std::optional<FetchedJob>> FetchRecovered(const std::vector<std::string>& queues);
  // Puts a job taken with FetchRecovered back among the recovered jobs. `crashed`: the process
  // running it alone died, which counts as one more recovery; past the store's limit the job goes
  // to dead as a poison pill instead (`why` says how it died). Not crashed (e.g. stopped at
  // shutdown): back unchanged. The default puts it back on its queue.
  virtual Status ReturnRecovered(const FetchedJob& job, bool crashed, const std::string& why);

  // ---- housekeeping ----
  // Moves jobs due by `now` from `retry` then `schedule` to their queues, each atomically (so two
  // workers never both push one), with a fresh enqueued_at. Returns how many moved.
  virtual Result<int> EnqueueDue(double now_seconds) = 0;
  // Moves the in-progress jobs of processes whose heartbeat has expired to the recovered jobs of
  // their queues (FetchRecovered). Returns how many jobs were recovered; fails only when the list
  // of lists cannot be read (a list that cannot be recovered is logged and left for the next pass).
  virtual Result<int> RecoverOrphans() = 0;
  // Publishes the heartbeat (processes, <identity> hash with expiry, <identity>:workers,
  // stat counters incremented by the deltas) and returns signals popped from <identity>-signals.
  virtual Result<std::vector<std::string>> Heartbeat(const ProcessInfo& process,
                                                     const std::vector<BusyJob>& busy,
                                                     int64_t processed_delta, int64_t failed_delta,
                                                     double now_seconds) = 0;
  // Removes this process from the registry (clean exit).
  virtual Status Unregister(const ProcessInfo& process) = 0;
};

inline Result<FetchedBatch> JobQueue::FetchBatch(const std::vector<std::string>& queues, int,
                                                 int timeout_ms) {
  auto job = Fetch(queues, timeout_ms);
  if (!job.ok()) return job.status();
  FetchedBatch batch;
  if (job->has_value()) batch.jobs.push_back(std::move(**job));
  return batch;
}

inline Result<std::vector<FetchedJob>> JobQueue::ListInProgress(const std::vector<std::string>&) {
  return std::vector<FetchedJob>{};
}

inline Result<std::optional<FetchedJob>> JobQueue::FetchRecovered(const std::vector<std::string>&) {
  return std::optional<FetchedJob>();
}

inline Status JobQueue::ReturnRecovered(const FetchedJob& job, bool, const std::string&) {
  return Requeue(job);
}

inline Status JobQueue::AckBatch(const std::vector<FetchedJob>& jobs) {
  for (const FetchedJob& job : jobs) {
    if (Status status = Ack(job); !status.ok()) return status;
  }
  return Status::Ok();
}

}  // namespace fib
