// GnuplotScript: the gnuplot commands that draw one PlotSpec on PNG (pngcairo when gnuplot has
// it, else libgd png), SVG or the ASCII `dumb` terminal. Data travels inline as `$name << EOD`
// blocks, so one script on stdin is all gnuplot needs.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "bench/report/plot_spec.h"
#include "common/status.h"

namespace fib {

enum class PlotTerminal { kPng, kSvg, kDumb };

struct GnuplotScriptOptions {
  int image_width_px = 1000;
  int image_height_px = 600;
  int text_width_chars = 100;  // dumb terminal
  int text_height_chars = 32;
};

// Returns commands that draw `spec` on `terminal` into `output_path` ("" = gnuplot's stdout).
std::string GnuplotScript(const PlotSpec& spec, PlotTerminal terminal,
                          const std::string& output_path, const GnuplotScriptOptions& options);
// Returns the commands that select `terminal` (size from `options`) and send it to `output_path`
// ("" = gnuplot's stdout).
std::string GnuplotTerminalCommands(PlotTerminal terminal, const std::string& output_path,
                                    const GnuplotScriptOptions& options);
// Returns `text` as a gnuplot single-quoted string (no escapes are processed inside, and gnuplot
// does no macro expansion in quotes): ' doubled, control characters (newline, CR, ...) as spaces,
// so the result is always one token on one line — report text cannot become a command.
std::string GnuplotQuote(const std::string& text);

// Checks that `script` holds only commands GnuplotScript writes: outside inline data blocks every
// line starts with one of them, single quotes balance on each line, and no backquote, `@` macro
// or `system` appears outside quotes. DrawPlots runs it before gnuplot as a second fence behind
// GnuplotQuote; the error names the first offending line.
Status VerifyGnuplotScript(const std::string& script);

}  // namespace fib
