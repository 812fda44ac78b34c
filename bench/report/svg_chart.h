// SvgChart: the charts of report.html drawn as inline SVG by our own code (no script library, no
// network): line charts on linear, log or percentile (log 1/(1-p)) axes with an optional second
// y axis, and the stage waterfall. Every point carries its value as a <title> (the hover text;
// report.html's small script shows it as a tooltip). All text is escaped (html_text.h).
// Thread-safety: pure functions; specs are value types.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "bench/report/waterfall_plot.h"

namespace fib {

enum class AxisScale {
  kLinear,
  kLog,
  // x only: percentiles 0..100 placed at log10(1/(1-p/100)), HdrHistogram's spectrum axis.
  kPercentile,
};

struct ChartSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), x increasing
  bool right_axis = false;                        // against the second y axis
  bool steps = false;                             // draw as steps (counts, queue depth)
};

struct ChartSpec {
  std::string title;
  std::string x_label, y_label, y2_label;  // y2 only when a series uses the right axis
  AxisScale x_scale = AxisScale::kLinear, y_scale = AxisScale::kLinear;
  std::vector<ChartSeries> series;
  std::string note;  // shown under the chart, e.g. how it was downsampled
};

// The most points one series keeps (Downsample); keeps report.html a few MB at most.
inline constexpr size_t kMaxPointsPerSeries = 400;
// The highest 1/(1-p) the percentile axis shows: p = 100% (infinite) is drawn there.
inline constexpr double kMaxInverseTail = 1e6;

// Returns `points` reduced to at most `max_points`: consecutive runs of points become the one
// with the largest y (peaks, such as a queue's depth, stay visible). Unchanged when short.
std::vector<std::pair<double, double>> Downsample(
    const std::vector<std::pair<double, double>>& points, size_t max_points);

// Returns the chart as a <figure> holding an inline <svg>, its caption and legend; a chart
// without any point says so instead.
std::string RenderSvgChart(const ChartSpec& spec);

// Returns the waterfall as a <figure> holding an inline <svg>: p50 bars end to end, p99
// whiskers, the lesson's figure as a hatched bar beside each row that has one.
std::string RenderSvgWaterfall(const WaterfallSpec& spec);

}  // namespace fib
