// UnrecordedJobs: jobs whose result (ack, retry, dead) could not be written to Redis. Such a job
// stays in this worker's in-progress list, and the fetcher's reconcile puts it back on its queue
// to run again — which, with a retry or dead key that stays unusable, would re-run it (and re-send
// its email) every couple of seconds without end. This keeps it held instead: put back after a
// backoff that doubles per failure (by default 2, 4, 8, 16 s, at most 60 s), and after
// `max_failures` it is parked — left in the in-progress list, not run again by this process,
// counted and logged loudly. A parked job runs again only when recovered after this worker exits.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "workers/queue/job_queue.h"

namespace fib {

inline constexpr int kMaxUnrecordedFailures = 5;  // failed result writes before a job is parked

class UnrecordedJobs {
 public:
  explicit UnrecordedJobs(int max_failures = kMaxUnrecordedFailures, int64_t base_backoff_ms = 2000)
      : max_failures_(max_failures), base_backoff_ms_(base_backoff_ms) {}

  // Notes one more failed result write for `job` at `now_ms` (a steady clock). Returns true when
  // this failure parks it (the caller logs that once).
  bool Failed(const FetchedJob& job, int64_t now_ms);
  // Forgets `job` (its result was written at last).
  void Recorded(const FetchedJob& job);
  // Returns the jobs a reconcile must leave where they are at `now_ms`: parked ones, and those
  // whose backoff has not run out. A job whose backoff ran out is returned no more (until its
  // next failure): the reconcile puts it back on its queue.
  std::vector<FetchedJob> Holding(int64_t now_ms);
  // True when some held job's backoff has run out by `now_ms` (time for a reconcile).
  bool AnyDue(int64_t now_ms) const;
  // True when some job is held for a backoff (not parked): someone should call AnyDue soon.
  bool AnyBackingOff() const;
  int parked() const;

  // Returns the wait before the job is put back after its `failures`-th failure (ms): the base,
  // doubled per failure, at most 30x the base.
  int64_t BackoffMs(int failures) const;

 private:
  using Key = std::pair<std::string, std::string>;  // queue, raw
  struct Entry {
    int failures = 0;
    int64_t due_ms = 0;
    bool waiting = false;  // in the in-progress list, held until due_ms
  };
  static constexpr size_t kMaxEntries = 1000;
  const int max_failures_;
  const int64_t base_backoff_ms_;
  mutable std::mutex mu_;
  std::map<Key, Entry> entries_;  // guarded by mu_; bounded by the jobs that keep failing
  int parked_ = 0;                // guarded by mu_
};

}  // namespace fib
