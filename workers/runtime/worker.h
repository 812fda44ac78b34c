// Worker: the runtime behind fibtastic-worker, as `bundle exec sidekiq`. A fetcher thread moves
// jobs from the JobQueue into this process's in-progress list (reliable fetch) and hands them to
// `concurrency` processor threads, which run each through the JobRegistry and record its outcome
// (ack, retry, dead) by Sidekiq 6.4's rules; a heartbeat thread publishes the process and obeys
// remote TSTP/TERM; a poller thread moves due retry/scheduled jobs to their queues and recovers
// the jobs of dead processes.
// Guarantee: at least once. A job leaves the in-progress list only after its outcome is written,
// so neither kill -9 nor a failed Redis command loses one; a job may run twice (killed mid-run,
// ack still batched, requeued at shutdown). Stop() puts unstarted jobs back at once, gives
// running ones shutdown_timeout_ms, then requeues them. How and where it stops:
// docs/reliability.md.
// Thread-safety: Start, Stop and Run from one thread; RequestStop and Quiet from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/smtp/mailer.h"
#include "common/status.h"
#include "workers/jobs/job_registry.h"
#include "workers/queue/job_queue.h"
#include "workers/runtime/ack_batcher.h"
#include "workers/runtime/alarm.h"
#include "workers/runtime/isolated_run.h"
#include "workers/runtime/job_buffer.h"
#include "workers/runtime/job_fetcher.h"
#include "workers/runtime/job_log.h"
#include "workers/runtime/job_runner.h"
#include "workers/runtime/queue_selector.h"
#include "workers/runtime/unrecorded_jobs.h"

namespace fib {

struct WorkerOptions {
  int concurrency = 10;             // processor threads (sidekiq -c)
  std::vector<std::string> queues;  // -q values "NAME" or "NAME,WEIGHT"; empty = {"default"}
  int shutdown_timeout_ms = 25000;  // sidekiq -t: how long running jobs get on TERM
  // Shown beside hostname:pid in Sidekiq's process list (Sidekiq's own default is the app's
  // directory name); ours names the program, so a room can tell it from a Ruby `sidekiq`.
  std::string tag = "fibtastic-worker";
  std::vector<std::string> labels;
  double retry_delay_scale = 1.0;      // multiplies Sidekiq's retry backoff (tests, demos)
  size_t max_payload_bytes = 1 << 20;  // larger payloads go straight to dead; 0 = no limit
  double poll_interval_s = 5.0;        // average schedule/retry poll; each wait is 0.5x..1.5x
  double recover_interval_s = 15.0;    // how often to look for orphans of dead processes
  double heartbeat_interval_s = 5.0;
  int fetch_timeout_ms = 1000;      // longest a fetch blocks, so shutdown stays prompt
  int max_prefetch = 100;           // most jobs fetched ahead of free threads (see JobBuffer)
  double prefetch_budget_ms = 2.0;  // most prefetched work per thread, by the average job time
  int ack_interval_ms = 2;          // longest a finished job waits for its batched ack
  std::string hostname;             // "" = gethostname()
  std::string identity;             // "" = hostname:pid:<12 hex>
  bool log_each_job = true;         // one log line per job
  // A failed result write is tried 5 times, report_retry_ms x attempt apart; then the job is held
  // for a backoff from result_backoff_ms (doubling, at most 30x it) and parked after 5 such
  // failures (UnrecordedJobs). Smaller values for tests.
  int report_retry_ms = 200;
  int result_backoff_ms = 2000;
  // Jobs recovered from dead workers (JobQueue::FetchRecovered) run on recovered_threads threads,
  // each job alone through `isolated` (a process per job: a crash takes no other job with it,
  // counts as a recovery, and past --max-recoveries buries the job as a poison pill). Null: in
  // this process (unit tests). Not owned; must outlive the worker.
  IsolatedRunner* isolated = nullptr;
  int recovered_threads = 2;
  int recovered_poll_ms = 1000;  // how often an idle recovered thread looks for work
};

// Returns a new Sidekiq process identity, "hostname:pid:<12 hex>" ("" hostname = gethostname()).
std::string NewProcessIdentity(const std::string& hostname = "");

// What a graceful stop left behind.
struct ShutdownReport {
  int requeued = 0;             // jobs still running at the timeout, pushed back onto their queues
  int prefetched_requeued = 0;  // fetched jobs that had not started, pushed back at once
  int stuck_threads = 0;        // threads still inside those jobs (they cannot be interrupted)
};

class Worker {
 public:
  // `queue`, `registry`, `mailer` (may be null), `clock` must outlive the worker. `random`
  // (uniform in [0, bound)) drives retry jitter, weighted queue order and poll waits; null = a
  // seeded std::mt19937_64. Calls to it are serialised.
  Worker(WorkerOptions options, JobQueue* queue, const JobRegistry* registry, Mailer* mailer,
         const Clock* clock, RandomFn random = nullptr);
  // Stops if still running, then joins every thread (waiting for stuck jobs, if any).
  ~Worker();
  // Detaches the threads Stop() left inside abandoned (already requeued) jobs, for a process
  // about to _exit: exiting with them joinable is a thread leak. The Worker must then never be
  // destroyed (those threads still use it).
  void DetachStuckThreads();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Checks the options, publishes the first heartbeat, recovers orphaned jobs, then starts the
  // threads. Returns an error (bad -q value, queue unreachable) without starting anything.
  Status Start();
  // Asks for a graceful stop (SIGTERM/SIGINT, remote TERM). Returns at once.
  void RequestStop();
  // Stops fetching new jobs (SIGTSTP, remote TSTP); running jobs finish. Irreversible, as Sidekiq.
  void Quiet();
  // Blocks until RequestStop was called or `timeout_ms` passed; returns whether it was called.
  bool WaitForStopRequest(int timeout_ms);
  // Graceful stop: no more fetches, puts prefetched jobs that have not started back on their
  // queues at once, waits up to shutdown_timeout_ms for running jobs, requeues the unfinished
  // ones, acks the finished ones, publishes a last heartbeat and unregisters. Threads stuck in
  // a job are left running (see ShutdownReport::stuck_threads); a program should then exit
  // without waiting.
  ShutdownReport Stop();
  // Start, wait for a stop request, Stop.
  Result<ShutdownReport> Run();

  // Flushes pending acks, publishes one heartbeat now and acts on the signals it returns.
  Status Beat();
  // Runs one fetched job on the calling thread and reports it to the queue, ack included, before
  // returning (for tests).
  void Process(const FetchedJob& job) { RunJob(-1, job); }

  const std::string& identity() const { return identity_; }
  bool quiet() const { return quiet_; }
  int64_t processed_total() const { return processed_total_; }
  int64_t failed_total() const { return failed_total_; }
  // Jobs whose result could not be written 5 times: left in the in-progress list, not run again
  // by this process (UnrecordedJobs).
  int parked_total() const { return unrecorded_.parked(); }
  // Recovered jobs whose isolated process died (each counted as one more recovery).
  int64_t crashed_recovered_total() const { return crashed_isolated_total_; }

 private:
  enum class SlotState { kIdle, kRunning, kReporting, kAbandoned };
  struct Slot {
    SlotState state = SlotState::kIdle;
    FetchedJob job;
    int64_t run_at_s = 0;
  };

  uint64_t Random(uint64_t bound);
  // Starts the ack batcher and the fetcher, which feeds buffer_.
  void StartFetching();
  void ProcessorLoop(int slot);
  // Runs `job` and reports its outcome; returns the job's elapsed ms.
  // REQUIRES: slot < 0 or slots_[slot] is kRunning with `job`.
  double RunJob(int slot, const FetchedJob& job);
  // The second half of RunJob: reports `outcome` of `job`.
  double RecordOutcome(int slot, const FetchedJob& job, const JobOutcome& outcome);
  // One recovered thread: takes recovered jobs one at a time and runs each (RunRecovered).
  void RecoveredLoop(int index);
  // Logs a recovery pass that found `count` jobs and wakes the recovered threads.
  void LogRecovered(int count);
  // Takes the next recovered job into recovered_running_[index]; false when there is none.
  bool TakeRecovered(int index);
  void RunRecovered(const FetchedJob& job);
  // Sleeps up to recovered_poll_ms or until NudgeRecovered; returns true when stopping.
  bool RecoveredSleep();
  void NudgeRecovered();
  // Stops the recovered threads: none takes a new job; a job still running isolated after the
  // shutdown wait is killed and put back among the recovered jobs.
  void StopRecovered();
  // Marks `slot` running `job` (JobBuffer's on_start, under the buffer's lock).
  void BeginJob(int slot, const FetchedJob& job);
  // The jobs held on processors, then those with an ack pending (JobFetcher::HeldJobsFn).
  std::vector<std::vector<FetchedJob>> HeldJobs() const;
  bool BeginReport(int slot);
  void EndJob(int slot);
  // Returns false when the outcome could not be written (the job is still in our list).
  bool Report(int slot, const FetchedJob& job, const JobOutcome& outcome);
  void NoteUnrecorded(const FetchedJob& job, const JobOutcome& outcome, const Status& error);
  Status ReportOnce(const FetchedJob& job, const JobOutcome& outcome);
  void HeartbeatLoop();
  void PollerLoop();
  // Sleeps up to `seconds`; returns true when housekeeping must end.
  // Sleeps up to `seconds`; returns true when housekeeping stops. With `nudgeable`, a
  // NudgePoller ends the sleep early too.
  bool HousekeepingSleep(double seconds, bool nudgeable = false);
  void NudgePoller();
  void HandleRemoteSignal(const std::string& signal);
  ProcessInfo Info() const;
  std::vector<BusyJob> BusyJobs() const;
  int WaitForRunningJobs();
  int AbandonRunningJobs();
  void StopHousekeeping();

  WorkerOptions options_;
  JobQueue* queue_;
  const Clock* clock_;
  RandomFn random_;
  std::mutex random_mu_;
  JobRunner runner_;
  QueueSelector selector_;
  JobLog job_log_;  // before acks_: the batcher flushes it until it is destroyed
  AckBatcher acks_;
  // Results that could not be written: held, backed off, parked. Mutable: HeldJobs() (const)
  // hands due ones over to the reconcile that puts them back.
  mutable UnrecordedJobs unrecorded_{kMaxUnrecordedFailures, options_.result_backoff_ms};
  std::unique_ptr<JobBuffer> buffer_;
  std::unique_ptr<JobFetcher> fetcher_;
  std::string hostname_, identity_;
  double started_at_ = 0;

  std::atomic<bool> quiet_{false};
  std::atomic<bool> stop_requested_{false};
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;

  mutable std::mutex slots_mu_;
  std::condition_variable slots_cv_;
  std::vector<Slot> slots_;
  bool fetcher_done_ = false;  // guarded by slots_mu_
  std::vector<std::thread> processors_;
  std::vector<bool> processor_stuck_;
  // Recovered jobs running now, one per recovered thread; guarded by slots_mu_.
  std::vector<std::optional<FetchedJob>> recovered_running_;
  std::vector<int64_t> recovered_run_at_s_;  // when each started (Busy's "Started"); slots_mu_
  // Held from a FetchRecovered until its job is in recovered_running_, and by HeldJobs(): a
  // reconcile that listed our in-progress jobs then sees each fetched one as held.
  mutable std::mutex recovered_fetch_mu_;
  std::vector<std::thread> recovered_threads_;
  Alarm recovered_alarm_;  // stopped: no recovered job starts any more

  Alarm housekeeping_alarm_;  // heartbeat and poller; nudged: the poller looks now
  std::thread heartbeat_thread_, poller_thread_;

  std::atomic<int64_t> processed_delta_{0}, failed_delta_{0};
  std::atomic<int64_t> processed_total_{0}, failed_total_{0};
  std::atomic<int64_t> crashed_isolated_total_{0};
  bool started_ = false, stopped_ = false;
};

}  // namespace fib
