// JobBuffer: the hand-off between the worker's fetcher thread and its processor threads, and the
// policy that decides how many jobs the fetcher may take. Every buffered job is already in this
// process's in-progress list (kill -9 loses nothing; another process recovers it).
// The fetcher takes one job per idle processor. Only while the queue is deep (the last batch left
// at least `prefetch` jobs behind) and jobs are fast (their running average is under
// prefetch_max_job_ms) does it take up to `prefetch` more, so a busy process never hoards slow
// jobs that another process could start now, and fast jobs never wait for a round trip.
// Thread-safety: every method may be called from many threads at once.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

#include "workers/job_queue.h"

namespace fib {

struct JobBufferOptions {
  int concurrency = 10;              // processor threads
  int prefetch = 10;                 // most jobs held beyond one per processor
  double prefetch_max_job_ms = 5.0;  // prefetch only while jobs average less than this
};

class JobBuffer {
 public:
  explicit JobBuffer(JobBufferOptions options);

  // ---- fetcher ----
  // Waits up to timeout_ms until a fetch is worth making; returns how many jobs to fetch (0 on
  // timeout or once closed).
  int WaitForRoom(int timeout_ms);
  // Hands fetched jobs (oldest first) to the processors; `left` is the queue's length after the
  // fetch (-1 unknown). Returns false, leaving `jobs` untouched, once closed.
  bool Put(std::vector<FetchedJob>* jobs, int64_t left);
  // Returns the buffered jobs (oldest first) and leaves the buffer open (quiet).
  std::vector<FetchedJob> TakeAll();

  // ---- processors ----
  // Waits for the next job and counts it as running. Returns nullopt once closed and empty of
  // jobs for this caller (Close hands the rest to its caller).
  std::optional<FetchedJob> Take();
  // Marks one job taken by Take as finished after elapsed_ms.
  void Done(double elapsed_ms);

  // Closes the buffer: Take and WaitForRoom return at once from now on. Returns the jobs no
  // processor has taken (oldest first), for the caller to put back.
  std::vector<FetchedJob> Close();

  int buffered() const;

 private:
  // REQUIRES: mu_ held.
  bool PrefetchingLocked() const;
  int WantLocked() const;
  int MinFetchLocked() const;
  void WakeFetcherIfNeededLocked();

  const JobBufferOptions options_;
  mutable std::mutex mu_;
  std::condition_variable job_ready_;   // processors wait here
  std::condition_variable room_ready_;  // the fetcher waits here
  std::deque<FetchedJob> jobs_;
  int running_ = 0;
  int takers_waiting_ = 0;
  bool fetcher_waiting_ = false;
  bool deep_ = false;
  double average_job_ms_ = -1;  // -1 until the first job finished
  bool closed_ = false;
};

}  // namespace fib
