// fibtastic-worker: runs jobs from Redis in Sidekiq 6.4's format, like `bundle exec sidekiq`, but
// with reliable fetch (a job killed with -9 runs again; nothing is lost). Flags where they overlap
// with sidekiq's have its names and defaults; the environment (REDIS_URL, REDIS_PROVIDER,
// SMTP_URL) is read here and nowhere else.
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <random>

#include "common/build_info.h"
#include "common/clock.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/process.h"
#include "common/redis/redis_connection.h"
#include "common/redis/redis_server_info.h"
#include "common/redis/redis_url.h"
#include "common/shutdown.h"
#include "common/smtp/smtp_mailer.h"
#include "common/text.h"
#include "workers/jobs/example_jobs.h"
#include "workers/jobs/job_registry.h"
#include "workers/profiles/profile.h"
#include "workers/profiles/profile_job.h"
#include "workers/queue/redis_job_queue.h"
#include "workers/runtime/isolated_run.h"
#include "workers/runtime/worker.h"

namespace fib {
namespace {

struct MainOptions {
  WorkerOptions worker;
  int timeout_s = 25;
  std::string redis_url;           // "" = REDIS_PROVIDER / REDIS_URL / default
  std::string smtp_url;            // "" = SMTP_URL / default
  std::string smtp_ca_file;        // "" = SMTP_CA_FILE / the system's CAs
  bool smtp_tls_insecure = false;  // also set by SMTP_TLS_INSECURE=1
  int smtp_connect_timeout_ms = SmtpMailerOptions{}.connect_timeout_ms;
  int smtp_timeout_ms = SmtpMailerOptions{}.timeout_ms;  // whole send; a cut connection fails here
  int redis_timeout_ms = 2000;
  std::string profiles_dir = FIB_PROFILES_DIR;  // "" = only the C++ job types
  bool fast_recovery = true;  // requeue jobs of local workers proved dead without waiting 60 s
  int64_t max_payload_bytes = 1 << 20;  // copied into worker.max_payload_bytes once checked
  int max_recoveries = 3;               // RedisQueueOptions::max_recoveries
  bool enable_crash_job = false;        // registers CrashWorker (fault tests, demos)
  int64_t run_isolated = 0;             // > 0: the child mode, run by the worker with this pid
};

// Recovered jobs run on at most this many threads, each job in a process of its own.
constexpr int kMaxRecoveredThreads = 2;

// The process key (and the identity that guards our in-progress lists) expires 60 s after a
// beat, and beats are the interval plus a beat's own round trips apart. At most 20 s keeps three
// beats per expiry, so one or two late or failed beats do not make other workers treat this
// live one as dead and run its jobs again. Sidekiq 6.4 beats every 5 s against the same 60 s.
constexpr double kMaxHeartbeatIntervalS = 20;

constexpr char kAbout[] =
    "Runs jobs from Redis queues in Sidekiq 6.4's format (Ruby's Sidekiq::Client can enqueue "
    "them; Sidekiq's Web UI and API see this process). Fetching is reliable: a job stays in a "
    "per-process list until finished, so jobs of a worker killed with -9 run again (checked at "
    "start and every --recover-interval-s; a worker on this machine whose process is gone is "
    "recovered at once, one elsewhere when its 60 s heartbeat expires). TERM/INT: stop fetching, "
    "wait up to -t for running jobs, put unfinished ones back, exit. TSTP: quiet (stop "
    "fetching).";

constexpr char kEpilog[] =
    "Environment (flags win):\n"
    "  REDIS_PROVIDER  name of the variable that holds the Redis URL (Sidekiq's rule)\n"
    "  REDIS_URL       Redis URL when REDIS_PROVIDER is unset (default redis://127.0.0.1:6379/0)\n"
    "  SMTP_URL        SMTP server for emails (default smtp://127.0.0.1:1025); with a user name\n"
    "                  STARTTLS is required, smtps:// is implicit TLS, ?tls=none opts out\n"
    "  SMTP_CA_FILE    PEM CAs to verify the SMTP server (default: the system's)\n"
    "  SMTP_TLS_INSECURE=1  skip the SMTP server's certificate checks (self-signed sink)\n"
    "Queues: '-q a -q b' tries a then b (strict); '-q a,3 -q b,1' is weighted random, as "
    "Sidekiq.\n"
    "Example: fibtastic-worker -c 10 -q critical,2 -q default --redis-url redis://127.0.0.1:6400/0";

void RegisterFlags(FlagSet* flags, MainOptions* o) {
  WorkerOptions& w = o->worker;
  flags->Int("concurrency", 'c', &w.concurrency, "threads", "jobs run at once (sidekiq -c)");
  flags->StringList("queue", 'q', &w.queues, "NAME[,WEIGHT]",
                    "queue to process, repeatable; none given means the queue 'default'");
  flags->Int("timeout", 't', &o->timeout_s, "s",
             "on TERM/INT, how long running jobs may finish before they are requeued");
  flags->String("tag", 'g', &w.tag, "text",
                "tag shown beside hostname:pid in Sidekiq's process list (Web UI Busy)");
  flags->String("redis-url", 0, &o->redis_url, "url",
                "Redis to use; none given: REDIS_PROVIDER / REDIS_URL, as Sidekiq");
  flags->String("smtp-url", 0, &o->smtp_url, "url",
                "SMTP server; none given: SMTP_URL, else "
                "smtp://127.0.0.1:1025");
  RegisterSmtpTlsFlags(flags, &o->smtp_ca_file, &o->smtp_tls_insecure);
  flags->Int("smtp-connect-timeout-ms", 0, &o->smtp_connect_timeout_ms, "ms",
             "SMTP connect timeout");
  flags->Int("smtp-timeout-ms", 0, &o->smtp_timeout_ms, "ms",
             "whole SMTP send timeout, a slow provider's delay included (a send on a connection "
             "the network silently cut fails after this, and the job is retried)");
  flags->Double("retry-delay-scale", 0, &w.retry_delay_scale, "factor",
                "multiplies Sidekiq's retry backoff (count^4 + 15 + rand(10)*(count+1) s); "
                "e.g. 0.01 for demos and tests");
  flags->Int("max-payload-bytes", 0, &o->max_payload_bytes, "bytes",
             "larger jobs go straight to the dead set with an error, not run or retried "
             "(each copy of a huge value blocks Redis for everyone); 0 = no limit");
  flags->Int("max-recoveries", 0, &o->max_recoveries, "count",
             "a job recovered from dead workers more often than this (it crashes every worker that "
             "runs it: a poison pill) goes to the dead set as PoisonPillError; 0 = no limit");
  flags->Bool("enable-crash-job", 0, &o->enable_crash_job,
              "register CrashWorker (args [delay_ms]): it aborts the process running it, a "
              "poison pill on purpose for fault tests and demos; never in production");
  flags->Int("run-isolated", 0, &o->run_isolated, "pid",
             "internal: run one job read from stdin and write its outcome to fd 3, as a child of "
             "the worker with this pid (how recovered jobs run alone); 0 = run as a worker");
  flags->Double("poll-interval-s", 0, &w.poll_interval_s, "s",
                "average wait between schedule/retry polls (each wait is 0.5x..1.5x, as Sidekiq)");
  flags->Double("recover-interval-s", 0, &w.recover_interval_s, "s",
                "how often to requeue jobs of workers that died (heartbeat expired, 60 s)");
  flags->Double("heartbeat-interval-s", 0, &w.heartbeat_interval_s, "s",
                "how often to publish this process to Sidekiq's process registry (at most 20: "
                "the process key expires 60 s after a beat)");
  flags->Int("fetch-timeout-ms", 0, &w.fetch_timeout_ms, "ms",
             "longest a fetch waits for a job (bounds how fast TERM is noticed)");
  flags->Int("max-prefetch", 0, &w.max_prefetch, "jobs",
             "most jobs fetched ahead of free threads, only while the queue is deep (they sit in "
             "this worker's in-progress list, so they are never lost; TERM puts them back at "
             "once); 0 = one job per free thread");
  flags->Double("prefetch-budget-ms", 0, &w.prefetch_budget_ms, "ms",
                "most prefetched work per thread, judged by the average job time, so slow jobs "
                "are not hoarded (e.g. 10 threads, 2 ms: jobs averaging over 20 ms are never "
                "prefetched)");
  flags->Int("ack-interval-ms", 0, &w.ack_interval_ms, "ms",
             "longest a finished job waits for its batched ack (a kill -9 in that window reruns "
             "it: a duplicate, never a loss)");
  flags->Int("redis-timeout-ms", 0, &o->redis_timeout_ms, "ms", "Redis command timeout");
  flags->String("profiles-dir", 0, &o->profiles_dir, "dir",
                "also run the job types defined by [[job]] stages in DIR/*.toml (bench/profiles)");
  flags->Bool("fast-recovery", 0, &o->fast_recovery,
              "requeue at once the jobs of a worker on this machine whose process is gone (e.g. "
              "killed with -9 and restarted), checked by pid and start time in /proc; "
              "--no-fast-recovery: wait for its 60 s heartbeat expiry, as for other machines");
  flags->Bool("log-jobs", 0, &w.log_each_job,
              "log a line per finished job (--no-log-jobs: only failures)");
  flags->Epilog(kEpilog);
}

// Returns an error message for option values that cannot work, "" when all is well.
std::string CheckOptions(const MainOptions& o) {
  const WorkerOptions& w = o.worker;
  if (w.concurrency < 1 || w.concurrency > 1000) return "--concurrency must be 1..1000";
  if (o.timeout_s < 0) return "--timeout must be >= 0 seconds";
  if (o.smtp_connect_timeout_ms < 1 || o.smtp_timeout_ms < 1) {
    return "--smtp-connect-timeout-ms and --smtp-timeout-ms must be >= 1 ms";
  }
  if (w.retry_delay_scale < 0) return "--retry-delay-scale must be >= 0";
  if (o.max_payload_bytes < 0) return "--max-payload-bytes must be >= 0 (0 = no limit)";
  if (o.max_recoveries < 0) return "--max-recoveries must be >= 0 (0 = no limit)";
  if (o.run_isolated < 0) return "--run-isolated must be a pid (> 0), or 0 to run as a worker";
  if (w.poll_interval_s <= 0 || w.recover_interval_s <= 0 || w.heartbeat_interval_s <= 0) {
    return "--poll-interval-s, --recover-interval-s and --heartbeat-interval-s must be > 0";
  }
  if (w.heartbeat_interval_s > kMaxHeartbeatIntervalS) {
    return fmt::format(
        "--heartbeat-interval-s must be at most {} s (got {}): this process's key expires 60 s "
        "after a beat, so a longer interval lets one or two late beats expire it and other "
        "workers then run this live worker's jobs again (Sidekiq beats every 5 s)",
        kMaxHeartbeatIntervalS, w.heartbeat_interval_s);
  }
  if (w.fetch_timeout_ms < 1 || w.fetch_timeout_ms > 10000)
    return "--fetch-timeout-ms must be 1..10000";
  if (o.redis_timeout_ms < 1) return "--redis-timeout-ms must be >= 1";
  if (w.max_prefetch < 0 || w.max_prefetch > 1000) return "--max-prefetch must be 0..1000";
  if (w.prefetch_budget_ms < 0) return "--prefetch-budget-ms must be >= 0";
  if (w.ack_interval_ms < 1 || w.ack_interval_ms > 1000) return "--ack-interval-ms must be 1..1000";
  return "";
}

[[noreturn]] void UsageError(const std::string& message) {
  std::fprintf(stderr, "fibtastic-worker: %s\nTry 'fibtastic-worker --help'.\n", message.c_str());
  std::exit(2);
}

std::string DescribeQueues(const QueueSelector& selector, const std::vector<std::string>& flags) {
  std::string text;
  for (const std::string& q : flags.empty() ? selector.names() : flags) {
    text += (text.empty() ? "" : " ") + q;
  }
  return text + (selector.strict() ? " (strict order)" : " (weighted random order)");
}

// The worker the signal thread talks to. The lock spans each use, so main cannot destroy the
// Worker while a late signal (a second TERM, say) is still calling into it.
std::mutex g_worker_mu;
Worker* g_worker = nullptr;  // guarded by g_worker_mu

void SetSignalledWorker(Worker* worker) {
  std::lock_guard lock(g_worker_mu);
  g_worker = worker;
}

void OnStopSignal(int signal) {
  Log("{} received: stopping (no new jobs; running jobs get the -t timeout)",
      signal == SIGINT ? "SIGINT" : "SIGTERM");
  std::lock_guard lock(g_worker_mu);
  if (g_worker) g_worker->RequestStop();
}

void OnQuietSignal() {
  std::lock_guard lock(g_worker_mu);
  if (g_worker) g_worker->Quiet();
}

// Reads what Redis says about itself: a Redis too old for the reliable queue is an error (the
// worker would otherwise idle forever on unknown commands); no AOF or an evicting policy is a
// warning (each can lose jobs). An unreachable Redis passes here: Run reports and retries it.
Status CheckRedisAtStart(const RedisUrl& url, int timeout_ms) {
  RedisConnectionOptions options;
  options.connect_timeout_ms = options.command_timeout_ms = timeout_ms;
  RedisConnection redis(url, options);
  auto info = ReadRedisServerInfo(redis);
  if (!info.ok()) return Status::Ok();
  if (Status version = CheckRedisVersion(*info, url.Redacted()); !version.ok()) return version;
  for (const std::string& warning : RedisDurabilityWarnings(*info)) Log("WARNING: {}", warning);
  return Status::Ok();
}

// Registers the C++ job types and, with a profiles folder, the profile-defined ones.
Status RegisterJobTypes(const MainOptions& o, JobRegistry* registry) {
  const std::string& profiles_dir = o.profiles_dir;
  RegisterBuiltinJobs(registry);
  RegisterExampleJobs(registry);
  if (o.enable_crash_job) RegisterCrashJob(registry);
  if (profiles_dir.empty()) return Status::Ok();
  auto profiles = LoadAllProfiles(profiles_dir);
  if (!profiles.ok()) return profiles.status();
  return RegisterProfileJobs(*profiles, registry);
}

// What jobs run with, in a worker and in an isolated child alike: the job types and the mailer.
Status SetUpJobs(const MainOptions& o, JobRegistry* registry, std::unique_ptr<SmtpMailer>* mailer) {
  if (Status s = RegisterJobTypes(o, registry); !s.ok()) return s;
  SmtpMailerOptions smtp;
  smtp.url = o.smtp_url;
  smtp.ca_file = o.smtp_ca_file;
  smtp.tls_insecure = o.smtp_tls_insecure;
  smtp.connect_timeout_ms = o.smtp_connect_timeout_ms;
  smtp.timeout_ms = o.smtp_timeout_ms;
  *mailer = std::make_unique<SmtpMailer>(smtp);
  return Status::Ok();
}

JobRunnerOptions RunnerOptions(const MainOptions& o) {
  return JobRunnerOptions{o.worker.retry_delay_scale, static_cast<size_t>(o.max_payload_bytes)};
}

// The child mode (--run-isolated): one job from stdin, its outcome to fd 3, no Redis. The worker
// that started it records the outcome; when that worker dies, so does this process.
int RunIsolatedJob(const MainOptions& o) {
  SetLogProgram("fibtastic-worker[isolated]");
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != o.run_isolated) return 1;  // the worker died before the line above
  JobRegistry registry;
  std::unique_ptr<SmtpMailer> mailer;
  if (Status s = SetUpJobs(o, &registry, &mailer); !s.ok()) {
    Log("cannot run the job: {}", s.message());
    return 1;
  }
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  JobRunner runner(RunnerOptions(o), &registry, mailer.get(), SystemClock::Default(),
                   [engine](uint64_t bound) {
                     return std::uniform_int_distribution<uint64_t>(0, bound - 1)(*engine);
                   });
  return RunIsolatedChild(runner, STDIN_FILENO, 3);
}

// The command that runs one recovered job alone: this program, with this process's flags.
std::vector<std::string> IsolatedCommand(const std::vector<std::string>& argv) {
  char path[4096] = {};
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  std::vector<std::string> command = {n > 0 ? std::string(path, static_cast<size_t>(n))
                                            : argv.at(0)};
  command.insert(command.end(), argv.begin() + 1, argv.end());
  command.push_back("--run-isolated");
  command.push_back(std::to_string(getpid()));
  return command;
}

int RunWorker(const MainOptions& o, const RedisUrl& redis, const std::vector<std::string>& argv) {
  // Signals first: ShutdownSignals must exist before any other thread starts.
  ShutdownSignals signals(OnStopSignal, OnQuietSignal);
  JobRegistry registry;
  std::unique_ptr<SmtpMailer> mailer;
  if (Status s = SetUpJobs(o, &registry, &mailer); !s.ok()) {
    Log("cannot start: {}", s.message());
    return 1;
  }

  WorkerOptions w = o.worker;
  w.max_payload_bytes = static_cast<size_t>(o.max_payload_bytes);
  w.shutdown_timeout_ms = o.timeout_s * 1000;
  ChildProcessRunner isolated(IsolatedCommand(argv));
  w.isolated = &isolated;
  w.recovered_threads = std::min(w.concurrency, kMaxRecoveredThreads);
  RedisQueueOptions queue_options;
  queue_options.url = o.redis_url;
  queue_options.command_timeout_ms = o.redis_timeout_ms;
  queue_options.pool_size = std::min(w.concurrency, 32) + 4;  // acks, heartbeat, poller
  queue_options.clock = SystemClock::Default();
  queue_options.max_recoveries = o.max_recoveries;
  // The identity must be known before the queue exists (its in-progress lists are named by it).
  w.identity = queue_options.identity = NewProcessIdentity(w.hostname);
  if (o.fast_recovery) {
    queue_options.liveness_token = ProcessLivenessToken(getpid());
    queue_options.owner_gone = ProcessProvablyGone;
  }
  RedisJobQueue queue(queue_options);
  Worker worker(w, &queue, &registry, mailer.get(), SystemClock::Default());
  SetSignalledWorker(&worker);

  auto selector = QueueSelector::FromFlags(w.queues);
  Log("fibtastic-worker {} ({} build) starting: identity={} concurrency={} queues={} redis={} "
      "smtp={} timeout={} s reliable_fetch=on jobs={}",
      FIB_VERSION, BuildType(), worker.identity(), w.concurrency,
      DescribeQueues(*selector, w.queues), redis.Redacted(), RedactUrlText(o.smtp_url), o.timeout_s,
      fmt::join(registry.Names(), ","));
  if (IsDebugBuild()) Log("WARNING: debug build; throughput figures are not representative");
  if (Status usable = CheckRedisAtStart(redis, o.redis_timeout_ms); !usable.ok()) {
    SetSignalledWorker(nullptr);
    Log("cannot start: {}", usable.message());
    return 1;
  }

  auto report = worker.Run();
  SetSignalledWorker(nullptr);
  if (!report.ok()) {
    Log("cannot start: {}", report.message());
    return 1;
  }
  Log("stopped: processed={} failed={} requeued_at_shutdown={} prefetched_put_back={} "
      "parked_unrecorded={}",
      worker.processed_total(), worker.failed_total(), report->requeued,
      report->prefetched_requeued, worker.parked_total());
  if (report->stuck_threads > 0) {
    // Their jobs are already back on the queue; the threads cannot be interrupted, so leave now.
    Log("exiting with {} job threads still inside their (requeued) jobs", report->stuck_threads);
    worker.DetachStuckThreads();
    std::fflush(nullptr);
    _exit(0);
  }
  return 0;
}

}  // namespace
}  // namespace fib

int main(int argc, char** argv) {
  using namespace fib;
  SetLogProgram("fibtastic-worker");
  MainOptions options;
  FlagSet flags("fibtastic-worker", "[flags]", kAbout);
  RegisterFlags(&flags, &options);
  options.smtp_ca_file = EnvOr("SMTP_CA_FILE", "");
  options.smtp_tls_insecure = EnvOr("SMTP_TLS_INSECURE", "") == "1";
  flags.ParseOrExit(argc, argv);
  if (std::string problem = CheckOptions(options); !problem.empty()) UsageError(problem);
  if (auto selector = QueueSelector::FromFlags(options.worker.queues); !selector.ok()) {
    UsageError(selector.message());
  }
  auto url = ResolveRedisUrl(options.redis_url, [](const char* name) { return std::getenv(name); });
  if (!url.ok()) UsageError(url.message());
  auto redis = ParseRedisUrl(*url);
  if (!redis.ok()) UsageError(redis.message());
  options.redis_url = *url;
  if (options.smtp_url.empty()) options.smtp_url = EnvOr("SMTP_URL", "smtp://127.0.0.1:1025");
  if (Status url = CheckSmtpUrl(options.smtp_url); !url.ok()) UsageError(url.message());
  if (options.run_isolated > 0) return RunIsolatedJob(options);
  return RunWorker(options, *redis, std::vector<std::string>(argv, argv + argc));
}
