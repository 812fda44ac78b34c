// fibtastic-web: the FibTastic app (form, POST /sequences) in one of two variants chosen at
// start-up: --mode inline runs the fib-email job inside the request; --mode background enqueues
// it to Redis in Sidekiq 6.4's format for a worker. 12-factor: PORT, SMTP_URL, REDIS_URL and
// REDIS_PROVIDER fill the defaults; flags override them.
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/redis/redis_server_info.h"
#include "common/redis/redis_url.h"
#include "common/shutdown.h"
#include "common/smtp/smtp_mailer.h"
#include "common/text.h"
#include "server/dispatch/inline_dispatcher.h"
#include "server/dispatch/queue_dispatcher.h"
#include "server/profile_stages.h"
#include "server/request_pipeline.h"
#include "server/sequences_controller.h"
#include "server/web_server.h"
#include "workers/jobs/example_jobs.h"
#include "workers/jobs/job_registry.h"
#include "workers/profiles/profile.h"
#include "workers/profiles/profile_job.h"
#include "workers/queue/redis_job_queue.h"

namespace fib {
namespace {

constexpr char kProgram[] = "fibtastic-web";

struct WebFlags {
  WebServerOptions server;
  std::string mode = "inline";
  SmtpMailerOptions smtp;
  std::string redis_url;  // "" = REDIS_PROVIDER / REDIS_URL / default
  int redis_connect_timeout_ms = 500;
  int redis_command_timeout_ms = 1000;
  int redis_pool_size = 0;  // 0 = one connection per request thread
  int64_t max_body_bytes = static_cast<int64_t>(WebServerOptions().max_body_bytes);
  int64_t max_head_bytes = static_cast<int64_t>(WebServerOptions().max_head_bytes);
  std::string queue = "default";
  std::string profile;  // "" = the plain FibTastic app
  std::string profiles_dir = FIB_PROFILES_DIR;
};

// Everything one variant needs, owned together so main() stays short.
struct Variant {
  JobRegistry registry;
  std::unique_ptr<Mailer> mailer;
  std::unique_ptr<JobQueue> queue;
  std::unique_ptr<RedisVersionGate> version_gate;  // background: is Redis new enough?
  std::unique_ptr<JobDispatcher> dispatcher;
  std::string summary;  // for the start-up log line
};

[[noreturn]] void UsageError(const std::string& message) {
  fprintf(stderr, "%s: %s\nTry '%s --help'.\n", kProgram, message.c_str(), kProgram);
  exit(2);
}

int PortFromEnv() {
  std::string text = EnvOr("PORT", "3000");
  auto port = ParseInt(text, "PORT");
  if (!port.ok() || *port < 0 || *port > 65535) {
    UsageError("the environment variable PORT must be a port number 0..65535, got '" + text + "'");
  }
  return static_cast<int>(*port);
}

void RegisterFlags(WebFlags* f, FlagSet* flags) {
  flags->String("mode", 'm', &f->mode, "MODE",
                "inline (run the job in the request) or background (enqueue to Redis)");
  flags->String("bind", 'b', &f->server.bind_address, "ADDR", "address to listen on");
  flags->Int("port", 'p', &f->server.port, "PORT", "TCP port (env PORT); 0 = any free port");
  flags->Int("threads", 't', &f->server.threads, "N", "request threads (Puma's default is 5)");
  flags->Int("max-connections", 0, &f->server.max_connections, "N",
             "open connections served at once, each on its own thread (slow or idle clients "
             "wait there without taking a request thread); more wait to be accepted");
  flags->String("smtp-url", 0, &f->smtp.url, "URL", "SMTP server for inline mode (env SMTP_URL)");
  RegisterSmtpTlsFlags(flags, &f->smtp.ca_file, &f->smtp.tls_insecure);
  flags->Int("smtp-connect-timeout-ms", 0, &f->smtp.connect_timeout_ms, "MS",
             "SMTP connect timeout");
  flags->Int("smtp-timeout-ms", 0, &f->smtp.timeout_ms, "MS", "whole SMTP send timeout");
  flags->String("redis-url", 0, &f->redis_url, "URL",
                "Redis for background mode (else $REDIS_PROVIDER, $REDIS_URL, " +
                    std::string(kDefaultRedisUrl) + ")");
  flags->Int("redis-connect-timeout-ms", 0, &f->redis_connect_timeout_ms, "MS",
             "Redis connect timeout");
  flags->Int("redis-command-timeout-ms", 0, &f->redis_command_timeout_ms, "MS",
             "Redis command timeout");
  flags->Int("redis-pool-size", 0, &f->redis_pool_size, "N", "Redis connections; 0 = --threads");
  flags->String("queue", 'q', &f->queue, "NAME", "Sidekiq queue to push to (background mode)");
  flags->Int("max-body-bytes", 0, &f->max_body_bytes, "BYTES",
             "larger request bodies get 413, chunked ones too (compressed bodies get 415)");
  flags->Int("max-head-bytes", 0, &f->max_head_bytes, "BYTES",
             "request line + headers larger than this get 431");
  flags->Int("max-header-lines", 0, &f->server.max_header_lines, "N",
             "requests with more header lines get 431");
  flags->Int("request-timeout-ms", 0, &f->server.request_timeout_ms, "MS",
             "a request must arrive completely within this of its first byte, else 408");
  flags->Int("drain-timeout-ms", 0, &f->server.drain_timeout_ms, "MS",
             "on SIGTERM/SIGINT, requests in flight get this long; then connections close");
  flags->Int("read-timeout-ms", 0, &f->server.read_timeout_ms, "MS", "socket read timeout");
  flags->Int("write-timeout-ms", 0, &f->server.write_timeout_ms, "MS", "socket write timeout");
  flags->Int("keep-alive-timeout-s", 0, &f->server.keep_alive_timeout_s, "S",
             "idle keep-alive connections are closed after this (each holds a thread meanwhile)");
  flags->Int("keep-alive-max-requests", 0, &f->server.keep_alive_max_requests, "N",
             "requests per keep-alive connection");
  flags->String("profile", 0, &f->profile, "NAME|FILE",
                "stage profile (bench/profiles/NAME.toml): its request/response stages run around "
                "the job, and its job_class is what POST /sequences dispatches");
  flags->String("profiles-dir", 0, &f->profiles_dir, "DIR", "where --profile NAME is looked up");
  flags->Bool("access-log", 0, &f->server.access_log, "log one line per request to stderr");
  flags->Epilog(
      "Environment: PORT (default 3000), SMTP_URL (default smtp://127.0.0.1:1025; with a user\n"
      "name STARTTLS is required, smtps:// is implicit TLS, ?tls=none opts out), SMTP_CA_FILE,\n"
      "SMTP_TLS_INSECURE=1, REDIS_URL,\n"
      "REDIS_PROVIDER (name of the variable holding the Redis URL, as Sidekiq). Flags win.\n"
      "Routes: GET / (form), POST /sequences (form or JSON), GET /healthz (liveness: 200 ok).\n");
}

void CheckFlags(const WebFlags& f) {
  if (f.mode != "inline" && f.mode != "background") {
    UsageError("--mode must be 'inline' or 'background', got '" + f.mode + "'");
  }
  if (f.server.port < 0 || f.server.port > 65535) UsageError("--port must be 0..65535");
  if (f.server.threads < 1 || f.server.threads > 1024) UsageError("--threads must be 1..1024");
  if (f.server.max_connections < 1 || f.server.max_connections > 10000) {
    UsageError("--max-connections must be 1..10000");
  }
  if (f.max_body_bytes < 1) UsageError("--max-body-bytes must be > 0");
  if (f.max_head_bytes < 1024) UsageError("--max-head-bytes must be at least 1024");
  if (f.server.max_header_lines < 1) UsageError("--max-header-lines must be at least 1");
  if (f.server.drain_timeout_ms < 0) UsageError("--drain-timeout-ms must be >= 0");
  for (int ms : {f.smtp.connect_timeout_ms, f.smtp.timeout_ms, f.redis_connect_timeout_ms,
                 f.redis_command_timeout_ms, f.server.read_timeout_ms, f.server.write_timeout_ms,
                 f.server.request_timeout_ms}) {
    if (ms < 1) UsageError("timeouts must be at least 1 ms");
  }
  if (Status url = CheckSmtpUrl(f.smtp.url); !url.ok()) UsageError(url.message());
  if (f.server.keep_alive_timeout_s < 0) UsageError("--keep-alive-timeout-s must be >= 0");
  if (f.redis_pool_size < 0) UsageError("--redis-pool-size must be >= 0");
}

void MakeInline(const WebFlags& f, Variant* v) {
  v->mailer = std::make_unique<SmtpMailer>(f.smtp);
  v->dispatcher =
      std::make_unique<InlineDispatcher>(&v->registry, v->mailer.get(), SystemClock::Default());
  v->summary = "smtp " + RedactUrlText(f.smtp.url);
}

void MakeBackground(const WebFlags& f, Variant* v) {
  auto url = ResolveRedisUrl(f.redis_url, [](const char* name) { return std::getenv(name); });
  if (!url.ok()) UsageError(url.message());
  auto parsed = ParseRedisUrl(*url);
  if (!parsed.ok()) UsageError(parsed.message());
  RedisQueueOptions options;
  options.url = *url;
  options.connect_timeout_ms = f.redis_connect_timeout_ms;
  options.command_timeout_ms = f.redis_command_timeout_ms;
  options.pool_size = f.redis_pool_size > 0 ? f.redis_pool_size : f.server.threads;
  options.clock = SystemClock::Default();
  v->queue = std::make_unique<RedisJobQueue>(options);
  RedisConnectionOptions probe;
  probe.connect_timeout_ms = f.redis_connect_timeout_ms;
  probe.command_timeout_ms = f.redis_command_timeout_ms;
  // Say now what the first request would find: a Redis too old for the worker, no AOF.
  RedisConnection redis(*parsed, probe);
  if (auto info = ReadRedisServerInfo(redis); info.ok()) {
    if (Status version = CheckRedisVersion(*info, parsed->Redacted()); !version.ok()) {
      Log("WARNING: {}; POST /sequences answers 503 until it is", version.message());
    }
    for (const std::string& warning : RedisDurabilityWarnings(*info)) Log("WARNING: {}", warning);
  }
  v->version_gate = std::make_unique<RedisVersionGate>(*parsed, probe);
  QueueDispatcherOptions dispatch{f.queue, parsed->Redacted(), nullptr};
  dispatch.ready = [gate = v->version_gate.get()] { return gate->Check(); };
  v->dispatcher =
      std::make_unique<QueueDispatcher>(dispatch, v->queue.get(), SystemClock::Default());
  v->summary = "redis " + parsed->Redacted() + " queue:" + f.queue;
}

}  // namespace
}  // namespace fib

int main(int argc, char** argv) {
  using namespace fib;
  SetLogProgram(kProgram);
  WebFlags f;
  f.server.port = PortFromEnv();
  f.smtp.url = EnvOr("SMTP_URL", f.smtp.url);
  f.smtp.ca_file = EnvOr("SMTP_CA_FILE", "");
  f.smtp.tls_insecure = EnvOr("SMTP_TLS_INSECURE", "") == "1";
  FlagSet flags(kProgram, "[flags]",
                "The FibTastic web app: a form that emails Fibonacci numbers, with the job run "
                "inline or enqueued for fibtastic-worker (Sidekiq 6.4 format).");
  RegisterFlags(&f, &flags);
  flags.ParseOrExit(argc, argv);
  CheckFlags(f);
  f.server.max_body_bytes = static_cast<size_t>(f.max_body_bytes);
  f.server.max_head_bytes = static_cast<size_t>(f.max_head_bytes);

  // Signals are blocked before any thread starts. A signal may arrive before the server exists
  // (remembered in stop_requested) or while main() is tearing it down (the mutex orders that).
  std::mutex server_mu;
  WebServer* running = nullptr;
  bool stop_requested = false;
  ShutdownSignals signals([&](int signal) {
    Log("signal {}: stopping (no new connections; finishing requests in flight)", signal);
    std::lock_guard<std::mutex> lock(server_mu);
    stop_requested = true;
    if (running) running->Stop();
  });

  Variant variant;
  RegisterBuiltinJobs(&variant.registry);
  RegisterExampleJobs(&variant.registry);
  std::optional<Profile> profile;
  if (!f.profile.empty()) {
    auto loaded = LoadProfile(f.profile, f.profiles_dir);
    if (!loaded.ok()) UsageError(loaded.message());
    profile = std::move(*loaded);
    if (Status s = RegisterProfileJobs({*profile}, &variant.registry); !s.ok()) {
      UsageError(s.message());
    }
  }
  if (f.mode == "inline") {
    MakeInline(f, &variant);
  } else {
    MakeBackground(f, &variant);
  }
  RequestPipeline pipeline(SystemClock::Default());
  // Request/response stages may send mail too (an smtp stage), always through SMTP_URL.
  SmtpMailer stage_mailer(f.smtp);
  if (profile) AddProfileStages(*profile, &stage_mailer, &pipeline);
  SequencesController controller(variant.dispatcher.get(), &pipeline,
                                 profile ? profile->job_class : SequenceEmailJob::kClassName,
                                 profile ? profile->args : nlohmann::json::array());
  WebServer server(f.server, &controller);
  {
    std::lock_guard<std::mutex> lock(server_mu);
    running = &server;
    if (stop_requested) server.Stop();  // Serve() will return at once
  }
  if (Status bound = server.Bind(); !bound.ok()) {
    fprintf(stderr, "%s: %s\n", kProgram, bound.message().c_str());
    std::lock_guard<std::mutex> lock(server_mu);
    running = nullptr;
    return 1;
  }
  Log("listening on http://{}:{} (mode {}, {} threads, {}; max body {} bytes; profile {})",
      f.server.bind_address, server.port(), f.mode, f.server.threads, variant.summary,
      f.server.max_body_bytes, profile ? profile->name : "none");
  Status served = server.Serve();
  {
    std::lock_guard<std::mutex> lock(server_mu);
    running = nullptr;
  }
  if (!served.ok()) {
    Log("error: {}", served.message());
    return 1;
  }
  Log("stopped");
  return 0;
}
