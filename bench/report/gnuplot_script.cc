#include "bench/report/gnuplot_script.h"

#include <fmt/format.h>

#include <cmath>
#include <string_view>

namespace fib {

namespace {
// Ten distinguishable colours (the "tab10" palette); report i keeps colour i in every chart.
constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

// Labels 0%, 90%, 99%, ... at x = 1, 10, 100, ... (x = 1/(1-p)); '%%' because gnuplot reads
// explicit tic labels as format strings.
std::string PercentileTics(double x_max) {
  std::string tics = "set xtics (";
  for (int decade = 0; std::pow(10.0, decade) <= x_max * 1.0001; ++decade) {
    std::string label = decade == 0   ? "0"
                        : decade == 1 ? "90"
                        : decade == 2 ? "99"
                                      : "99." + std::string(decade - 2, '9');
    tics += fmt::format("{}\"{}%%\" {:g}", decade ? ", " : "", label, std::pow(10.0, decade));
  }
  return tics + ")\n";
}

std::string AxisCommands(const PlotSpec& spec) {
  std::string out = "set title " + GnuplotQuote(spec.title) + "\n" + "set xlabel " +
                    GnuplotQuote(spec.x_label) + "\n" + "set ylabel " + GnuplotQuote(spec.y_label) +
                    "\n" + "set grid\nset key " + spec.key_position + " Left reverse box opaque\n";
  if (spec.percentile_axis) {
    out += fmt::format("set logscale x 10\nset xrange [1:{:g}]\n", spec.x_max) +
           PercentileTics(spec.x_max);
  }
  out += spec.log_y ? "set logscale y 10\nset yrange [*:*]\n" : "set yrange [0:*]\n";
  return out;
}
}  // namespace

std::string GnuplotTerminalCommands(PlotTerminal terminal, const std::string& output_path,
                                    const GnuplotScriptOptions& o) {
  std::string size = fmt::format("size {},{}", o.image_width_px, o.image_height_px);
  std::string out;
  switch (terminal) {
    case PlotTerminal::kPng:
      // Debian's gnuplot-nox has pngcairo; the libgd `png` terminal is the fallback.
      out = fmt::format(
          "if (strstrt(GPVAL_TERMINALS, ' pngcairo ') > 0) {{\n"
          "  set terminal pngcairo {0} noenhanced font 'sans,10' background '#ffffff'\n"
          "}} else {{\n"
          "  set terminal png {0} noenhanced background '#ffffff'\n"
          "}}\n",
          size);
      break;
    case PlotTerminal::kSvg:
      out = fmt::format(
          "set terminal svg {} dynamic noenhanced font 'sans,12' background '#ffffff'\n", size);
      break;
    case PlotTerminal::kDumb:
      out = fmt::format("set terminal dumb size {},{} noenhanced\n", o.text_width_chars,
                        o.text_height_chars);
      break;
  }
  out += output_path.empty() ? "set output\n" : "set output " + GnuplotQuote(output_path) + "\n";
  return out;
}

std::string GnuplotQuote(const std::string& text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "''";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      quoted += ' ';  // a newline would end the string and start a command of the report's choosing
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

std::string GnuplotScript(const PlotSpec& spec, PlotTerminal terminal,
                          const std::string& output_path, const GnuplotScriptOptions& options) {
  std::string script = "reset\n";
  for (size_t i = 0; i < spec.series.size(); ++i) {
    script += fmt::format("$s{} << EOD\n{}EOD\n", i, spec.series[i].data);
  }
  script += GnuplotTerminalCommands(terminal, output_path, options) + AxisCommands(spec) + "plot ";
  for (size_t i = 0; i < spec.series.size(); ++i) {
    const PlotSeries& s = spec.series[i];
    script += fmt::format("{}$s{} using 1:{} with lines lw 2 lc rgb '{}' dt {} title {}",
                          i ? ", \\\n     " : "", i, s.y_column,
                          kColors[s.color_index % std::size(kColors)], s.dashed ? 2 : 1,
                          GnuplotQuote(s.title));
  }
  return script + "\nunset output\n";
}

namespace {
// The first words of every line GnuplotScript writes outside `$sN << EOD` ... `EOD` blocks.
constexpr std::string_view kCommandHeads[] = {"reset",
                                              "if (strstrt(GPVAL_TERMINALS, ",
                                              "  set terminal ",
                                              "} else {",
                                              "}",
                                              "set terminal ",
                                              "set output",
                                              "unset output",
                                              "set title '",
                                              "set xlabel '",
                                              "set ylabel '",
                                              "set grid",
                                              "set key ",
                                              "set logscale ",
                                              "set xrange [",
                                              "set yrange [",
                                              "set xtics (",
                                              "set ytics (",
                                              "set style fill ",
                                              "plot $s",
                                              "     $s",
                                              ""};

// Returns "" when `line` is one of ours; otherwise what is wrong with it.
std::string LineProblem(std::string_view line) {
  bool known = false;
  for (std::string_view head : kCommandHeads) {
    if (line.substr(0, head.size()) == head && (!head.empty() || line.empty())) known = true;
  }
  if (!known) return "is not a command fibtastic-report writes";
  bool quoted = false;
  std::string outside;
  for (char c : line) {
    if (c == '\'') {
      quoted = !quoted;  // '' inside a string closes and reopens it: the same balance
    } else if (!quoted) {
      outside += c;
      if (c == '`' || c == '@') return "has a backquote or @ macro outside quotes";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      return "has a control character inside a string";
    }
  }
  if (quoted) return "leaves a quoted string open";
  if (outside.find("system") != std::string::npos) return "calls system";
  return "";
}
}  // namespace

Status VerifyGnuplotScript(const std::string& script) {
  size_t start = 0, number = 0;
  bool in_data = false;
  while (start < script.size()) {
    size_t end = script.find('\n', start);
    if (end == std::string::npos) end = script.size();
    std::string_view line(script.data() + start, end - start);
    ++number;
    start = end + 1;
    if (in_data) {
      in_data = line != "EOD";
      continue;
    }
    if (line.substr(0, 2) == "$s" && line.size() > 7 && line.substr(line.size() - 7) == " << EOD") {
      in_data = true;
      continue;
    }
    std::string problem = LineProblem(line);
    if (!problem.empty()) {
      return Status::Error(fmt::format("gnuplot script line {} {}: {}", number, problem,
                                       std::string(line.substr(0, 80))));
    }
  }
  if (in_data) return Status::Error("gnuplot script ends inside a data block");
  return Status::Ok();
}

}  // namespace fib
