// Report outputs of one loadgen run: the wrk2-like summary for people, the report JSON
// (docs/report-format.md, schema 1), the .hgrm percentile distribution and the CSV time series.
// Thread-safety: pure functions of their arguments.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "bench/histogram/hdr_histogram.h"
#include "bench/loadgen/load_runner.h"
#include "bench/loadgen/loadgen_options.h"

namespace fib {

// Returns {"p50","p75","p90","p99","p99_9","p99_99","min","max","mean","stdev"} in ms.
nlohmann::json LatencySummaryMs(const HdrHistogram& histogram);
// Returns the report object of docs/report-format.md for this run.
nlohmann::json ReportJson(const LoadgenOptions& options, const RunResult& result);
// Returns the human summary (with the percentile spectrum when options.latency).
std::string HumanSummary(const LoadgenOptions& options, const RunResult& result);
// Returns "t_s,requests,rps,p50_ms,p99_ms,errors" and one line per second.
std::string TimeseriesCsv(const RunResult& result);
// Writes --json, --hgrm and --csv as asked. Error names the flag and the file.
Status WriteOutputs(const LoadgenOptions& options, const RunResult& result);

}  // namespace fib
