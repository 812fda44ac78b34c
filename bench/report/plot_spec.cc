#include "bench/report/plot_spec.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "bench/report/metric_catalog.h"

namespace fib {

namespace {
std::string Titled(const std::string& prefix, const std::string& chart) {
  return prefix.empty() ? chart : prefix + ": " + chart;
}

// Rows "1/(1-p) value_ms" of the spectrum, leaving out the 100% row (at infinity on this axis).
std::string SpectrumData(const LatencySpectrum& spectrum, double* max_x) {
  std::string rows;
  for (const SpectrumPoint& p : spectrum.Ticks()) {
    double x = p.InverseTail();
    if (!std::isfinite(x)) continue;
    *max_x = std::max(*max_x, x);
    rows += fmt::format("{:.9g} {:.9g}\n", x, p.value_ms);
  }
  return rows;
}

std::string SpectrumTitle(const std::string& name, const LatencySpectrum& s) {
  return fmt::format("{} (n={}, max {} ms)", name, s.total_count(),
                     FormatMetricValue(MetricUnit::kMilliseconds, s.max_ms()));
}

// The smallest power of ten at or above `x`, at least 100 so 90% and 99% are always labelled.
double DecadeAbove(double x) {
  return std::max(100.0, std::pow(10.0, std::ceil(std::log10(std::max(x, 1.0)) - 1e-9)));
}

PlotSpec MakeSpec(const char* file_stem, std::string title, const char* x_label,
                  const char* y_label) {
  PlotSpec spec;
  spec.file_stem = file_stem;
  spec.title = std::move(title);
  spec.x_label = x_label;
  spec.y_label = y_label;
  return spec;
}

std::string Optional(const std::optional<double>& v) {
  return v ? fmt::format("{:.9g}", *v) : "NaN";  // NaN leaves a gap in gnuplot's line
}
}  // namespace

std::optional<PlotSpec> LatencyPercentilePlot(const std::vector<Report>& reports,
                                              const std::string& title) {
  PlotSpec spec = MakeSpec("latency_percentiles", Titled(title, "response latency by percentile"),
                           "percentile (log scale of 1/(1-p))", "latency (ms)");
  spec.percentile_axis = true;
  double max_x = 1;
  for (size_t i = 0; i < reports.size(); ++i) {
    if (!reports[i].latency.has_spectrum()) continue;
    const LatencySpectrum& s = *reports[i].latency.spectrum;
    spec.series.push_back({SpectrumTitle(reports[i].label, s), SpectrumData(s, &max_x), "2",
                           static_cast<int>(i), false});
  }
  if (spec.series.empty()) return std::nullopt;
  spec.x_max = DecadeAbove(max_x);
  return spec;
}

std::optional<PlotSpec> LatencyOverTimePlot(const std::vector<Report>& reports,
                                            const std::string& title) {
  PlotSpec spec = MakeSpec("latency_over_time",
                           Titled(title, "response latency over time (p99 solid, p50 dashed)"),
                           "time since the start of the measured window (s)", "latency (ms)");
  for (size_t i = 0; i < reports.size(); ++i) {
    if (reports[i].timeseries.empty()) continue;
    std::string rows;
    for (const TimeseriesRow& row : reports[i].timeseries) {
      rows += fmt::format("{:.9g} {} {}\n", row.t_s, Optional(row.p50_ms), Optional(row.p99_ms));
    }
    int color = static_cast<int>(i);
    spec.series.push_back({reports[i].label + " p99", rows, "3", color, false});
    spec.series.push_back({reports[i].label + " p50", rows, "2", color, true});
  }
  if (spec.series.empty()) return std::nullopt;
  return spec;
}

std::optional<PlotSpec> EndToEndPlot(const std::vector<Report>& reports, const std::string& title) {
  PlotSpec spec = MakeSpec(
      "e2e_latency",
      Titled(title, "time to email (e2e, solid) vs response latency (dashed) by percentile"),
      "percentile (log scale of 1/(1-p))", "latency (ms, log scale)");
  spec.percentile_axis = true;
  spec.log_y = true;
  double max_x = 1;
  for (size_t i = 0; i < reports.size(); ++i) {
    const Report& r = reports[i];
    if (!r.e2e.has_spectrum()) continue;
    int color = static_cast<int>(i);
    spec.series.push_back({SpectrumTitle(r.label + " e2e", *r.e2e.spectrum),
                           SpectrumData(*r.e2e.spectrum, &max_x), "2", color, false});
    if (r.latency.has_spectrum()) {
      spec.series.push_back({SpectrumTitle(r.label + " response", *r.latency.spectrum),
                             SpectrumData(*r.latency.spectrum, &max_x), "2", color, true});
    }
  }
  if (spec.series.empty()) return std::nullopt;
  spec.x_max = DecadeAbove(max_x);
  return spec;
}

std::optional<PlotSpec> QueueDepthPlot(const std::vector<Report>& reports,
                                       const std::string& title) {
  PlotSpec spec =
      MakeSpec("queue_depth", Titled(title, "Redis queue depth (solid) and busy workers (dashed)"),
               "time since the start of the run (s)", "jobs");
  for (size_t i = 0; i < reports.size(); ++i) {
    if (reports[i].redis_samples.empty()) continue;
    std::string rows;
    for (const RedisSample& s : reports[i].redis_samples) {
      rows += fmt::format("{:.9g} {} {}\n", s.t_s, s.queue_depth, s.busy);
    }
    int color = static_cast<int>(i);
    spec.series.push_back({reports[i].label + " queue depth", rows, "2", color, false});
    spec.series.push_back({reports[i].label + " busy", rows, "3", color, true});
  }
  if (spec.series.empty()) return std::nullopt;
  return spec;
}

}  // namespace fib
