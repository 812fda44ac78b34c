#include "bench/report/waterfall_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace fib {

namespace {
// The lesson's figures (reference/background-workers-lesson.md) by stage name: the web's
// Server-Timing metrics and the segments of stages_ms. "web to enqueue" is load user + enqueue,
// "queue wait" the lesson's 1 ms "reads queued job"; segments the lesson does not draw are 0.
const std::map<std::string, double, std::less<>> kLessonWebMs = {
    {"load_user", 3}, {"enqueue", 1}, {"job", 200}, {"render", 20}};
const std::map<std::string, double, std::less<>> kLessonStageMs = {
    {"to web", 0},       {"web to enqueue", 4}, {"web to job", 3},
    {"queue wait", 1},   {"pickup", 0},         {"generate recommendations", 100},
    {"job overhead", 0}, {"smtp", 100}};
// The web's metrics in the order a request runs them; others follow alphabetically.
constexpr const char* kWebOrder[] = {"load_user", "enqueue", "job", "render"};

double Or(double v, double fallback) { return std::isnan(v) ? fallback : v; }

double Lesson(const std::map<std::string, double, std::less<>>& table, const std::string& name) {
  auto it = table.find(name);
  return it == table.end() ? NAN : it->second;
}

std::vector<const StageLatency*> WebInRunOrder(const Report& report) {
  std::vector<const StageLatency*> out;
  for (const char* name : kWebOrder) {
    for (const StageLatency& s : report.web_stages) {
      if (s.name == name) out.push_back(&s);
    }
  }
  for (const StageLatency& s : report.web_stages) {
    if (std::find(out.begin(), out.end(), &s) == out.end() && s.name != "total") out.push_back(&s);
  }
  return out;
}

// A row laid end to end after `*at_ms` (and `*lesson_at_ms`), which it advances.
WaterfallRow Chained(const std::string& label, const StageLatency& s, double lesson_ms,
                     double* at_ms, double* lesson_at_ms) {
  WaterfallRow row{label, false, *at_ms, Or(s.p50_ms, 0), Or(s.p99_ms, Or(s.p50_ms, 0))};
  *at_ms += row.p50_ms;
  if (!std::isnan(lesson_ms)) {
    row.lesson_start_ms = *lesson_at_ms;
    row.lesson_ms = lesson_ms;
    *lesson_at_ms += lesson_ms;
  }
  return row;
}

WaterfallRow Total(const std::string& label, std::optional<double> p50, std::optional<double> p99,
                   double lesson_ms) {
  WaterfallRow row{label, true, 0, p50.value_or(0), p99.value_or(p50.value_or(0))};
  if (lesson_ms > 0) row.lesson_start_ms = 0, row.lesson_ms = lesson_ms;
  return row;
}

// gnuplot reads explicit tic labels as format strings: a '%' in a name must not be one.
std::string TicLabel(const std::string& name) {
  std::string out;
  for (char c : name) out += c == '%' ? std::string("%%") : std::string(1, c);
  return GnuplotQuote(out);
}

std::string DataBlock(const std::string& name, const std::vector<WaterfallRow>& rows, bool total,
                      bool lesson) {
  std::string block = "$" + name + " << EOD\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const WaterfallRow& r = rows[i];
    if (lesson) {
      if (!std::isnan(r.lesson_ms) && r.lesson_ms > 0) {
        block += fmt::format("{} {:.6g} {:.6g}\n", i + 1, r.lesson_start_ms,
                             r.lesson_start_ms + r.lesson_ms);
      }
    } else if (r.total == total) {
      block += fmt::format("{} {:.6g} {:.6g} {:.6g}\n", i + 1, r.start_ms, r.start_ms + r.p50_ms,
                           r.start_ms + std::max(r.p99_ms, r.p50_ms));
    }
  }
  return block + "EOD\n";
}

double RightEdge(const std::vector<WaterfallRow>& rows) {
  double edge = 1;
  for (const WaterfallRow& r : rows) {
    edge = std::max(edge, r.start_ms + std::max(r.p50_ms, r.p99_ms));
    if (!std::isnan(r.lesson_ms)) edge = std::max(edge, r.lesson_start_ms + r.lesson_ms);
  }
  return edge;
}

// Returns `options` with a text chart tall enough for three lines per row (two bars, a gap).
GnuplotScriptOptions Sized(GnuplotScriptOptions options, size_t rows) {
  options.text_height_chars = std::max(options.text_height_chars, static_cast<int>(rows) * 3 + 10);
  return options;
}

bool HasLesson(const std::vector<WaterfallRow>& rows) {
  return std::any_of(rows.begin(), rows.end(),
                     [](const WaterfallRow& r) { return !std::isnan(r.lesson_ms); });
}
}  // namespace

std::optional<WaterfallSpec> WaterfallFor(const Report& report, size_t index,
                                          const std::string& title) {
  if (report.stages.empty()) return std::nullopt;
  // The lesson's figures are drawn only for the lesson's job; another profile's are unknown.
  bool lesson = std::any_of(report.stages.begin(), report.stages.end(), [](const StageLatency& s) {
    return s.name == "generate recommendations";
  });
  bool background = std::any_of(report.stages.begin(), report.stages.end(),
                                [](const StageLatency& s) { return s.name == "queue wait"; });
  WaterfallSpec spec;
  spec.file_stem = fmt::format("waterfall_{}", index + 1);
  std::string chart = report.label + ": where the time goes (p50 bars end to end, p99 whiskers)";
  spec.title = title.empty() ? chart : title + ": " + chart;
  double at = 0, lesson_at = 0;
  auto lesson_ms = [&](const auto& table, const std::string& name) {
    return lesson ? Lesson(table, name) : NAN;
  };
  size_t first = 0;
  if (report.stages[0].name == "to web") {  // the web's stages start where the request arrives
    spec.rows.push_back(
        Chained("to web", report.stages[0], lesson_ms(kLessonStageMs, "to web"), &at, &lesson_at));
    first = 1;
  }
  double web_at = at, web_lesson_at = lesson_at;
  for (const StageLatency* s : WebInRunOrder(report)) {
    spec.rows.push_back(
        Chained(s->name + " (web)", *s, lesson_ms(kLessonWebMs, s->name), &web_at, &web_lesson_at));
  }
  if (report.Metric("p50")) {
    spec.rows.push_back(Total("response sent", report.Metric("p50"), report.Metric("p99"),
                              lesson ? (background ? 24 : 223) : NAN));
  }
  for (size_t i = first; i < report.stages.size(); ++i) {
    const StageLatency& s = report.stages[i];
    spec.rows.push_back(Chained(s.name, s, lesson_ms(kLessonStageMs, s.name), &at, &lesson_at));
  }
  if (report.Metric("e2e_p50")) {
    spec.rows.push_back(Total("email arrives", report.Metric("e2e_p50"), report.Metric("e2e_p99"),
                              lesson ? lesson_at : NAN));
  }
  return spec;
}

std::string WaterfallScript(const WaterfallSpec& spec, PlotTerminal terminal,
                            const std::string& output_path, const GnuplotScriptOptions& options) {
  const size_t n = spec.rows.size();
  std::string script = "reset\n" + DataBlock("s0", spec.rows, false, false) +
                       DataBlock("s1", spec.rows, true, false) +
                       DataBlock("s2", spec.rows, false, true) +
                       GnuplotTerminalCommands(terminal, output_path, Sized(options, n));
  script += "set title " + GnuplotQuote(spec.title) + "\n";
  script += "set xlabel " + GnuplotQuote("time since the request's intended send (ms)") + "\n";
  // Text charts cannot overlay a legend on the bars legibly: it goes below them there.
  script += terminal == PlotTerminal::kDumb
                ? "set grid xtics\nset key below horizontal Left reverse noopaque\n"
                : "set grid xtics\nset key top right vertical Left reverse box opaque\n";
  script += "set style fill solid 0.85 border -1\n";
  // Room right of the longest whisker for its value label.
  script += fmt::format("set xrange [0:{:.6g}]\nset yrange [{}:0.4]\n", RightEdge(spec.rows) * 1.45,
                        static_cast<double>(n) + 0.6);
  script += "set ytics (";
  for (size_t i = 0; i < n; ++i) {
    script += fmt::format("{}{} {}", i ? ", " : "", TicLabel(spec.rows[i].label), i + 1);
  }
  script += ")\n";
  const bool lesson = HasLesson(spec.rows);
  // Measured bars sit in the upper half of each row, the lesson's in the lower half.
  const char* upper = lesson ? "($1-0.36):($1+0.02)" : "($1-0.25):($1+0.25)";
  const char* whisker_y = lesson ? "($1-0.17)" : "($1)";
  script += fmt::format(
      "plot $s0 using (($2+$3)/2):1:2:3:{0} with boxxyerror lc rgb '#1f77b4' title "
      "'measured p50', \\\n"
      "     $s1 using (($2+$3)/2):1:2:3:{0} with boxxyerror lc rgb '#7f7f7f' title "
      "'measured p50, total', \\\n"
      "     $s0 using 3:{1}:3:4 with xerrorbars pt 0 lc rgb '#000000' title 'p99 (whisker)', \\\n"
      "     $s1 using 3:{1}:3:4 with xerrorbars pt 0 lc rgb '#000000' notitle, \\\n"
      "     $s0 using 4:{1}:(sprintf(' %.1f ms (p99 %.1f)', $3-$2, $4-$2)) with labels left "
      "notitle, \\\n"
      "     $s1 using 4:{1}:(sprintf(' %.1f ms (p99 %.1f)', $3-$2, $4-$2)) with labels left "
      "notitle",
      upper, whisker_y);
  if (lesson) {
    script +=
        ", \\\n"
        "     $s2 using (($2+$3)/2):1:2:3:($1+0.02):($1+0.36) with boxxyerror fs pattern 4 "
        "lc rgb '#ff7f0e' title 'the lesson''s figure', \\\n"
        "     $s2 using 3:($1+0.19):(sprintf(' %g ms (lesson)', $3-$2)) with labels left "
        "tc rgb '#b35900' notitle";
  }
  return script + "\nunset output\n";
}

}  // namespace fib
