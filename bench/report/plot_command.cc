// `fibtastic-report plot`: charts with gnuplot, as files or on the terminal.
#include <cstdio>

#include "bench/report/commands.h"
#include "bench/report/plotter.h"

namespace fib {

namespace {
const char kProgram[] = "fibtastic-report plot";
}  // namespace

int RunPlot(int argc, char** argv, const ReportToolEnv& env) {
  PlotOptions o;
  o.search_path = env.path;
  o.script.text_width_chars = env.terminal_width_chars;
  std::vector<std::string> hgrm_files, labels;
  FlagSet flags(kProgram, "[options] -o DIR A.json B.json ... | --terminal A.json ...",
                "Draws, with gnuplot (Debian package gnuplot-nox), PNG and SVG charts of:\n"
                "  latency_percentiles  response latency by percentile on HdrHistogram's log axis\n"
                "                       (x = 1/(1-p), ticks 0%, 90%, 99%, 99.9%, ...), one line\n"
                "                       per report\n"
                "  latency_over_time    p50 and p99 per second (\"timeseries\")\n"
                "  e2e_latency          time to email by percentile, with response latency\n"
                "  queue_depth          Redis queue depth and busy workers (\"redis_samples\")\n"
                "  waterfall_N          for the N-th input with stages (loadgen --mail): its\n"
                "                       timeline from request to email, p50 bars end to end with\n"
                "                       p99 whiskers (and the lesson's figures for its profile)\n"
                "A chart no input has data for is skipped (said on stderr). Inputs: fibtastic-\n"
                "loadgen --json reports, merged reports, and .hgrm files (wrk2 --latency,\n"
                "HdrHistogram), whose rows are plotted as printed.");
  flags.String("output", 'o', &o.output_dir, "DIR", "directory for the PNG and SVG files");
  flags.String("title", 't', &o.title, "TEXT", "title shown before each chart's own title");
  flags.Bool("terminal", 0, &o.terminal,
             "draw ASCII charts on stdout (gnuplot's dumb terminal) instead of files");
  flags.StringList("hgrm", 0, &hgrm_files, "FILE",
                   "an .hgrm percentile distribution to plot as well (repeatable; .hgrm files "
                   "given as plain arguments are recognised too)");
  flags.StringList("label", 'l', &labels, "TEXT",
                   "label for the inputs in order (reports, then --hgrm files) (repeatable)");
  flags.Int("width", 0, &o.script.image_width_px, "px", "image width");
  flags.Int("height", 0, &o.script.image_height_px, "px", "image height");
  flags.Int("terminal-width", 0, &o.script.text_width_chars, "chars",
            "--terminal chart width (default from $COLUMNS, else 100)");
  flags.Int("terminal-height", 0, &o.script.text_height_chars, "lines", "--terminal chart height");
  flags.String("gnuplot", 0, &o.gnuplot_program, "PATH", "the gnuplot program to run");
  std::vector<std::string> files;
  if (auto done = ParseCommandFlags(flags, kProgram, argc, argv, &files)) return *done;
  files.insert(files.end(), hgrm_files.begin(), hgrm_files.end());
  if (files.empty()) return UsageError(kProgram, "no report files given");
  if (!o.terminal && o.output_dir.empty()) {
    return UsageError(kProgram, "-o DIR is required (or --terminal for ASCII charts)");
  }
  if (o.script.image_width_px < 100 || o.script.image_height_px < 100 ||
      o.script.text_width_chars < 40 || o.script.text_height_chars < 10) {
    return UsageError(kProgram, "chart sizes must be at least 100x100 px / 40x10 chars");
  }
  std::vector<Report> reports;
  if (!LoadReports(kProgram, files, labels, &reports)) return 2;
  Result<PlotOutcome> outcome = DrawPlots(reports, o);
  if (!outcome.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProgram, outcome.message().c_str());
    return 1;
  }
  for (const std::string& line : outcome->skipped)
    std::fprintf(stderr, "%s: %s\n", kProgram, line.c_str());
  if (!outcome->gnuplot_warnings.empty()) {
    std::fprintf(stderr, "%s: gnuplot said: %s", kProgram, outcome->gnuplot_warnings.c_str());
  }
  for (const std::string& file : outcome->files)
    std::fprintf(stderr, "%s: wrote %s\n", kProgram, file.c_str());
  return 0;
}

}  // namespace fib
