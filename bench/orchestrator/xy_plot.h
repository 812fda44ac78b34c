// PlotXY: a line chart of a few named series with gnuplot (PNG and SVG), for the orchestrator's
// summary curves (latency against sequence length, offered rate or worker count).
// Thread-safety: thread-compatible (runs a gnuplot child process).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace fib::bench {

struct XYSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // NaN y values are left out
};

struct XYPlot {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = false;
  bool log_y = false;
  std::vector<XYSeries> series;
};

// Writes <out_base>.png and <out_base>.svg. Returns an error with gnuplot's message on failure.
Status PlotXY(const XYPlot& plot, const std::string& out_base);

}  // namespace fib::bench
