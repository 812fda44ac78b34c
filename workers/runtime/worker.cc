#include "workers/runtime/worker.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <random>

#include "common/log.h"
#include "common/text.h"
#include "workers/queue/job_payload.h"

namespace fib {
namespace {

using SteadyClock = std::chrono::steady_clock;

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             SteadyClock::now().time_since_epoch())
      .count();
}

std::string LocalHostname() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

// Returns this process's resident set size in KB (/proc/self/statm counts pages), 0 if unknown.
int64_t ReadRssKb() {
  std::ifstream statm("/proc/self/statm");
  int64_t size_pages = 0, resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return 0;
  return resident_pages * (sysconf(_SC_PAGESIZE) / 1024);
}

RandomFn DefaultRandom() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine](uint64_t bound) {
    return std::uniform_int_distribution<uint64_t>(0, bound - 1)(*engine);
  };
}

constexpr int kReportAttempts = 5;
// A recovered job that cannot be put back is retried at most this far apart.
constexpr int64_t kMaxReturnBackoffMs = 30000;
constexpr auto kBackoffCheck = std::chrono::milliseconds(500);
constexpr int kAckBatchMax = 256;

AckBatcherOptions AckOptions(const WorkerOptions& options) {
  AckBatcherOptions acks;
  acks.flush_interval_ms = options.ack_interval_ms;
  acks.max_batch = kAckBatchMax;
  return acks;
}

}  // namespace

std::string NewProcessIdentity(const std::string& hostname) {
  return (hostname.empty() ? LocalHostname() : hostname) + ":" + std::to_string(getpid()) + ":" +
         RandomHex(12);
}

Worker::Worker(WorkerOptions options, JobQueue* queue, const JobRegistry* registry, Mailer* mailer,
               const Clock* clock, RandomFn random)
    : options_(std::move(options)),
      queue_(queue),
      clock_(clock),
      random_(random ? std::move(random) : DefaultRandom()),
      runner_(JobRunnerOptions{options_.retry_delay_scale, options_.max_payload_bytes}, registry,
              mailer, clock, [this](uint64_t bound) { return Random(bound); }),
      acks_(AckOptions(options_), queue, [this] { job_log_.Flush(); }) {
  hostname_ = options_.hostname.empty() ? LocalHostname() : options_.hostname;
  identity_ = options_.identity.empty() ? NewProcessIdentity(hostname_) : options_.identity;
}

Worker::~Worker() {
  if (started_ && !stopped_) Stop();
  for (auto& thread : processors_) {
    if (thread.joinable()) thread.join();
  }
  if (fetcher_) fetcher_->Join();
  for (auto& thread : recovered_threads_) {
    if (thread.joinable()) thread.join();
  }
  StopHousekeeping();
  job_log_.Flush();
}

void Worker::DetachStuckThreads() {
  for (size_t i = 0; i < processors_.size() && i < processor_stuck_.size(); ++i) {
    if (processor_stuck_[i] && processors_[i].joinable()) processors_[i].detach();
  }
}

uint64_t Worker::Random(uint64_t bound) {
  std::lock_guard lock(random_mu_);
  return random_(bound);
}

Status Worker::Start() {
  if (options_.concurrency < 1) return Status::Error("concurrency must be at least 1");
  auto selector = QueueSelector::FromFlags(options_.queues);
  if (!selector.ok()) return selector.status();
  selector_ = *selector;
  started_at_ = clock_->NowSeconds();
  // Heartbeat first: from now on no other worker may treat our (new) in-progress list as orphaned.
  if (Status beat = Beat(); !beat.ok()) {
    return Status::Error("cannot publish the first heartbeat: " + beat.message());
  }
  auto recovered = queue_->RecoverOrphans();
  if (!recovered.ok()) return Status::Error("cannot recover orphaned jobs: " + recovered.message());
  if (*recovered > 0) LogRecovered(*recovered);
  started_ = true;
  slots_.resize(options_.concurrency);
  StartFetching();
  for (int i = 0; i < options_.concurrency; ++i) {
    processors_.emplace_back([this, i] { ProcessorLoop(i); });
  }
  recovered_running_.resize(std::max(1, options_.recovered_threads));
  recovered_run_at_s_.resize(recovered_running_.size());
  for (size_t i = 0; i < recovered_running_.size(); ++i) {
    recovered_threads_.emplace_back([this, i] { RecoveredLoop(static_cast<int>(i)); });
  }
  heartbeat_thread_ = std::thread([this] { HeartbeatLoop(); });
  poller_thread_ = std::thread([this] { PollerLoop(); });
  return Status::Ok();
}

void Worker::StartFetching() {
  JobBufferOptions buffer;
  buffer.concurrency = options_.concurrency;
  buffer.max_prefetch = options_.max_prefetch;
  buffer.prefetch_budget_ms = options_.prefetch_budget_ms;
  buffer_ = std::make_unique<JobBuffer>(
      buffer, [this](int slot, const FetchedJob& job) { BeginJob(slot, job); });
  JobFetcherOptions fetch;
  fetch.fetch_timeout_ms = options_.fetch_timeout_ms;
  auto on_exit = [this] {
    std::lock_guard lock(slots_mu_);
    fetcher_done_ = true;
    slots_cv_.notify_all();
  };
  fetcher_ = std::make_unique<JobFetcher>(
      fetch, queue_, buffer_.get(), selector_, [this](uint64_t bound) { return Random(bound); },
      &quiet_, on_exit);
  fetcher_->SetHeldJobs([this] { return HeldJobs(); });
  acks_.Start();
  fetcher_->Start();
}

void Worker::RequestStop() {
  std::lock_guard lock(stop_mu_);
  stop_requested_ = true;
  stop_cv_.notify_all();
}

void Worker::Quiet() {
  if (!quiet_.exchange(true)) Log("quiet: fetching no new jobs; running jobs finish");
}

bool Worker::WaitForStopRequest(int timeout_ms) {
  std::unique_lock lock(stop_mu_);
  return stop_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [this] { return stop_requested_.load(); });
}

Result<ShutdownReport> Worker::Run() {
  if (Status started = Start(); !started.ok()) return started;
  while (!WaitForStopRequest(1000)) {
  }
  return Stop();
}

// ---- processors ----

void Worker::ProcessorLoop(int slot) {
  double previous_ms = -1;
  while (std::optional<FetchedJob> job = buffer_->Take(slot, previous_ms)) {
    previous_ms = RunJob(slot, *job);
  }
}

void Worker::BeginJob(int slot, const FetchedJob& job) {
  std::lock_guard lock(slots_mu_);
  slots_[slot] = Slot{SlotState::kRunning, job, static_cast<int64_t>(clock_->NowSeconds())};
}

std::vector<std::vector<FetchedJob>> Worker::HeldJobs() const {
  std::vector<std::vector<FetchedJob>> held(1);
  {
    std::lock_guard fetch_lock(recovered_fetch_mu_);
    std::lock_guard lock(slots_mu_);
    for (const Slot& slot : slots_) {
      if (slot.state == SlotState::kRunning || slot.state == SlotState::kReporting) {
        held[0].push_back(slot.job);
      }
    }
    for (const std::optional<FetchedJob>& job : recovered_running_) {
      if (job) held[0].push_back(*job);
    }
  }
  // After the processors: a job moves from its slot to the acks before its slot is freed.
  held.push_back(acks_.PendingJobs());
  held.push_back(unrecorded_.Holding(SteadyMillis()));
  return held;
}

bool Worker::BeginReport(int slot) {
  std::lock_guard lock(slots_mu_);
  if (slots_[slot].state == SlotState::kAbandoned) return false;
  slots_[slot].state = SlotState::kReporting;
  return true;
}

void Worker::EndJob(int slot) {
  std::lock_guard lock(slots_mu_);
  slots_[slot] = Slot{};
  slots_cv_.notify_all();
}

double Worker::RunJob(int slot, const FetchedJob& job) {
  JobOutcome outcome;
  try {
    outcome = runner_.Run(job);
  } catch (const std::exception& e) {
    // Only resource exhaustion gets here (JobRunner catches job code); keep the job, loudly.
    outcome.kind = JobOutcome::Kind::kDead;
    outcome.raw = job.raw;
    outcome.at_seconds = clock_->NowSeconds();
    outcome.error_class = kPayloadError;
    outcome.error_message = std::string("the worker could not handle this payload: ") + e.what();
  }
  return RecordOutcome(slot, job, outcome);
}

double Worker::RecordOutcome(int slot, const FetchedJob& job, const JobOutcome& outcome) {
  if (slot >= 0 && !BeginReport(slot)) {
    Log("{} (result discarded: the job was already requeued at shutdown)",
        DescribeOutcome(job, outcome));
    return outcome.elapsed_ms;
  }
  bool reported = Report(slot, job, outcome);
  if (slot >= 0) EndJob(slot);
  // Only now, with the slot free, does a reconcile see the job as held by no one.
  if (!reported && fetcher_) fetcher_->RequestReconcile();
  return outcome.elapsed_ms;
}

// A successful job from a processor is acked in a batch (AckBatcher); failures, and jobs run by
// Process() for tests, are reported synchronously with retries.
bool Worker::Report(int slot, const FetchedJob& job, const JobOutcome& outcome) {
  Status reported;
  bool batched = slot >= 0 && (outcome.kind == JobOutcome::Kind::kDone ||
                               outcome.kind == JobOutcome::Kind::kDropped);
  if (batched) {
    acks_.Add(job);
  } else {
    for (int attempt = 1; attempt <= kReportAttempts; ++attempt) {
      reported = ReportOnce(job, outcome);
      if (reported.ok() || attempt == kReportAttempts) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(options_.report_retry_ms * attempt));
    }
  }
  ++processed_delta_;
  ++processed_total_;
  if (outcome.failed()) {
    ++failed_delta_;
    ++failed_total_;
  }
  if (options_.log_each_job || outcome.failed()) job_log_.Add(DescribeOutcome(job, outcome));
  if (slot < 0) job_log_.Flush();
  if (outcome.failed()) acks_.Touch();  // failure lines do not wait for the next ack
  if (!reported.ok()) {
    NoteUnrecorded(job, outcome, reported);
  } else if (!batched) {
    unrecorded_.Recorded(job);
  }
  return reported.ok();
}

// The job stays in our in-progress list. Put back at once, it would run (and send its email)
// again every couple of seconds while the key stays unusable: held for a doubling backoff
// instead, and parked after UnrecordedJobs' cap.
void Worker::NoteUnrecorded(const FetchedJob& job, const JobOutcome& outcome, const Status& error) {
  if (unrecorded_.Failed(job, SteadyMillis())) {
    Log("PARKED: the result of jid={} ({}) could not be written {} times: {}; the job "
        "stays in this worker's in-progress list and this process will not run it again (it "
        "would repeat its side effects, e.g. its email, each time). Fix Redis, then restart the "
        "worker: the job is recovered and runs once more. Parked jobs: {}",
        outcome.jid, OutcomeName(outcome.kind), kMaxUnrecordedFailures, error.message(),
        unrecorded_.parked());
    return;
  }
  Log("cannot record the result of jid={} ({}) after {} attempts: {}; it stays in this worker's "
      "in-progress list and is put back on its queue (it runs again) after a backoff",
      outcome.jid, OutcomeName(outcome.kind), kReportAttempts, error.message());
  NudgePoller();  // it watches the backoff
}

Status Worker::ReportOnce(const FetchedJob& job, const JobOutcome& outcome) {
  switch (outcome.kind) {
    case JobOutcome::Kind::kDone:
    case JobOutcome::Kind::kDropped:
      return queue_->Ack(job);
    case JobOutcome::Kind::kRetry:
      return queue_->Retry(job, outcome.raw, outcome.at_seconds);
    case JobOutcome::Kind::kDead:
      return queue_->Kill(job, outcome.raw, outcome.at_seconds);
  }
  return Status::Error("unknown outcome");
}

// ---- heartbeat and poller ----

ProcessInfo Worker::Info() const {
  ProcessInfo info;
  info.identity = identity_;
  info.hostname = hostname_;
  info.pid = getpid();
  info.tag = options_.tag;
  info.concurrency = options_.concurrency;
  info.queues = selector_.names();
  info.started_at = started_at_;
  info.quiet = quiet_;
  info.rss_kb = ReadRssKb();
  std::lock_guard lock(slots_mu_);
  for (const Slot& slot : slots_) {
    if (slot.state == SlotState::kRunning || slot.state == SlotState::kReporting) ++info.busy;
  }
  for (const std::optional<FetchedJob>& job : recovered_running_) info.busy += job ? 1 : 0;
  return info;
}

std::vector<BusyJob> Worker::BusyJobs() const {
  std::vector<BusyJob> busy;
  std::lock_guard lock(slots_mu_);
  for (size_t i = 0; i < slots_.size(); ++i) {
    const Slot& slot = slots_[i];
    if (slot.state != SlotState::kRunning && slot.state != SlotState::kReporting) continue;
    busy.push_back(
        BusyJob{"tid-" + std::to_string(i), slot.job.queue, slot.job.raw, slot.run_at_s});
  }
  for (size_t i = 0; i < recovered_running_.size(); ++i) {
    const std::optional<FetchedJob>& job = recovered_running_[i];
    if (!job) continue;
    busy.push_back(BusyJob{"tid-recovered-" + std::to_string(i), job->queue, job->raw,
                           recovered_run_at_s_[i]});
  }
  return busy;
}

Status Worker::Beat() {
  // Finished jobs leave the in-progress list before the beat that counts them. A failure leaves
  // them pending; the batcher retries.
  Status flushed = acks_.Flush();
  (void)flushed;
  int64_t processed = processed_delta_.exchange(0), failed = failed_delta_.exchange(0);
  auto signals = queue_->Heartbeat(Info(), BusyJobs(), processed, failed, clock_->NowSeconds());
  if (!signals.ok()) {
    processed_delta_ += processed;  // keep the counts for the next beat
    failed_delta_ += failed;
    return signals.status();
  }
  bool was_quiet = quiet_;
  for (const std::string& signal : *signals) HandleRemoteSignal(signal);
  if (was_quiet || !quiet_) return Status::Ok();
  // Quiet from now: say so at once, so Sidekiq's Web UI marks the process quiet one beat after
  // its Quiet button was read, not two.
  auto more = queue_->Heartbeat(Info(), BusyJobs(), 0, 0, clock_->NowSeconds());
  if (!more.ok()) return more.status();
  for (const std::string& signal : *more) HandleRemoteSignal(signal);
  return Status::Ok();
}

void Worker::HandleRemoteSignal(const std::string& signal) {
  Log("remote signal {} received", signal);
  if (signal == "TSTP") {
    Quiet();
  } else if (signal == "TERM") {
    RequestStop();
  } else {
    Log("remote signal {} ignored (this worker acts on TSTP and TERM)", signal);
  }
}

bool Worker::HousekeepingSleep(double seconds, bool nudgeable) {
  return housekeeping_alarm_.Sleep(std::chrono::duration<double>(seconds), nudgeable);
}

void Worker::NudgePoller() { housekeeping_alarm_.Nudge(); }

void Worker::HeartbeatLoop() {
  while (!HousekeepingSleep(options_.heartbeat_interval_s)) {
    if (Status s = Beat(); !s.ok()) Log("heartbeat failed (will retry): {}", s.message());
  }
}

void Worker::PollerLoop() {
  // As Sidekiq with fewer than 10 processes: each wait is uniform in 0.5..1.5 x the average.
  auto next_wait_s = [this] {
    return options_.poll_interval_s * (0.5 + static_cast<double>(Random(1000000)) / 1e6);
  };
  auto now = SteadyClock::now();
  auto next_poll = now + std::chrono::duration_cast<SteadyClock::duration>(
                             std::chrono::duration<double>(next_wait_s()));
  auto next_recover = now + std::chrono::duration_cast<SteadyClock::duration>(
                                std::chrono::duration<double>(options_.recover_interval_s));
  for (;;) {
    auto wake = std::min(next_poll, next_recover);
    // A job held after a failed result write is put back when its backoff runs out: look twice
    // a second meanwhile.
    if (unrecorded_.AnyBackingOff()) wake = std::min(wake, SteadyClock::now() + kBackoffCheck);
    double wait_s = std::chrono::duration<double>(wake - SteadyClock::now()).count();
    if (HousekeepingSleep(std::max(wait_s, 0.0), /*nudgeable=*/true)) return;
    now = SteadyClock::now();
    // A held job whose backoff ran out goes back on its queue through the fetcher's reconcile.
    if (fetcher_ && unrecorded_.AnyDue(SteadyMillis())) fetcher_->RequestReconcile();
    if (now >= next_poll) {
      auto moved = queue_->EnqueueDue(clock_->NowSeconds());
      if (!moved.ok())
        Log("schedule/retry poll failed (will retry): {}", moved.message());
      else if (*moved > 0)
        Log("moved {} due retry/scheduled jobs to their queues", *moved);
      next_poll = now + std::chrono::duration_cast<SteadyClock::duration>(
                            std::chrono::duration<double>(next_wait_s()));
    }
    if (now >= next_recover) {
      auto recovered = queue_->RecoverOrphans();
      if (!recovered.ok())
        Log("orphan recovery failed (will retry): {}", recovered.message());
      else if (*recovered > 0)
        LogRecovered(*recovered);
      next_recover = now + std::chrono::duration_cast<SteadyClock::duration>(
                               std::chrono::duration<double>(options_.recover_interval_s));
    }
  }
}

// ---- recovered jobs ----

void Worker::LogRecovered(int count) {
  Log("recovered {} orphaned jobs of dead workers; each runs alone{} (one of them may be what "
      "killed its worker)",
      count, options_.isolated ? ", in a process of its own" : "");
  NudgeRecovered();
}

void Worker::RecoveredLoop(int index) {
  for (;;) {
    if (recovered_alarm_.stopped()) return;
    if (quiet_ || !TakeRecovered(index)) {
      if (RecoveredSleep()) return;
      continue;
    }
    FetchedJob job;
    {
      std::lock_guard lock(slots_mu_);
      job = *recovered_running_[index];
    }
    RunRecovered(job);
    {
      std::lock_guard lock(slots_mu_);
      recovered_running_[index].reset();
    }
    slots_cv_.notify_all();
  }
}

bool Worker::TakeRecovered(int index) {
  std::lock_guard fetch_lock(recovered_fetch_mu_);
  if (recovered_alarm_.stopped()) return false;
  auto job = queue_->FetchRecovered(selector_.names());
  if (!job.ok()) {
    // The script may have moved a job whose reply was lost: the reconcile puts it back. The
    // fetcher reports Redis being unreachable; this would only repeat it.
    if (fetcher_) fetcher_->RequestReconcile();
    return false;
  }
  if (!job->has_value()) return false;
  std::lock_guard lock(slots_mu_);
  recovered_running_[index] = std::move(**job);
  recovered_run_at_s_[index] = static_cast<int64_t>(clock_->NowSeconds());
  return true;
}

void Worker::RunRecovered(const FetchedJob& job) {
  if (!options_.isolated) {
    RunJob(-1, job);
    return;
  }
  IsolatedResult result = options_.isolated->Run(job);
  if (result.kind == IsolatedResult::Kind::kFinished) {
    RecordOutcome(-1, job, result.outcome);
    return;
  }
  bool crashed = result.kind == IsolatedResult::Kind::kCrashed;
  PayloadPeek peek = PeekPayload(job.raw);
  if (crashed) {
    ++crashed_isolated_total_;
    Log("jid={} class={} queue={}: recovered job crashed: {}; it ran alone, so no other job was "
        "affected (crashed recovered jobs so far: {})",
        peek.jid.empty() ? "-" : peek.jid, peek.class_name.empty() ? "-" : peek.class_name,
        job.queue, result.problem, crashed_isolated_total_.load());
  }
  // Retried until Redis takes it back (or shutdown): given up, the job would wait in this
  // worker's in-progress list until the worker exits, however long it lives.
  Status returned = queue_->ReturnRecovered(job, crashed, result.problem);
  for (int attempt = 1; !returned.ok(); ++attempt) {
    if (attempt == kReportAttempts) {
      Log("jid={}: cannot put the recovered job back after {} attempts: {}; retrying at most "
          "{} s apart until Redis answers (until then it stays in this worker's in-progress list, "
          "and is recovered from there if this worker exits)",
          peek.jid.empty() ? "-" : peek.jid, attempt, returned.message(),
          kMaxReturnBackoffMs / 1000);
    }
    auto wait = std::chrono::milliseconds(
        std::min<int64_t>(int64_t{options_.report_retry_ms} * attempt, kMaxReturnBackoffMs));
    if (recovered_alarm_.Sleep(wait, /*nudgeable=*/false)) return;  // stopping: stays listed
    returned = queue_->ReturnRecovered(job, crashed, result.problem);
  }
  if (!crashed) {
    Log("jid={}: recovered job not run ({}); put back among the recovered jobs",
        peek.jid.empty() ? "-" : peek.jid, result.problem);
    RecoveredSleep();  // e.g. no process could be started: do not spin
  }
}

bool Worker::RecoveredSleep() {
  return recovered_alarm_.Sleep(std::chrono::milliseconds(options_.recovered_poll_ms));
}

void Worker::NudgeRecovered() { recovered_alarm_.Nudge(); }

void Worker::StopRecovered() {
  recovered_alarm_.Stop();
  bool running = false;
  {
    std::lock_guard lock(slots_mu_);
    for (const std::optional<FetchedJob>& job : recovered_running_) running |= job.has_value();
  }
  // Still running after the shutdown wait: killed, and put back unchanged (not counted).
  if (running && options_.isolated) options_.isolated->KillAll();
  for (auto& thread : recovered_threads_) {
    if (thread.joinable()) thread.join();
  }
}

// ---- shutdown ----

int Worker::WaitForRunningJobs() {
  std::unique_lock lock(slots_mu_);
  auto busy = [this] {
    int n = 0;
    for (const Slot& slot : slots_) n += slot.state == SlotState::kRunning;
    for (const std::optional<FetchedJob>& job : recovered_running_) n += job ? 1 : 0;
    return n;
  };
  slots_cv_.wait_for(lock, std::chrono::milliseconds(options_.shutdown_timeout_ms),
                     [&] { return busy() == 0 && fetcher_done_; });
  return busy();
}

int Worker::AbandonRunningJobs() {
  std::vector<FetchedJob> unfinished;
  {
    std::lock_guard lock(slots_mu_);
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].state != SlotState::kRunning) continue;
      slots_[i].state = SlotState::kAbandoned;
      processor_stuck_[i] = true;  // never join: the thread may be stuck in the job
      unfinished.push_back(slots_[i].job);
    }
  }
  for (const FetchedJob& job : unfinished) {
    Status s = queue_->Requeue(job);
    Log("requeued an unfinished job (still running after -t {:.1f} s){}: {}",
        options_.shutdown_timeout_ms / 1000.0, s.ok() ? "" : " FAILED: " + s.message(),
        job.raw.substr(0, 200));
  }
  return static_cast<int>(unfinished.size());
}

void Worker::StopHousekeeping() {
  housekeeping_alarm_.Stop();
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
  if (poller_thread_.joinable()) poller_thread_.join();
}

ShutdownReport Worker::Stop() {
  ShutdownReport report;
  if (!started_ || stopped_) return report;
  stopped_ = true;
  RequestStop();
  fetcher_->RequestStop();  // first: a fetch in flight then runs its jobs (JobFetcher::FetchOnce)
  quiet_ = true;
  // Prefetched jobs go back now, not after the running ones. A fetch in flight may still start
  // jobs on idle threads (as Sidekiq); WaitForRunningJobs waits for it too.
  std::vector<FetchedJob> unstarted = buffer_->Close();
  int put_back = 0;
  if (!unstarted.empty()) {
    put_back = PutBackUnstarted(queue_, std::move(unstarted));
    Log("put {} prefetched jobs that had not started back on their queues", put_back);
  }
  processor_stuck_.assign(processors_.size(), false);
  recovered_alarm_.Stop();  // no recovered job starts from here
  int running = WaitForRunningJobs();
  buffer_->Release();  // from here no job starts; a late fetch puts its jobs back
  if (running > 0) report.requeued = report.stuck_threads = AbandonRunningJobs();
  for (size_t i = 0; i < processors_.size(); ++i) {
    if (!processor_stuck_[i]) processors_[i].join();
  }
  StopRecovered();
  fetcher_->Join();  // puts back whatever a fetch in flight brought
  report.prefetched_requeued = put_back + fetcher_->put_back();
  acks_.Stop(kReportAttempts);
  StopHousekeeping();
  if (Status s = Beat(); !s.ok()) Log("last heartbeat failed: {}", s.message());
  if (Status s = queue_->Unregister(Info()); !s.ok()) Log("cannot unregister: {}", s.message());
  job_log_.Flush();
  return report;
}
}  // namespace fib
