// LoadgenRun: one run of fibtastic-loadgen as a child process, and what the orchestrator reads
// back from its JSON report (schema 1, docs/report-format.md).
// Thread-safety: functions are thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/process.h"
#include "common/status.h"

namespace fib::bench {

struct LoadgenSpec {
  std::string label;    // also the output file stem
  std::string url;      // the web's POST /sequences
  std::string body;     // form body; {n} is the request number
  double rate_rps = 1;  // 0 = closed loop
  double duration_s = 10;
  double warmup_s = 0;
  int connections = 8;
  int timeout_ms = 30000;
  std::string mail_url;  // "" = no end-to-end join
  double drain_s = 10;
  std::string redis_url;  // "" = no queue sampling
  int64_t requests = 0;   // > 0: stop after exactly this many (-n) instead of the duration
  std::string arrivals = "constant";  // constant | poisson | burst (--arrivals)
  int64_t seed = 1;                   // poisson: --seed
};

struct LoadgenResult {
  std::string json_path;
  nlohmann::json report;  // the parsed JSON
};

// A load generator started and not yet finished.
struct RunningLoadgen {
  std::unique_ptr<ChildProcess> child;
  std::string stem;  // <out_dir>/<label>
  std::string label;
};

// Starts the load generator, writing <out_dir>/<label>.{json,hgrm,csv,txt}.
Result<RunningLoadgen> StartLoadgen(const LoadgenSpec& spec, const std::string& bin_dir,
                                    const std::string& out_dir);
// Waits for it to finish and reads its report. Returns an error pointing at its output when it
// fails.
Result<LoadgenResult> FinishLoadgen(RunningLoadgen* run);
// StartLoadgen, then FinishLoadgen.
Result<LoadgenResult> RunLoadgen(const LoadgenSpec& spec, const std::string& bin_dir,
                                 const std::string& out_dir);

// Returns v as a JSON number, or null when it is NaN or infinite (a figure not measured).
nlohmann::json NumberOrNull(double v);
// Returns object[key] when it is a number, else NaN (absent, null, not an object).
double NumberAt(const nlohmann::json& object, const char* key);
// Returns summary.<section>.<key> (e.g. "latency_ms", "p50"), or NaN when absent.
double SummaryValue(const nlohmann::json& report, const std::string& section,
                    const std::string& key);
// Formats a millisecond figure for tables: "223.4", "—" for NaN.
std::string Ms(double value);

}  // namespace fib::bench
