#include "bench/orchestrator/xy_plot.h"

#include <fmt/format.h>
#include <stdio.h>

#include <cmath>

namespace fib::bench {
namespace {

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string Script(const XYPlot& plot, const std::string& terminal, const std::string& output) {
  std::string s;
  for (size_t i = 0; i < plot.series.size(); ++i) {
    s += fmt::format("$s{} << EOD\n", i);
    for (const auto& [x, y] : plot.series[i].points) {
      if (!std::isnan(y) && (!plot.log_y || y > 0)) s += fmt::format("{} {}\n", x, y);
    }
    s += "EOD\n";
  }
  s += terminal + "\nset output " + Quote(output) + "\n";
  s += "set title " + Quote(plot.title) + "\n";
  s += "set xlabel " + Quote(plot.x_label) + "\nset ylabel " + Quote(plot.y_label) + "\n";
  s += "set grid\nset key top left\n";
  if (plot.log_x) s += "set logscale x 2\n";
  if (plot.log_y) s += "set logscale y 10\n";
  s += "plot ";
  for (size_t i = 0; i < plot.series.size(); ++i) {
    s += fmt::format("{}$s{} using 1:2 with linespoints lw 2 pt 7 title {}", i ? ", " : "", i,
                     Quote(plot.series[i].name));
  }
  return s + "\n";
}

Status RunGnuplot(const std::string& script) {
  FILE* pipe = popen("gnuplot 2>&1", "w");
  if (!pipe) return Status::Error("cannot run gnuplot; install Debian's gnuplot-nox");
  fwrite(script.data(), 1, script.size(), pipe);
  int rc = pclose(pipe);
  if (rc != 0) return Status::Error(fmt::format("gnuplot failed (status {}) on a plot", rc));
  return Status::Ok();
}

}  // namespace

Status PlotXY(const XYPlot& plot, const std::string& out_base) {
  Status png = RunGnuplot(
      Script(plot, "set terminal pngcairo size 900,540 font 'DejaVu Sans,10'", out_base + ".png"));
  if (!png.ok()) return png;
  return RunGnuplot(Script(plot, "set terminal svg size 900,540 dynamic font 'DejaVu Sans,10'",
                           out_base + ".svg"));
}

}  // namespace fib::bench
