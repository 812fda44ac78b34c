// LoadRunner: one whole fibtastic-loadgen run: checks the target is reachable, starts the load
// threads (and the Redis sampler), shows progress, stops at the end of the window, merges what
// the threads measured, then joins emails (--mail). The result is what the outputs print.
// Thread-safety: Run() once, from main; RequestStop() from any thread (signals).
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/loadgen/email_join.h"
#include "bench/loadgen/interval_series.h"
#include "bench/loadgen/littles_law.h"
#include "bench/loadgen/loadgen_options.h"
#include "bench/loadgen/queue_measurement.h"
#include "bench/loadgen/redis_sampler.h"
#include "bench/loadgen/run_stats.h"

namespace fib {

struct RunPlan;

struct RunResult {
  RunStats measured;
  RunStats warmup;
  double window_s = 0;  // length of the measured window
  int64_t in_flight_at_end = 0;
  int64_t unsent_at_end = 0;  // open loop: intended before the end but never sent
  std::vector<IntervalRow> timeseries;
  std::vector<RedisSample> redis_samples;
  std::optional<EmailJoinResult> e2e;
  std::optional<LittlesLaw> littles_law;    // with --mail and --redis-url, background runs
  std::optional<QueueComparison> queueing;  // with --mail, background runs: theory vs measured
  std::vector<double> thread_cpu;           // fraction of a core per load thread
  std::string start_time;                   // ISO 8601 UTC
  bool interrupted = false;
  std::vector<std::string> warnings;  // generator bottleneck, e2e problems, ...

  double achieved_rps() const {
    return window_s > 0 ? static_cast<double>(measured.requests) / window_s : 0;
  }
};

class LoadRunner {
 public:
  explicit LoadRunner(const LoadgenOptions& options) : options_(options) {}

  // Runs the load. An error means nothing was measured (target unreachable at the start,
  // Redis unreachable): main prints it and exits 2.
  Result<RunResult> Run();
  void RequestStop();

 private:
  Status CheckReachable() const;
  void ShowProgress(const RunPlan& plan, int64_t now_us) const;
  void AddWarnings(RunResult* result) const;
  // The queueing comparison from the joined jobs' stamps (REQUIRES: result.e2e), or nullopt
  // when too few background jobs were joined.
  std::optional<QueueComparison> QueueFromJobs(const RunResult& result) const;

  const LoadgenOptions& options_;
  std::atomic<bool> stop_{false};
  std::atomic<RunPlan*> plan_{nullptr};  // while running, so RequestStop reaches the threads
};

// Resolves "host" to an IPv4 address. Error names the host.
Result<sockaddr_in> ResolveAddress(const HttpUrl& url, const std::string& flag);

}  // namespace fib
