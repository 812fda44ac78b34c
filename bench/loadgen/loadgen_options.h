// LoadgenOptions: everything one fibtastic-loadgen run is told (target, load model, outputs),
// filled from flags, plus the parsed target URL. Validate() turns bad combinations into one-line
// errors that name the flag.
// Thread-safety: plain values; read-only once the run starts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/loadgen/send_schedule.h"
#include "common/flags.h"
#include "common/status.h"

namespace fib {

// An http:// URL split into the parts a client needs.
struct HttpUrl {
  std::string host = "127.0.0.1";
  int port = 80;
  std::string path = "/";  // path and query, never empty
  // Returns "host:port".
  std::string HostPort() const { return host + ":" + std::to_string(port); }
};

// Parses "http://host[:port][/path]". Error names `flag` and says what is wrong.
Result<HttpUrl> ParseHttpUrl(const std::string& url, const std::string& flag);

struct LoadgenOptions {
  // Target.
  std::string url;  // required
  std::string method = "GET";
  std::string body;                  // {n}, {uuid}, {run} replaced per request
  std::string body_file;             // read into body when set
  std::vector<std::string> headers;  // "Name: value", repeatable
  bool form = false;                 // Content-Type: application/x-www-form-urlencoded
  bool json_body = false;            // Content-Type: application/json
  // Load model.
  double rate_rps = 0;                // total offered rate; 0 = closed loop
  std::string arrivals = "constant";  // "constant" (wrk2), "poisson" (seeded) or "burst"
  int64_t seed = 1;                   // with poisson: the same seed gives the same schedule
  static constexpr int64_t kMaxBurstSize = 1'000'000;
  int64_t burst_size = 10;   // with burst: requests sent at once (1..kMaxBurstSize)
  double burst_every_s = 0;  // with burst: seconds between bursts; 0 = size / rate
  int connections = 10;
  int threads = 2;
  double duration_s = 10;     // measured window (ignored when requests > 0)
  int64_t requests = 0;       // stop after this many measured requests (0 = use duration)
  double max_duration_s = 0;  // with requests: stop after this long anyway (0 = no limit)
  double warmup_s = 0;        // before the measured window; recorded separately, excluded
  int64_t timeout_ms = 10000;
  std::string run_id;  // X-Request-Id prefix; random when empty
  // End-to-end and Redis sampling.
  std::string mail_url;  // mail sink HTTP inbox, e.g. http://127.0.0.1:1080
  double drain_s = 30;   // wait this long for stragglers after the run
  std::string redis_url;
  std::string queue = "default";
  int64_t redis_sample_ms = 100;
  // Outputs.
  std::string label;     // default "<method> <url>"
  bool latency = false;  // print the percentile spectrum
  std::string json_path;
  std::string hgrm_path;
  std::string csv_path;
  bool progress = true;  // live line on stderr when it is a tty

  // Derived by Validate().
  HttpUrl target;
  HttpUrl mail;
  ArrivalProcess arrival_process = ArrivalProcess::kConstant;
  std::string command_line;

  // Registers every flag on `flags`, bound to this struct's fields.
  void RegisterFlags(FlagSet* flags);
  // Checks ranges and combinations, parses URLs, reads --body-file, picks a run id.
  Status Validate();
  bool open_loop() const { return rate_rps > 0; }

 private:
  // Checks --burst-size and --burst-every; with burst arrivals sets both rate_rps and
  // burst_every_s from whichever was given.
  Status ValidateBurst();
};

}  // namespace fib
