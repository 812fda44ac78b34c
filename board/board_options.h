// BoardOptions: what the lesson board drives (docs/lesson-board.md): the stack's URLs, the
// programs it starts, and the bounds of its knobs. Flags fill it (board_main.cc).
// Thread-safety: a plain value; read-only once the board runs.
#pragma once

#include <string>

namespace fib {

struct BoardOptions {
  std::string bind_address = "127.0.0.1";
  int port = 8090;        // 0 = any free port
  std::string redis_url;  // the stack's Redis (required)
  std::string smtp_url = "smtp://127.0.0.1:1025";
  std::string inbox_url;           // the mail sink's HTTP inbox (required)
  std::string inline_url;          // fibtastic-web --mode inline, default profile (required)
  std::string background_url;      // fibtastic-web --mode background (required)
  std::string sidekiq_web_url;     // linked from the page; "" = not running
  std::string bin_dir;             // where fibtastic-worker, -web and -loadgen are
  std::string profiles_dir;        // bench/profiles: the profile picker's choices
  std::string log_dir = "/tmp";    // logs of the processes the board starts
  std::string queue = "default";   // the Sidekiq queue the webs push to
  int workers = 1;                 // worker processes at start and after a reset
  int max_workers = 8;             // the scale knob's bound
  int worker_concurrency = 1;      // threads per worker process (sidekiq -c)
  double retry_delay_scale = 0.2;  // the workers' --retry-delay-scale: retries in seconds
  int sample_interval_ms = 250;    // Redis and inbox sampling
  int history_s = 300;             // the chart's window
  double max_rate_rps = 200;       // the load knob's bounds
  double max_duration_s = 60;
  int default_sequence_length = 24;  // the form's default (why: docs/lesson-board.md)
};

}  // namespace fib
