#include "bench/report/comparison_html.h"

#include <sstream>

#include "bench/report/comparison_writer.h"
#include "bench/report/group_comparison_writer.h"
#include "bench/report/html_page.h"
#include "bench/report/html_text.h"

namespace fib {

namespace {
std::string Lines(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out += "<li>" + HtmlFromData(line) + "</li>";
  }
  return out.empty() ? "" : "<ul class=\"note\">" + out + "</ul>\n";
}

std::string Charts(const std::vector<Report>& reports) {
  std::string note;
  std::vector<const Report*> shown = ChartedReports(reports, &note);
  return "<h2>Charts</h2>\n" + note + SpectrumCharts(shown, "Reports") +
         TimelineChart(shown, "Reports") + WaterfallCharts(shown);
}

std::string Body(const Comparison& c, const std::string& tables, const std::string& notes) {
  std::vector<std::string> warnings = c.Warnings();
  const Report& base = c.reports()[c.baseline()];
  return "<h1>fibtastic-report compare</h1>\n" + WarningsBlock(warnings) + tables +
         "<p class=\"note\">Latency percentiles come from each report's HdrHistogram where it "
         "has one (bucket upper bounds; at 3 significant digits under 0.1% above the exact "
         "value). Ratios are against the baseline.</p>\n" +
         Lines(notes) +
         ConditionsTable(base.conditions,
                         "Conditions of the baseline (" + base.DisplayName() + ")") +
         Charts(c.reports());
}

// The notes without the warnings, which the page shows at its top.
std::string WithoutWarnings(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find("WARNING") == std::string::npos) out += line + "\n";
  }
  return out;
}
}  // namespace

std::string ComparisonHtml(const Comparison& c) {
  std::string tables = HtmlTable(ComparisonGrid(c), "Reports side by side") +
                       HtmlTable(ComparisonStageGrid(c),
                                 "Stages (the request's way to its email, then the web's "
                                 "Server-Timing metrics; Δ in ms against the baseline)");
  return HtmlPage("fibtastic-report compare",
                  Body(c, tables, WithoutWarnings(RenderConditionsAndWarnings(c, false))), nullptr);
}

std::string GroupComparisonHtml(const GroupComparison& c) {
  std::string tables = "<p>" + HtmlFromData(GroupComparisonIntro(c)) + "</p>\n" +
                       HtmlTable(GroupComparisonGrid(c), "Sides: medians of their runs");
  return HtmlPage("fibtastic-report compare",
                  Body(c.all(), tables, WithoutWarnings(RenderGroupNotes(c, false))), nullptr);
}

}  // namespace fib
