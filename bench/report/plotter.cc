#include "bench/report/plotter.h"

#include <filesystem>
#include <functional>
#include <optional>

#include "bench/report/gnuplot_runner.h"
#include "bench/report/plot_spec.h"
#include "bench/report/waterfall_plot.h"

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

// Returns `draw` for the dumb terminal on stdout, or for <stem>.png and <stem>.svg in the output
// directory (recorded in outcome->files).
std::string InFiles(const PlotOptions& options, const std::string& stem, PlotOutcome* outcome,
                    const std::function<std::string(PlotTerminal, const std::string&)>& draw) {
  if (options.terminal) return draw(PlotTerminal::kDumb, "");
  std::string script;
  for (auto [terminal, extension] :
       {std::pair{PlotTerminal::kPng, ".png"}, std::pair{PlotTerminal::kSvg, ".svg"}}) {
    std::string path = (fs::path(options.output_dir) / (stem + extension)).string();
    script += draw(terminal, path);
    outcome->files.push_back(path);
  }
  return script;
}

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
    script += InFiles(options, spec->file_stem, outcome, [&](PlotTerminal t, const std::string& p) {
      return GnuplotScript(*spec, t, p, options.script);
    });
  }
  bool any_waterfall = false;
  for (size_t i = 0; i < reports.size(); ++i) {
    std::optional<WaterfallSpec> spec = WaterfallFor(reports[i], i, options.title);
    if (!spec) continue;
    any_waterfall = true;
    script += InFiles(options, spec->file_stem, outcome, [&](PlotTerminal t, const std::string& p) {
      return WaterfallScript(*spec, t, p, options.script);
    });
  }
  if (!any_waterfall) {
    outcome->skipped.push_back(
        "waterfall: skipped, no report has stages (fibtastic-loadgen --mail, \"stages_ms\")");
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
