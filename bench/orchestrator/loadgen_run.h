// LoadgenRun: one run of fibtastic-loadgen as a child process, and what the orchestrator reads
// back from its JSON report (schema 1, docs/report-format.md).
// Thread-safety: functions are thread-compatible.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

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
};

struct LoadgenResult {
  std::string json_path;
  nlohmann::json report;  // the parsed JSON
};

// Runs the load generator to completion, writing <out_dir>/<label>.{json,hgrm,csv,txt}.
// Returns an error pointing at its output when it fails.
Result<LoadgenResult> RunLoadgen(const LoadgenSpec& spec, const std::string& bin_dir,
                                 const std::string& out_dir);

// Returns summary.<section>.<key> (e.g. "latency_ms", "p50"), or NaN when absent.
double SummaryValue(const nlohmann::json& report, const std::string& section,
                    const std::string& key);
// Formats a millisecond figure for tables: "223.4", "—" for NaN.
std::string Ms(double value);

}  // namespace fib::bench
