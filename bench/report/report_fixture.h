// ReportFixture: builds schema-1 reports (docs/report-format.md) from known latencies for the
// report tool's tests, the way fibtastic-loadgen records them: every value goes into an
// HdrHistogram, summaries come from HdrHistogram's own percentiles, one timeseries row per
// second. Test-only; not linked into fibtastic-report.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fib {

struct FixtureOptions {
  std::string label = "fixture";
  std::vector<int64_t> latencies_us;              // response latencies, in recording order
  std::vector<int64_t> uncorrected_latencies_us;  // empty: same as latencies_us
  std::vector<int64_t> e2e_latencies_us;          // empty: no e2e section
  double duration_s = 10;                         // latencies spread evenly over it
  double offered_rps = 0;                         // 0: requests / duration
  int64_t errors = 0;                             // counted as "status" errors (HTTP 500)
  int64_t e2e_missing = 0;
  int connections = 4;
  int cores = 2;
  std::string build_type = "Release";
  bool with_redis_samples = false;  // a queue that fills then drains
};

// Returns the report as fibtastic-loadgen --json would write it for these latencies.
nlohmann::json MakeFixtureReport(const FixtureOptions& options);
// Adds the lesson's stages as fibtastic-loadgen --mail writes them (summary.stage_order,
// stages_ms, server_timing_ms), each p50 the lesson's figure plus `extra_ms`, p99 10% higher.
void AddLessonStages(nlohmann::json* report, bool background, double extra_ms);
// Returns `n` latencies (µs) spread over [low_us, high_us] deterministically from `seed`, with
// a long tail (every 100th value 10x larger): realistic enough to exercise every percentile.
std::vector<int64_t> FixtureLatencies(size_t n, int64_t low_us, int64_t high_us, uint32_t seed);
// Creates a fresh directory under the system temp dir; returns its path ("" on failure).
std::string MakeTempDir(const std::string& prefix);
// Writes `json` to `path` (pretty-printed); returns false on failure.
bool WriteJsonFile(const std::string& path, const nlohmann::json& json);

}  // namespace fib
