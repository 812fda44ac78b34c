#include "workers/runtime/job_fetcher.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <utility>

#include "common/clock.h"
#include "common/log.h"

namespace fib {
namespace {

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int PutBackUnstarted(JobQueue* queue, std::vector<FetchedJob> jobs) {
  int put_back = 0;
  // Requeue RPUSHes to the pop end: the newest goes first so the oldest ends up next in line.
  for (auto it = jobs.rbegin(); it != jobs.rend(); ++it) {
    if (Status s = queue->Requeue(*it); !s.ok()) {
      Log("cannot put back an unstarted job (it stays in this worker's in-progress list until a "
          "reconcile puts it back, or until it is recovered after this worker exits): {}",
          s.message());
      continue;
    }
    ++put_back;
  }
  return put_back;
}

std::vector<FetchedJob> UnheldJobs(const std::vector<FetchedJob>& listed,
                                   const std::vector<std::vector<FetchedJob>>& held) {
  using Key = std::pair<std::string, std::string>;  // queue, raw
  std::map<Key, int> budget;
  for (const std::vector<FetchedJob>& place : held) {
    std::map<Key, int> count;
    for (const FetchedJob& job : place) ++count[{job.queue, job.raw}];
    for (const auto& [key, n] : count) budget[key] = std::max(budget[key], n);
  }
  std::vector<FetchedJob> unheld;
  for (const FetchedJob& job : listed) {
    auto it = budget.find({job.queue, job.raw});
    if (it != budget.end() && it->second > 0) {
      --it->second;
      continue;
    }
    unheld.push_back(job);
  }
  return unheld;
}

JobFetcher::JobFetcher(JobFetcherOptions options, JobQueue* queue, JobBuffer* buffer,
                       QueueSelector selector, RandomFn random, const std::atomic<bool>* quiet,
                       std::function<void()> on_exit)
    : options_(options),
      queue_(queue),
      buffer_(buffer),
      selector_(std::move(selector)),
      random_(std::move(random)),
      quiet_(quiet),
      on_exit_(std::move(on_exit)) {}

JobFetcher::~JobFetcher() {
  RequestStop();
  Join();
}

void JobFetcher::Start() {
  thread_ = std::thread([this] {
    Loop();
    if (on_exit_) on_exit_();
  });
}

void JobFetcher::RequestStop() {
  std::lock_guard lock(mu_);
  stop_ = true;
  stop_flag_ = true;
  stop_cv_.notify_all();
}

void JobFetcher::Join() {
  if (thread_.joinable()) thread_.join();
}

bool JobFetcher::SleepUnlessStopping(int ms) {
  std::unique_lock lock(mu_);
  return stop_cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_; });
}

// Runs on the fetcher thread, so no fetch adds to the list meanwhile. The list is read before
// the held jobs: a job released in between (acked) looks unheld, and Requeue, which pushes back
// only what is still listed, then does nothing.
bool JobFetcher::ReconcileInProgress() {
  auto listed = queue_->ListInProgress(selector_.names());
  if (!listed.ok()) return false;
  std::vector<std::vector<FetchedJob>> held = {buffer_->Snapshot()};
  for (std::vector<FetchedJob>& place : held_()) held.push_back(std::move(place));
  std::vector<FetchedJob> unheld = UnheldJobs(*listed, held);
  int count = static_cast<int>(unheld.size());
  int n = count == 0 ? 0 : PutBackUnstarted(queue_, std::move(unheld));
  recovered_ += n;
  if (n > 0) {
    Log("put {} job(s) left in our in-progress list by {} back on their queues", n,
        reconcile_reason_);
  }
  reconcile_ = n < count;  // those not put back are retried (Requeue skips the ones that were)
  return !reconcile_;
}

void JobFetcher::Loop() {
  while (!stop_flag_) {
    if (reconcile_requested_.exchange(false) && held_ && !reconcile_) {
      reconcile_ = true;
      reconcile_reason_ = "a result or put-back that could not be written";
    }
    if (reconcile_ && !ReconcileInProgress()) {
      SleepUnlessStopping(options_.error_retry_ms);
      continue;
    }
    if (*quiet_) {
      std::vector<FetchedJob> buffered = buffer_->TakeAll();
      int n = static_cast<int>(buffered.size());
      if (n > 0) {
        put_back_ += PutBack(std::move(buffered));
        Log("put {} prefetched jobs that had not started back on their queues", n);
      }
      SleepUnlessStopping(options_.fetch_timeout_ms);
      continue;
    }
    int want = buffer_->WaitForRoom(options_.fetch_timeout_ms);
    if (want > 0 && !stop_flag_) FetchOnce(want);
  }
}

void JobFetcher::FetchOnce(int want) {
  auto batch = queue_->FetchBatch(selector_.Order(random_), want, options_.fetch_timeout_ms);
  if (!batch.ok()) {
    int64_t now_ms = SteadyMs();
    if (last_error_log_ms_ < 0 || now_ms - last_error_log_ms_ >= options_.error_log_interval_ms) {
      last_error_log_ms_ = now_ms;
      Log("fetch failed (retrying every {} ms): {}", options_.error_retry_ms, batch.message());
    }
    if (held_ && !reconcile_) {
      reconcile_ = true;
      reconcile_reason_ = "a failed fetch";
    }
    SleepUnlessStopping(options_.error_retry_ms);
    return;
  }
  if (batch->jobs.empty()) return;
  // A fetch in flight when the worker went quiet (Sidekiq's Web UI Quiet button, TSTP) runs none
  // of its jobs: they go back at once, as Sidekiq 6.4's Processor#fetch requeues a job fetched
  // after quiet. Otherwise a job pushed just after Quiet would still run. While stopping (the
  // worker asks us to stop before it sets quiet), such jobs still start on idle threads and get
  // the shutdown timeout like the running ones; the buffer hands back the rest.
  if (*quiet_ && !stop_flag_) {
    put_back_ += PutBack(std::move(batch->jobs));
    return;
  }
  // The fetch's moment for the email's X-Fib-Timing (queue wait = this - enqueued_at): wall clock,
  // as enqueued_at is, so it compares across processes on one machine.
  int64_t fetched_at_us = SystemClock::Default()->NowMicros();
  for (FetchedJob& job : batch->jobs) job.fetched_at_us = fetched_at_us;
  buffer_->Put(&batch->jobs, batch->left);
  if (!batch->jobs.empty()) put_back_ += PutBack(std::move(batch->jobs));
}

int JobFetcher::PutBack(std::vector<FetchedJob> jobs) {
  size_t count = jobs.size();
  int put_back = PutBackUnstarted(queue_, std::move(jobs));
  // The ones that failed are held by no one now: without a reconcile they would sit in our
  // list until this worker exits.
  if (static_cast<size_t>(put_back) < count) RequestReconcile();
  return put_back;
}

}  // namespace fib
