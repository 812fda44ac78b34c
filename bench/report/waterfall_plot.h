// WaterfallPlot: where one report's requests spend their time, as a horizontal timeline from the
// request's send — the web's stages, the response leaving, then the job's segments up to the
// email arriving: p50 bars laid end to end with p99 whiskers, and, for the lesson's profile, the
// lesson's own figures as a hatched bar beside each row. Stage names are report data: they reach
// gnuplot only through GnuplotQuote.
// Thread-safety: pure functions; specs are value types.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "bench/report/gnuplot_script.h"
#include "bench/report/report.h"

namespace fib {

// One row of the timeline (top to bottom). Times in ms from the request's intended send.
struct WaterfallRow {
  std::string label;
  bool total = false;  // "response sent" / "email arrives": a bar from 0, drawn in grey
  double start_ms = 0, p50_ms = 0, p99_ms = 0;    // bar [start, start+p50], whisker to start+p99
  double lesson_start_ms = NAN, lesson_ms = NAN;  // NaN: the lesson has no figure for the row
};

struct WaterfallSpec {
  std::string file_stem;  // "waterfall_2" for the second input report
  std::string title;
  std::vector<WaterfallRow> rows;
};

// Returns the timeline of `report` (the index-th input, from 0), or nullopt when it has no
// stages. `title` prefixes the chart's own title when not empty.
std::optional<WaterfallSpec> WaterfallFor(const Report& report, size_t index,
                                          const std::string& title);
// Returns gnuplot commands that draw `spec` on `terminal` into `output_path` ("" = stdout).
std::string WaterfallScript(const WaterfallSpec& spec, PlotTerminal terminal,
                            const std::string& output_path, const GnuplotScriptOptions& options);

}  // namespace fib
