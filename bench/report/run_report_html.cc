#include "bench/report/run_report_html.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "bench/report/html_page.h"
#include "bench/report/html_text.h"
#include "bench/report/report_reader.h"
#include "bench/report/svg_chart.h"

namespace fib {

namespace {
namespace fs = std::filesystem;
using nlohmann::json;

// Bounds on what one results directory may make us read (untrusted files).
constexpr uintmax_t kMaxFileBytes = 64u << 20;
constexpr size_t kMaxReportsPerScenario = 64;

// The lesson's own figures (the headline's "lesson says" column).
constexpr double kLessonInlineMs = 223, kLessonBackgroundMs = 24;

Result<std::string> ReadBounded(const fs::path& path) {
  std::error_code ec;
  uintmax_t size = fs::file_size(path, ec);
  if (ec) return Status::Error(path.string() + ": cannot read (" + ec.message() + ")");
  if (size > kMaxFileBytes) {
    return Status::Error(fmt::format("{}: {} bytes, above the {} MiB limit", path.string(), size,
                                     kMaxFileBytes >> 20));
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return Status::Error(path.string() + ": cannot read");
  return text.str();
}

// "inline-16rps" after "inline-2rps": digits compare as numbers.
bool NaturalLess(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) &&
        std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t ie = i, je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
      std::string na = a.substr(i, ie - i), nb = b.substr(j, je - j);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ie, j = je;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i, ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

// The implicit noexcept move reaches nlohmann::json's assert_invariant, which only asserts.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct RunFiles {
  json summary;
  std::vector<std::string> warnings;
  std::map<std::string, std::vector<Report>> reports;  // by scenario id
  size_t skipped = 0;                                  // files that were not loadgen reports
};

// Returns the loadgen reports in `folder`, in natural order of their names.
std::vector<Report> ScenarioReports(const fs::path& folder, size_t* skipped) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end(), NaturalLess);
  std::vector<Report> out;
  for (const std::string& name : names) {
    if (out.size() >= kMaxReportsPerScenario) break;
    Result<std::string> text = ReadBounded(folder / name);
    Result<Report> report = text.ok() ? ParseReportText(*text, (folder / name).string())
                                      : Result<Report>(Status::Error(text.message()));
    if (report.ok() && !report->is_hgrm) {
      out.push_back(std::move(*report));
    } else {
      ++*skipped;  // microbench.json and friends are not loadgen reports
    }
  }
  return out;
}

// report.md's WARNING lines without their Markdown ("> **WARNING: ...**").
std::vector<std::string> MarkdownWarnings(const std::string& markdown) {
  std::vector<std::string> out;
  std::istringstream in(markdown);
  for (std::string line; std::getline(in, line);) {
    size_t at = line.find("WARNING");
    if (at == std::string::npos) continue;
    std::string text = line.substr(at);
    while (!text.empty() && (text.back() == '*' || text.back() == ' ')) text.pop_back();
    out.push_back(text);
  }
  return out;
}

void AddUnique(std::vector<std::string>* lines, const std::string& line) {
  if (std::find(lines->begin(), lines->end(), line) == lines->end()) lines->push_back(line);
}

// Fills `run` from the files in `dir`.
Status LoadRun(const fs::path& dir, RunFiles* out) {
  RunFiles& run = *out;
  Result<std::string> text = ReadBounded(dir / "summary.json");
  if (!text.ok())
    return Status::Error(text.message() + " (is this a `make bench` results directory?)");
  run.summary = json::parse(*text, nullptr, false);
  if (!run.summary.is_object()) {
    return Status::Error((dir / "summary.json").string() + ": not a JSON object");
  }
  const json& conditions = run.summary.value("conditions", json::object());
  if (conditions.is_object() && conditions.contains("warning") && conditions["warning"].is_string())
    AddUnique(&run.warnings, conditions["warning"].get<std::string>());
  Result<std::string> markdown = ReadBounded(dir / "report.md");
  if (markdown.ok()) {
    for (const std::string& w : MarkdownWarnings(*markdown)) AddUnique(&run.warnings, w);
  }
  const json& scenarios = run.summary.value("scenarios", json::object());
  if (!scenarios.is_object()) return Status::Ok();
  for (const auto& [id, figures] : scenarios.items()) {
    std::error_code ec;
    // Scenario ids come from the file too: only a plain folder name inside dir is looked at.
    if (id.empty() || id.find('/') != std::string::npos || id[0] == '.') continue;
    if (fs::is_directory(dir / id, ec)) run.reports[id] = ScenarioReports(dir / id, &run.skipped);
    for (const Report& r : run.reports[id]) {
      for (const std::string& w : r.warnings) AddUnique(&run.warnings, r.label + ": " + w);
    }
  }
  return Status::Ok();
}

std::string DataCell(const json& variant, const std::string& mode, const std::string& key) {
  if (!variant.contains(key) || !variant[key].is_number()) return "—";
  double v = variant[key].get<double>();
  std::string out = fmt::format("<data value=\"{0}\" data-key=\"{1}.{2}\">{0}</data>",
                                ExactNumber(v), HtmlFromData(mode), HtmlFromData(key));
  const std::string low = key + "_ci95_low", high = key + "_ci95_high";
  if (variant.contains(low) && variant[low].is_number() && variant[high].is_number()) {
    out += fmt::format(" [<data value=\"{0}\">{0}</data>, <data value=\"{1}\">{1}</data>]",
                       ExactNumber(variant[low].get<double>()),
                       ExactNumber(variant[high].get<double>()));
  }
  return out;
}

std::string Within(const json& variant, double expected) {
  if (!variant.contains("p50_ms") || !variant["p50_ms"].is_number()) return "not measured";
  double off = (variant["p50_ms"].get<double>() - expected) / expected * 100;
  return fmt::format("{:+.1f}% of {:g} ms{}", off, expected,
                     std::fabs(off) <= 5 ? " (within ±5%)" : " (outside ±5%)");
}

json Variant(const json& lesson, const char* mode) {
  return lesson.contains(mode) && lesson[mode].is_object() ? lesson[mode] : json::object();
}
}  // namespace

std::string HeadlineHtml(const json& lesson) {
  json in = Variant(lesson, "inline"), bg = Variant(lesson, "background");
  auto cell = [](const json& v, const char* mode, const char* key) {
    return DataCell(v, mode, key);
  };
  std::string out =
      "<table id=\"headline\"><caption>Headline: the lesson's figures against this run's "
      "(ms; summary.json's values)</caption><thead><tr><th scope=\"col\">step</th>"
      "<th scope=\"col\">lesson says</th><th scope=\"col\">measured inline</th>"
      "<th scope=\"col\">measured background</th></tr></thead><tbody>";
  out += fmt::format(
      "<tr><th scope=\"row\">response time p50 / p99</th><td>223 ms / 24 ms</td><td>{} / {}</td>"
      "<td>{} / {}</td></tr>",
      cell(in, "inline", "p50_ms"), cell(in, "inline", "p99_ms"), cell(bg, "background", "p50_ms"),
      cell(bg, "background", "p99_ms"));
  out +=
      fmt::format("<tr><th scope=\"row\">enqueue p50</th><td>1 ms</td><td>—</td><td>{}</td></tr>",
                  cell(bg, "background", "enqueue_p50_ms"));
  out += fmt::format(
      "<tr><th scope=\"row\">time until the email arrives p50 / p99</th><td>—</td>"
      "<td>{} / {}</td><td>{} / {}</td></tr>",
      cell(in, "inline", "email_p50_ms"), cell(in, "inline", "email_p99_ms"),
      cell(bg, "background", "email_p50_ms"), cell(bg, "background", "email_p99_ms"));
  out += fmt::format(
      "<tr><th scope=\"row\">response p50 against the lesson</th><td></td><td>{}</td><td>{}</td>"
      "</tr>",
      Within(in, kLessonInlineMs), Within(bg, kLessonBackgroundMs));
  out += fmt::format(
      "<tr><th scope=\"row\">requests / errors</th><td></td><td>{} / {}</td><td>{} / {}</td></tr>",
      cell(in, "inline", "requests"), cell(in, "inline", "errors"),
      cell(bg, "background", "requests"), cell(bg, "background", "errors"));
  return out + "</tbody></table>\n";
}

namespace {
std::vector<const Report*> Pointers(const std::vector<Report>& reports) {
  std::vector<const Report*> out;
  out.reserve(reports.size());
  for (const Report& r : reports) out.push_back(&r);
  return out;
}

// Returns the (x, y) points of `steps` (an array of objects) that have both keys.
std::vector<std::pair<double, double>> Column(const json& steps, const char* x, const char* y) {
  std::vector<std::pair<double, double>> out;
  if (!steps.is_array()) return out;
  for (const json& s : steps) {
    if (s.is_object() && s.contains(x) && s.contains(y) && s[x].is_number() && s[y].is_number())
      out.emplace_back(s[x].get<double>(), s[y].get<double>());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Returns scenarios.<id>.machine_load (docs/measurement.md, "Machine load") as a sentence.
std::string MachineLoadText(const json& load) {
  auto number = [&load](const char* key) {
    return load.is_object() && load.contains(key) && load[key].is_number() ? load[key].get<double>()
                                                                           : NAN;
  };
  if (!load.is_object() || std::isnan(number("outside_cores_mean"))) {
    return load.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  bool busy = load.value("busy", false);
  return fmt::format(
      "{}other processes used {:.2f} of {:g} cores on average (peak {:.2f}), steal {:.1f}%, the "
      "run itself {:.2f} cores",
      busy ? "WARNING: busy machine: " : "", number("outside_cores_mean"), number("cpus"),
      number("outside_cores_peak"), number("steal_pct"), number("our_cores_mean"));
}

// The scenario's own conditions: its top-level strings and numbers, and the machine's load.
std::string ScenarioConditions(const std::string& id, const json& figures) {
  if (!figures.is_object() || id == "microbench") return "";  // its numbers are its results
  json shown = json::object();
  for (const auto& [key, value] : figures.items()) {
    if (value.is_string() || value.is_number() || value.is_boolean()) shown[key] = value;
  }
  if (figures.contains("machine_load"))
    shown["machine_load"] = MachineLoadText(figures["machine_load"]);
  return ConditionsTable(shown, "Conditions of `" + id + "`");
}

std::string FibtasticSection(const json& figures) {
  const json& points = figures.value("points", json::array());
  ChartSpec spec{"FibTastic: response and email time against sequence_length",
                 "sequence_length",
                 "p50 (ms)",
                 "",
                 AxisScale::kLinear,
                 AxisScale::kLog,
                 {},
                 ""};
  spec.series = {
      {"inline response p50", Column(points, "sequence_length", "inline_p50_ms")},
      {"background response p50", Column(points, "sequence_length", "background_p50_ms")},
      {"background email p50", Column(points, "sequence_length", "background_email_p50_ms")}};
  return RenderSvgChart(spec);
}

std::string SaturationSection(const json& figures, const std::vector<Report>& reports) {
  const json& steps = figures.value("steps", json::array());
  ChartSpec spec{"Saturation: p99 against the offered rate, max queue depth overlaid",
                 "offered rate (req/s)",
                 "p99 (ms)",
                 "max queue depth (jobs)",
                 AxisScale::kLog,
                 AxisScale::kLog,
                 {},
                 ""};
  spec.series = {{"inline response p99", Column(steps, "offered_rps", "inline_p99_ms")},
                 {"background response p99", Column(steps, "offered_rps", "background_p99_ms")},
                 {"background email p99", Column(steps, "offered_rps", "email_p99_ms")},
                 {"max queue depth", Column(steps, "offered_rps", "max_queue_depth"), true}};
  return RenderSvgChart(spec) +
         QueueDepthChart(Pointers(reports), "Saturation: queue depth over time at each rate");
}

std::string ScalingSection(const json& figures, const std::vector<Report>& reports) {
  const json& steps = figures.value("steps", json::array());
  ChartSpec spec{"Scaling: draining a burst with more workers",
                 "worker processes",
                 "ms",
                 "",
                 AxisScale::kLinear,
                 AxisScale::kLinear,
                 {},
                 ""};
  spec.series = {{"drain time", Column(steps, "workers", "drain_ms")},
                 {"email p50", Column(steps, "workers", "email_p50_ms")},
                 {"email p99", Column(steps, "workers", "email_p99_ms")}};
  return RenderSvgChart(spec) +
         QueueDepthChart(Pointers(reports), "Scaling: queue depth over time per worker count");
}

std::string MicrobenchSection(const json& figures) {
  TableGrid grid = {{"benchmark", "µs per iteration"}};
  for (const auto& [name, value] : figures.items()) {
    if (value.is_number()) grid.push_back({name, fmt::format("{:.3f}", value.get<double>())});
  }
  return grid.size() > 1 ? HtmlTable(grid, "Microbenchmarks (wall-clock time per iteration)") : "";
}

// summary.json's `stacks` (`make bench STACK=cpp,rails`): each stack's lesson figures side by
// side, "" when the run measured one stack only.
std::string StacksTable(const json& stacks) {
  if (!stacks.is_object() || stacks.size() < 2) return "";
  const char* const keys[] = {"p50_ms", "p99_ms", "email_p50_ms", "enqueue_p50_ms"};
  TableGrid grid = {{"stack: lesson", "response p50 (ms)", "response p99 (ms)", "email p50 (ms)",
                     "enqueue p50 (ms)"}};
  for (const auto& [stack, figures] : stacks.items()) {
    for (const char* mode : {"inline", "background"}) {
      json v = figures.is_object() && figures.contains("lesson") && figures["lesson"].is_object()
                   ? Variant(figures["lesson"], mode)
                   : json::object();
      std::vector<std::string> row = {stack + " " + mode};
      for (const char* key : keys) {
        row.push_back(v.contains(key) && v[key].is_number() ? ExactNumber(v[key].get<double>())
                                                            : "not measured");
      }
      grid.push_back(std::move(row));
    }
  }
  return HtmlTable(grid, "The lesson on each stack (summary.json's stacks)");
}

std::string ScenarioSection(const std::string& id, const json& figures,
                            const std::vector<Report>& reports) {
  std::string body = ScenarioConditions(id, figures);
  if (id == "fibtastic") return body + FibtasticSection(figures);
  if (id == "saturation") return body + SaturationSection(figures, reports);
  if (id == "scaling") return body + ScalingSection(figures, reports);
  if (id == "microbench") return body + MicrobenchSection(figures);
  if (reports.empty()) return body;
  std::string note;
  std::vector<const Report*> shown = ChartedReports(reports, &note);
  return body + note + SpectrumCharts(shown, id) + TimelineChart(shown, id) +
         WaterfallCharts(shown);
}
}  // namespace

namespace {
// Returns the scenario ids in the order the run ran them (conditions.scenarios), then the rest.
std::vector<std::string> ScenarioOrder(const json& summary) {
  std::vector<std::string> order;
  const json& scenarios = summary.value("scenarios", json::object());
  if (!scenarios.is_object()) return order;
  const json& conditions = summary.value("conditions", json::object());
  std::string listed = conditions.is_object() && conditions.contains("scenarios") &&
                               conditions["scenarios"].is_string()
                           ? conditions["scenarios"].get<std::string>() + ","
                           : "";
  for (size_t at = 0, comma; (comma = listed.find(',', at)) != std::string::npos; at = comma + 1) {
    std::string id = listed.substr(at, comma - at);
    if (scenarios.contains(id) && std::find(order.begin(), order.end(), id) == order.end())
      order.push_back(id);
  }
  for (const auto& [id, figures] : scenarios.items()) {
    if (std::find(order.begin(), order.end(), id) == order.end()) order.push_back(id);
  }
  return order;
}

// "reference" for "results/reference/": the folder's name, not the machine's path to it.
std::string RunName(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return fs::path(dir).filename().string();
}
}  // namespace

Result<std::string> RunReportHtml(const std::string& results_dir) {
  RunFiles files;
  if (Status loaded = LoadRun(results_dir, &files); !loaded.ok()) return loaded;
  RunFiles* run = &files;
  const json& s = run->summary;
  // The headline first, then what could have moved it (the warnings), then the conditions.
  std::string body = "<h1>FibTastic Bench report</h1>\n";
  if (s.contains("lesson") && s["lesson"].is_object()) {
    body += "<h2 id=\"headline-section\">Headline</h2>\n" + HeadlineHtml(s["lesson"]);
  }
  if (s.contains("stacks")) body += StacksTable(s["stacks"]);
  if (!run->warnings.empty()) {
    body +=
        fmt::format("<h2 id=\"warnings\">{} warning{}: what could have moved these figures</h2>\n",
                    run->warnings.size(), run->warnings.size() == 1 ? "" : "s");
  }
  body += WarningsBlock(run->warnings);
  body += ConditionsTable(s.value("conditions", json::object()), "Conditions");
  const json& scenarios = s.value("scenarios", json::object());
  for (const std::string& id : ScenarioOrder(s)) {
    const json& figures = scenarios[id];
    body += "<h2>" + HtmlFromData(id) + "</h2>\n";
    if (!figures.is_object()) continue;  // not what `make bench` writes: nothing to draw
    const std::vector<Report>& reports = run->reports[id];
    if (id == "lesson") {
      std::string note;
      std::vector<const Report*> shown = ChartedReports(reports, &note);
      body += ScenarioConditions(id, figures) + note + SpectrumCharts(shown, "The lesson") +
              TimelineChart(shown, "The lesson") + WaterfallCharts(shown);
    } else {
      body += ScenarioSection(id, figures, reports);
    }
  }
  body += "<h2>About this file</h2>\n<p class=\"note\">" +
          HtmlFromData(fmt::format(
              "Built by fibtastic-report html from {} (summary.json, report.md's warnings and "
              "each scenario's loadgen JSON reports; {} other JSON file(s) left out). The same "
              "numbers as report.md and summary.json; summary.json is inline below "
              "(#report-data). Hover a point for its value.",
              RunName(results_dir), run->skipped)) +
          "</p>\n";
  return HtmlPage("FibTastic Bench report", body, s);
}

Status WriteRunReportHtml(const std::string& results_dir, const std::string& out_path) {
  Result<std::string> html = RunReportHtml(results_dir);
  if (!html.ok()) return html.status();
  std::string path = out_path.empty() ? (fs::path(results_dir) / "report.html").string() : out_path;
  return WriteHtmlFile(path, *html);
}

}  // namespace fib
