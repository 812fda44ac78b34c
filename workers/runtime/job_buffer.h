// JobBuffer: the hand-off between the worker's fetcher thread and its processor threads, and the
// policy that decides how many jobs the fetcher may take. Every job here is already in this
// process's in-progress list (kill -9 loses nothing; another process recovers it).
// Policy: the fetcher takes one job per idle processor. Only while the queue is deep (the last
// batch left at least `concurrency` jobs behind) does it prefetch more, and then only
// prefetch_budget_ms of work per processor (by the running average job time), at most
// max_prefetch jobs. So slow jobs (averaging over budget x concurrency) are never hoarded
// while another process could start them, and fast jobs never wait for a round trip to Redis.
// Hand-off: a fetched job goes straight to an idle processor when there is one, and has then
// started (on_start runs under the buffer's lock, so a stop can never miss it). Only jobs beyond
// the idle processors wait here, prefetched. Stopping takes two steps: Close hands back the
// prefetched jobs and asks for no more fetches, but a fetch already in flight may still start
// jobs on processors idle right then (as Sidekiq); Release then lets the idle processors go.
// Thread-safety: every method may be called from many threads at once (one thread per slot).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "workers/queue/job_queue.h"

namespace fib {

struct JobBufferOptions {
  int concurrency = 10;             // processor threads (slots 0..concurrency-1)
  int max_prefetch = 100;           // most jobs held beyond one per processor
  double prefetch_budget_ms = 2.0;  // most prefetched work per processor (by the average job)
};

class JobBuffer {
 public:
  // Runs under the buffer's lock as `job` starts on processor `slot`; must not call back.
  using StartFn = std::function<void(int slot, const FetchedJob& job)>;

  explicit JobBuffer(JobBufferOptions options, StartFn on_start = nullptr);

  // ---- fetcher ----
  // Waits up to timeout_ms until a fetch is worth making; returns how many jobs to fetch (0 on
  // timeout or once closed).
  int WaitForRoom(int timeout_ms);
  // Starts fetched jobs (oldest first) on idle processors and buffers the rest; `left` is the
  // queue's length after the fetch (-1 unknown). Once closed nothing is buffered and once
  // released nothing starts: what nobody will run stays in `jobs`, for the caller to put back.
  void Put(std::vector<FetchedJob>* jobs, int64_t left);
  // Returns the buffered (prefetched, unstarted) jobs, oldest first; the buffer stays open.
  std::vector<FetchedJob> TakeAll();

  // ---- processors ----
  // For processor `slot`: marks its previous job finished after `previous_ms` (< 0: there was
  // none), then waits for its next job, which has started when returned. Returns nullopt once
  // released. REQUIRES: 0 <= slot < concurrency; one thread per slot.
  std::optional<FetchedJob> Take(int slot, double previous_ms = -1);
  // Marks a started job finished after elapsed_ms (< 0: not timed) without waiting for another
  // (a processor that stops taking jobs).
  void Done(double elapsed_ms);

  // Stops prefetching: WaitForRoom returns 0 from now on. Returns the prefetched jobs no
  // processor has started (oldest first), to be put back.
  std::vector<FetchedJob> Close();
  // Lets idle processors go (Take returns nullopt); no job starts from now on.
  void Release();

  int buffered() const;
  // Returns copies of the buffered (prefetched, unstarted) jobs, oldest first.
  std::vector<FetchedJob> Snapshot() const;
  // Returns how many jobs the buffer may hold beyond one per processor right now.
  int prefetch_target() const;

 private:
  struct Taker {
    std::condition_variable wake;
    std::optional<FetchedJob> assigned;  // started by Put while the taker waited
    bool arrived = false;                // has called Take at least once
  };

  // REQUIRES: mu_ held.
  int PrefetchTargetLocked() const;
  int WantLocked() const;
  int MinFetchLocked() const;
  void WakeFetcherIfNeededLocked();
  void StartLocked(int slot, const FetchedJob& job);
  void FinishLocked(double elapsed_ms);

  const JobBufferOptions options_;
  const StartFn on_start_;
  mutable std::mutex mu_;
  std::condition_variable room_ready_;          // the fetcher waits here
  std::vector<std::unique_ptr<Taker>> takers_;  // one per slot
  std::vector<int> idle_;                       // slots waiting in Take, most recent last
  std::deque<FetchedJob> jobs_;                 // prefetched, oldest first
  int running_ = 0;
  int arrived_ = 0;  // processors that have called Take: a thread still starting takes no job
  bool fetcher_waiting_ = false;
  bool deep_ = false;
  double average_job_ms_ = -1;  // -1 until the first job finished
  bool closed_ = false;
  bool released_ = false;
};

}  // namespace fib
