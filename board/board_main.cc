// fibtastic-board: the lesson board (docs/lesson-board.md). Serves a page that teaches the
// background-jobs lesson live, and owns the worker processes and load-generator runs its knobs
// start.
#include <cstdio>
#include <filesystem>
#include <thread>

#include "board/board_server.h"
#include "board/fleet.h"
#include "board/live_stats.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/shutdown.h"

namespace {

constexpr const char* kProgram = "fibtastic-board";

void RegisterFlags(fib::FlagSet* f, fib::BoardOptions* o) {
  f->String("bind", 'b', &o->bind_address, "ADDR",
            "address to listen on (control endpoints check Host and Origin; keep it loopback)");
  f->Int("port", 'p', &o->port, "PORT", "TCP port; 0 = any free port");
  f->String("redis-url", 0, &o->redis_url, "URL", "the stack's Redis (required)");
  f->String("smtp-url", 0, &o->smtp_url, "URL",
            "the mail sink's SMTP, for the workers and webs "
            "the board starts");
  f->String("inbox-url", 0, &o->inbox_url, "URL",
            "the mail sink's HTTP inbox, e.g. http://127.0.0.1:1080 (required)");
  f->String("inline-url", 0, &o->inline_url, "URL", "fibtastic-web --mode inline (required)");
  f->String("background-url", 0, &o->background_url, "URL",
            "fibtastic-web --mode background (required)");
  f->String("sidekiq-web-url", 0, &o->sidekiq_web_url, "URL",
            "Sidekiq's Web UI, linked from the page; none: not shown");
  f->String("bin-dir", 0, &o->bin_dir, "DIR",
            "where fibtastic-worker, fibtastic-web and fibtastic-loadgen are (default: this "
            "program's directory)");
  f->String("profiles-dir", 0, &o->profiles_dir, "DIR", "the profile picker's choices (*.toml)");
  f->String("log-dir", 0, &o->log_dir, "DIR", "logs of the processes the board starts");
  f->String("queue", 'q', &o->queue, "NAME", "the Sidekiq queue the webs push to");
  f->Int("workers", 'w', &o->workers, "N", "worker processes at start and after a reset");
  f->Int("max-workers", 0, &o->max_workers, "N", "the scale knob's upper bound");
  f->Int("worker-concurrency", 'c', &o->worker_concurrency, "threads",
         "threads per worker process (1: each process is one dyno's worth, docs/lesson-board.md)");
  f->Double("retry-delay-scale", 0, &o->retry_delay_scale, "factor",
            "the workers' --retry-delay-scale (0.2: the first retry after 3..5 s)");
  f->Int("sequence-length", 'n', &o->default_sequence_length, "N",
         "the form's and load runs' default sequence length");
  f->Int("sample-interval-ms", 0, &o->sample_interval_ms, "MS", "live panel sampling interval");
  f->Int("history-s", 0, &o->history_s, "S", "how much of the live panel the chart keeps");
  f->Double("max-rate", 0, &o->max_rate_rps, "REQ/S", "the load knob's largest rate");
  f->Double("max-duration-s", 0, &o->max_duration_s, "S", "the load knob's longest run");
}

fib::Status Validate(fib::BoardOptions* o, const char* argv0) {
  if (o->redis_url.empty() || o->inbox_url.empty() || o->inline_url.empty() ||
      o->background_url.empty()) {
    return fib::Status::Error(
        "--redis-url, --inbox-url, --inline-url and --background-url are required (scripts/demo "
        "passes them)");
  }
  if (o->bin_dir.empty()) {
    o->bin_dir = std::filesystem::absolute(argv0).parent_path().string();
  }
  if (o->workers < 0 || o->max_workers < 1 || o->max_workers > 64 || o->workers > o->max_workers) {
    return fib::Status::Error("--workers must be 0..--max-workers, and --max-workers 1..64");
  }
  if (o->worker_concurrency < 1 || o->worker_concurrency > 100) {
    return fib::Status::Error("--worker-concurrency must be 1..100");
  }
  if (o->sample_interval_ms < 50 || o->history_s < 10 || o->history_s > 3600) {
    return fib::Status::Error("--sample-interval-ms must be >= 50 and --history-s 10..3600");
  }
  if (o->default_sequence_length < 1 || o->default_sequence_length > 30) {
    return fib::Status::Error("--sequence-length must be 1..30");
  }
  return fib::Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  fib::SetLogProgram(kProgram);
  fib::BoardOptions options;
  options.profiles_dir = FIB_PROFILES_DIR;
  fib::FlagSet flags(kProgram, "[options]",
                     "The lesson board: a page to teach the background-jobs lesson live, with "
                     "knobs that start real workers and load runs against the demo's stack.");
  RegisterFlags(&flags, &options);
  flags.Epilog(
      "Routes: GET / (the page), GET /api/state?since=SEQ&since_mail=ID (live panel, JSON),\n"
      "GET /api/events?since=SEQ&since_mail=ID (the same pushed as Server-Sent Events; at most\n"
      "8 at once, 503 beyond);\n"
      "POST /api/submit, /api/load, /api/scale, /api/provider, /api/reset (JSON bodies; need\n"
      "the page's X-Board-Token, a same-origin or absent Origin, and the board's own Host).\n"
      "scripts/demo starts it (make demo). See docs/lesson-board.md.");
  flags.ParseOrExit(argc, argv);
  fib::Status valid = Validate(&options, argv[0]);
  if (!valid.ok()) {
    std::fprintf(stderr, "%s: %s\nTry '%s --help'.\n", kProgram, valid.message().c_str(), kProgram);
    return 2;
  }
  fib::Fleet fleet(options);
  fib::LiveStats stats(options);
  fib::BoardServer server(options, &fleet, &stats);
  fib::Status listening = server.Listen();
  if (!listening.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProgram, listening.message().c_str());
    return 1;
  }
  fib::ShutdownSignals signals([&server](int signal) {
    fib::Log("stopping on signal {}", signal);
    server.Drain();
  });
  fib::Status started = fleet.Scale(options.workers);
  if (!started.ok()) {
    std::fprintf(stderr, "%s: cannot start the workers: %s\n", kProgram, started.message().c_str());
    return 1;
  }
  stats.Start([&server] { server.Tick(); });
  fib::Log("lesson board on http://{}:{}/ ({} worker(s), {} thread(s) each)", options.bind_address,
           server.port(), options.workers, options.worker_concurrency);
  server.Serve();
  stats.Stop();
  fib::Log("stopped");
  return 0;
}
