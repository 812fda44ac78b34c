#include "bench/report/plotter.h"

#include <filesystem>
#include <functional>
#include <optional>

#include "bench/report/gnuplot_runner.h"
#include "bench/report/plot_spec.h"

namespace fib {

namespace {
namespace fs = std::filesystem;

struct Chart {
  const char* name;
  const char* missing;  // why it is skipped when no report has its data
  std::function<std::optional<PlotSpec>(const std::vector<Report>&, const std::string&)> build;
};

const Chart kCharts[] = {
    {"latency_percentiles", "no report has a latency distribution", LatencyPercentilePlot},
    {"latency_over_time", "no report has a \"timeseries\"", LatencyOverTimePlot},
    {"e2e_latency", "no report has e2e latency (fibtastic-loadgen --mail)", EndToEndPlot},
    {"queue_depth", "no report has \"redis_samples\" (fibtastic-loadgen --redis-url)",
     QueueDepthPlot},
};

Status CheckWritten(const std::string& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec || size == 0) return Status::Error("gnuplot did not write " + path);
  return Status::Ok();
}
}  // namespace

std::string PlotScript(const std::vector<Report>& reports, const PlotOptions& options,
                       PlotOutcome* outcome) {
  std::string script;
  for (const Chart& chart : kCharts) {
    std::optional<PlotSpec> spec = chart.build(reports, options.title);
    if (!spec) {
      outcome->skipped.push_back(std::string(chart.name) + ": skipped, " + chart.missing);
      continue;
    }
    if (options.terminal) {
      script += GnuplotScript(*spec, PlotTerminal::kDumb, "", options.script);
      continue;
    }
    for (auto [terminal, extension] :
         {std::pair{PlotTerminal::kPng, ".png"}, std::pair{PlotTerminal::kSvg, ".svg"}}) {
      std::string path = (fs::path(options.output_dir) / (spec->file_stem + extension)).string();
      script += GnuplotScript(*spec, terminal, path, options.script);
      outcome->files.push_back(path);
    }
  }
  return script;
}

Result<PlotOutcome> DrawPlots(const std::vector<Report>& reports, const PlotOptions& options) {
  Result<std::string> gnuplot = FindGnuplot(options.gnuplot_program, options.search_path);
  if (!gnuplot.ok()) return gnuplot.status();
  if (!options.terminal) {
    std::error_code ec;
    fs::create_directories(options.output_dir, ec);
    if (ec) return Status::Error("cannot create " + options.output_dir + ": " + ec.message());
  }
  PlotOutcome outcome;
  std::string script = PlotScript(reports, options, &outcome);
  if (script.empty()) return outcome;
  if (Status verified = VerifyGnuplotScript(script); !verified.ok()) return verified;
  Status s = RunGnuplot(*gnuplot, script, options.terminal, &outcome.gnuplot_warnings);
  if (!s.ok()) return s;
  for (const std::string& path : outcome.files) {
    if (Status written = CheckWritten(path); !written.ok()) return written;
  }
  return outcome;
}

}  // namespace fib
