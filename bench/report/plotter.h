// Plotter: draws the report charts (percentile spectrum, latency over time, e2e latency, queue
// depth, and one stage waterfall per report with stages) with gnuplot — PNG and SVG files in a
// directory, or ASCII on stdout — skipping charts no report has data for. Thread-safety: pure
// functions; each call runs its own gnuplot.
#pragma once

#include <string>
#include <vector>

#include "bench/report/gnuplot_script.h"
#include "bench/report/report.h"
#include "common/status.h"

namespace fib {

struct PlotOptions {
  std::string output_dir;  // PNG/SVG go here (created when missing)
  std::string title;       // prefixes every chart title
  bool terminal = false;   // ASCII charts on stdout instead of files
  std::string gnuplot_program = "gnuplot";
  std::string search_path = "/usr/bin:/bin";  // where to look for gnuplot_program ($PATH)
  GnuplotScriptOptions script;
};

struct PlotOutcome {
  std::vector<std::string> files;    // written, in order
  std::vector<std::string> skipped;  // "e2e_latency: no report has e2e latency", ...
  std::string gnuplot_warnings;      // what gnuplot printed on stderr, if anything
};

// Returns the gnuplot script for every chart some report has data for (files to be written and
// charts skipped go into `outcome`). Report text (labels, titles) is data: it reaches the script
// only through GnuplotQuote, so no report can add a command.
std::string PlotScript(const std::vector<Report>& reports, const PlotOptions& options,
                       PlotOutcome* outcome);
// Draws every chart some report has data for. Error when gnuplot is missing or fails, when
// the directory cannot be created, or when a file it should have written is empty.
Result<PlotOutcome> DrawPlots(const std::vector<Report>& reports, const PlotOptions& options);

}  // namespace fib
