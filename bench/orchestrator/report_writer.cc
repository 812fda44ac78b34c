#include "bench/orchestrator/report_writer.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>

#include "bench/orchestrator/loadgen_run.h"
#include "bench/orchestrator/machine_load.h"
#include "bench/orchestrator/repeated_runs.h"
#include "bench/orchestrator/stack_report.h"
#include "bench/report/run_report_html.h"

namespace fib::bench {
namespace {

// Returns `markdown` with each relative image link prefixed by `folder`: a section links its
// plots relative to its own folder (<out_dir>/<id>/), report.md sits one level up.
std::string ImagesUnder(const std::string& markdown, const std::string& folder) {
  std::string out;
  size_t at = 0;
  for (size_t image = markdown.find("!["); image != std::string::npos;
       image = markdown.find("![", at)) {
    size_t link = markdown.find("](", image);
    if (link == std::string::npos) break;
    out += markdown.substr(at, link + 2 - at);
    at = link + 2;
    bool absolute = markdown.compare(at, 1, "/") == 0 || markdown.compare(at, 4, "http") == 0;
    if (!absolute) out += folder + "/";
  }
  return out + markdown.substr(at);
}

double Get(const nlohmann::json& j, const std::string& a, const std::string& b) {
  if (!j.contains(a) || !j[a].contains(b) || !j[a][b].is_number()) return NAN;
  return j[a][b].get<double>();
}

// Returns the cell comparing a measured p50 with the lesson's; `not_judged` (the machine was
// busy) replaces the verdict.
std::string Within(double measured, double expected, const std::string& not_judged) {
  if (std::isnan(measured)) return fmt::format("not measured of {:g} ms", expected);
  double off = (measured - expected) / expected * 100;
  if (!not_judged.empty()) return fmt::format("{:+.1f}% of {:g} ms, {}", off, expected, not_judged);
  return fmt::format("{:+.1f}% {} of {:g} ms", off,
                     std::fabs(off) <= 5 ? "(within ±5%)" : "(outside ±5%)", expected);
}

}  // namespace

std::string HeadlineTable(const nlohmann::json& f) {
  std::string t =
      "| step | lesson says | measured inline | measured background |\n|---|---|---|---|\n";
  // With --repeat each figure is a median, followed by its 95% interval (repeated_runs.h).
  auto fig = [&f](const char* mode, const char* key) {
    return f.contains(mode) ? FigureWithInterval(f[mode], key) : Ms(NAN);
  };
  t += fmt::format("| response time p50 / p99 | 223 ms / 24 ms | {} / {} ms | {} / {} ms |\n",
                   fig("inline", "p50_ms"), fig("inline", "p99_ms"), fig("background", "p50_ms"),
                   fig("background", "p99_ms"));
  t += fmt::format("| enqueue | 1 ms | — | {} ms (p50) |\n", fig("background", "enqueue_p50_ms"));
  t += fmt::format(
      "| time until the email arrives p50 / p99 | — | = response ({} / {} ms) | {} / {} ms |\n",
      fig("inline", "email_p50_ms"), fig("inline", "email_p99_ms"),
      fig("background", "email_p50_ms"), fig("background", "email_p99_ms"));
  std::string busy = f.contains("machine_load") ? NotJudgedReason(f["machine_load"]) : "";
  t += fmt::format("| response p50 against the lesson | | {} | {} |\n",
                   Within(Get(f, "inline", "p50_ms"), 223, busy),
                   Within(Get(f, "background", "p50_ms"), 24, busy));
  if (Get(f, "inline", "runs") > 1) {
    t += fmt::format("| runs (interleaved; figures are medians [95% CI]) | | {} | {} |\n",
                     Get(f, "inline", "runs"), Get(f, "background", "runs"));
  }
  return t;
}

nlohmann::json Summary(const std::vector<Section>& sections, const nlohmann::json& conditions) {
  nlohmann::json summary = {{"schema", 1},
                            {"conditions", conditions},
                            {"scenarios", nlohmann::json::object()},
                            {"stacks", StacksSummary(sections)}};
  for (const auto& s : sections) {
    summary["scenarios"][s.id] = s.figures;
    if (s.id == "heroku") summary["heroku"] = s.figures;  // docs/report-format.md: heroku.*
    if (s.id == "lesson" && !s.figures.contains("skipped")) {
      summary["lesson"] = {{"inline", s.figures["inline"]},
                           {"background", s.figures["background"]}};
    }
  }
  return summary;
}

Status WriteReport(const std::string& out_dir, const std::vector<Section>& sections,
                   const nlohmann::json& conditions, const std::vector<std::string>& failures) {
  std::string md = "# FibTastic Bench report\n\n";
  if (conditions.contains("warning"))
    md += "> **" + conditions["warning"].get<std::string>() + "**\n\n";
  md += "Conditions:\n\n";
  for (const auto& [key, value] : conditions.items()) {
    if (key == "warning") continue;
    md +=
        fmt::format("- {}: {}\n", key, value.is_string() ? value.get<std::string>() : value.dump());
  }
  md +=
      "\nMethod: every response time is measured open-loop from the request's *intended* send time "
      "(wrk2's schedule, so a stalled server cannot hide coordinated omission) with an "
      "HdrHistogram "
      "(1 µs .. 1 h, 3 significant digits). The time until the email arrives joins each request's "
      "X-Request-Id to the mail sink's arrival time.\n\n";
  for (const auto& s : sections) {
    if (s.id == "lesson") md += "## Headline\n\n" + HeadlineTable(s.figures) + "\n";
  }
  if (!failures.empty()) {
    md += "## Scenarios that failed\n\n";
    for (const auto& f : failures) md += "- " + f + "\n";
    md += "\n";
  }
  for (const auto& s : sections) {
    md += "## " + s.title + "\n\n" + ImagesUnder(s.markdown, s.id) + "\n";
  }
  std::ofstream report(out_dir + "/report.md");
  report << md;
  std::ofstream summary(out_dir + "/summary.json");
  summary << Summary(sections, conditions).dump(2) << "\n";
  report.close();
  summary.close();
  if (!report || !summary) return Status::Error("cannot write the report into " + out_dir);
  // report.html is built from the files just written, as `fibtastic-report html` rebuilds it.
  return WriteRunReportHtml(out_dir);
}

}  // namespace fib::bench
