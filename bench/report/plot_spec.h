// PlotSpec: one chart of `fibtastic-report plot` described as data (series, axes, titles), and
// the builders of the four charts from reports. GnuplotScript turns a spec into gnuplot commands.
// Thread-safety: pure functions; specs are value types.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/report/report.h"

namespace fib {

struct PlotSeries {
  std::string title;     // legend entry
  std::string data;      // whitespace-separated rows
  std::string y_column;  // gnuplot `using` expression for y, e.g. "2"
  int color_index = 0;   // same report = same colour in every chart
  bool dashed = false;
};

struct PlotSpec {
  std::string file_stem;  // "latency_percentiles" → latency_percentiles.png / .svg
  std::string title;
  std::string x_label, y_label;
  // x is 1/(1-p) on a log axis labelled 0%, 90%, 99%, ... up to x_max (a power of ten).
  bool percentile_axis = false;
  double x_max = 100;
  bool log_y = false;
  std::string key_position = "top left";
  std::vector<PlotSeries> series;
};

// Each builder returns nullopt when no report has the chart's data. `title` prefixes the
// chart's own title when not empty.
// (1) response latency by percentile, one line per report.
std::optional<PlotSpec> LatencyPercentilePlot(const std::vector<Report>& reports,
                                              const std::string& title);
// (2) p50 and p99 per second from "timeseries".
std::optional<PlotSpec> LatencyOverTimePlot(const std::vector<Report>& reports,
                                            const std::string& title);
// (3) e2e latency by percentile, with each report's response latency for contrast.
std::optional<PlotSpec> EndToEndPlot(const std::vector<Report>& reports, const std::string& title);
// (4) Redis queue depth (and busy workers) over time from "redis_samples".
std::optional<PlotSpec> QueueDepthPlot(const std::vector<Report>& reports,
                                       const std::string& title);

}  // namespace fib
