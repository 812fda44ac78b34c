// Report: one latency report as the report tool reads it — a fibtastic-loadgen JSON report
// (schema 1, docs/report-format.md) or an .hgrm percentile distribution (wrk2, HdrHistogram).
// Figures are looked up by metric name (metric_catalog.h); latency percentiles come from the
// histograms when present, otherwise from the summary fields.
// Thread-safety: a value type; safe to read from several threads.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/histogram/hdr_histogram.h"
#include "bench/report/latency_spectrum.h"

namespace fib {

// One second of the measured window (docs/report-format.md "timeseries").
struct TimeseriesRow {
  double t_s = 0;
  int64_t requests = 0;
  double rps = 0;
  std::optional<double> p50_ms, p99_ms;
  int64_t errors = 0;
};

// One Redis sample (docs/report-format.md "redis_samples").
struct RedisSample {
  double t_s = 0;
  int64_t queue_depth = 0, retry = 0, dead = 0, busy = 0;
};

// One stage of the request's way to its email, or one of the web's Server-Timing metrics
// (docs/report-format.md "stages_ms", "server_timing_ms"). NaN when the report lacks a figure.
struct StageLatency {
  std::string name;  // checked: 1 to kMaxStageNameBytes printable bytes
  double p50_ms = NAN, p99_ms = NAN;
};
inline constexpr size_t kMaxStageNameBytes = 80;  // X-Fib-Timing's own bound (docs/measurement.md)
inline constexpr size_t kMaxStages = 64;

// A latency distribution: the histogram as recorded (JSON reports) and its spectrum.
struct LatencyData {
  std::optional<HdrHistogram> histogram_us;
  std::optional<LatencySpectrum> spectrum;
  bool has_spectrum() const { return spectrum.has_value() && !spectrum->empty(); }
};

struct Report {
  std::string source;  // the file it was read from
  std::string label;
  bool is_hgrm = false;
  nlohmann::json json = nlohmann::json::object();  // the report as read ({} for .hgrm)
  nlohmann::json conditions = nlohmann::json::object();
  std::map<std::string, double> metrics;  // by canonical metric name
  LatencyData latency, uncorrected, e2e;
  std::vector<TimeseriesRow> timeseries;
  std::vector<RedisSample> redis_samples;
  // summary.stages_ms in stage_order (they add up to the e2e time), and the web's metrics.
  std::vector<StageLatency> stages, web_stages;
  // Warnings the loadgen wrote into summary.warnings (e.g. "WARNING: schedule lag ...").
  std::vector<std::string> warnings;
  // Things a reader should know, e.g. "percentiles from summary fields (no histograms)".
  std::vector<std::string> notes;

  // Returns the metric's value, or nullopt when the report does not have it.
  std::optional<double> Metric(std::string_view name) const;
  // True when the conditions say the report came from a debug build.
  bool debug_build() const;
  // Returns "label (file)", how tables and messages name a report.
  std::string DisplayName() const;
};

}  // namespace fib
