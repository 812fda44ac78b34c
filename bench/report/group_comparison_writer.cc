#include "bench/report/group_comparison_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fib {

namespace {

std::string Bracket(const std::optional<Interval>& ci, MetricUnit unit) {
  if (!ci) return "";
  return " [" + FormatMetricValue(unit, ci->low) + ", " + FormatMetricValue(unit, ci->high) + "]";
}

std::string RatioText(const GroupEstimate& r) {
  std::string text = fmt::format("×{:.2f}", r.value);
  if (r.ci95) text += fmt::format(" [{:.2f}, {:.2f}]", r.ci95->low, r.ci95->high);
  return text;
}

std::string Cell(const GroupComparison& c, size_t g, const MetricInfo& metric) {
  std::optional<GroupEstimate> median = c.Median(g, metric.name);
  if (!median) return "-";
  std::string text =
      FormatMetricValue(metric.unit, median->value) + Bracket(median->ci95, metric.unit);
  if (g == c.baseline()) return text;
  std::optional<GroupEstimate> ratio = c.Ratio(g, metric.name);
  return ratio ? text + " " + RatioText(*ratio) : text;
}

TableGrid BuildGrid(const GroupComparison& c) {
  TableGrid grid(1, {"metric: median [95% CI]"});
  for (size_t g = 0; g < c.groups().size(); ++g) grid[0].push_back(c.Heading(g));
  for (const MetricInfo* metric : c.all().rows()) {
    std::vector<std::string> row = {metric->display};
    for (size_t g = 0; g < c.groups().size(); ++g) row.push_back(Cell(c, g, *metric));
    grid.push_back(std::move(row));
  }
  return grid;
}

std::string Intro(const GroupComparison& c) {
  return fmt::format(
      "Each side is the median of its runs, with a percentile-bootstrap {:.0f}% interval in\n"
      "brackets ({} resamples, seed {}); × is a side's median over the baseline's, with its\n"
      "interval. A difference is clear only when the ratio's interval excludes 1.\n\n",
      c.options().confidence * 100, c.options().resamples, c.options().seed);
}

// Returns the distinct values of condition `d` among side g's runs, in run order.
std::vector<std::string> SideValues(const GroupComparison& c, const ConditionDiff& d, size_t g) {
  std::vector<std::string> values;
  for (size_t i : c.groups()[g].runs) {
    const std::string& v = d.values[i].empty() ? "?" : d.values[i];
    if (std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
  }
  return values;
}

// Returns the conditions that differ between runs, one line each: every side's distinct values.
std::string ConditionLines(const GroupComparison& c, const char* bullet) {
  if (c.all().differing_conditions().empty()) return "";
  std::string out = "\nConditions that differ between runs:\n";
  for (const ConditionDiff& d : c.all().differing_conditions()) {
    out += bullet + d.key + ":";
    for (size_t g = 0; g < c.groups().size(); ++g) {
      std::vector<std::string> values = SideValues(c, d, g);
      std::string joined;
      for (const std::string& v : values) joined += (joined.empty() ? "" : " | ") + v;
      out += (g ? ", " : " ") + c.groups()[g].label + "=" + joined;
    }
    out += "\n";
  }
  return out;
}

// Returns the sides without an interval, then every run's own notes.
std::vector<std::string> Notes(const GroupComparison& c) {
  std::vector<std::string> notes = c.Notes();
  for (const std::string& note : c.all().Notes()) notes.push_back(note);
  return notes;
}

std::string Number(double v) { return fmt::format("{}", v); }

std::string RenderCsv(const GroupComparison& c) {
  std::ostringstream out;
  out << "label,runs,metric,unit,median,ci95_low,ci95_high,baseline_median,ratio,ratio_ci95_low,"
         "ratio_ci95_high\n";
  for (size_t g = 0; g < c.groups().size(); ++g) {
    for (const MetricInfo* m : c.all().rows()) {
      std::optional<GroupEstimate> median = c.Median(g, m->name), ratio = c.Ratio(g, m->name);
      std::optional<GroupEstimate> base = c.Median(c.baseline(), m->name);
      auto ci = [](const std::optional<GroupEstimate>& e, bool high) {
        if (!e || !e->ci95) return std::string();
        return Number(high ? e->ci95->high : e->ci95->low);
      };
      out << CsvField(c.groups()[g].label) << "," << c.groups()[g].runs.size() << "," << m->name
          << "," << MetricUnitName(m->unit) << "," << (median ? Number(median->value) : "") << ","
          << ci(median, false) << "," << ci(median, true) << ","
          << (base ? Number(base->value) : "") << ","
          << (ratio ? fmt::format("{:.6g}", ratio->value) : "") << "," << ci(ratio, false) << ","
          << ci(ratio, true) << "\n";
    }
  }
  return out.str();
}

nlohmann::json EstimateJson(const GroupEstimate& e, const char* key) {
  nlohmann::json j = {{key, e.value}, {"ci95_low", nullptr}, {"ci95_high", nullptr}};
  if (e.ci95) {
    j["ci95_low"] = e.ci95->low;
    j["ci95_high"] = e.ci95->high;
  }
  return j;
}

nlohmann::json GroupJson(const GroupComparison& c, size_t g) {
  nlohmann::json files = nlohmann::json::array();
  for (size_t i : c.groups()[g].runs) files.push_back(c.all().reports()[i].source);
  nlohmann::json metrics = nlohmann::json::object(), ratios = nlohmann::json::object();
  for (const MetricInfo& m : AllMetrics()) {
    if (auto median = c.Median(g, m.name)) {
      metrics[m.name] = EstimateJson(*median, "median");
      metrics[m.name]["runs"] = c.Values(g, m.name);
    }
    if (auto ratio = c.Ratio(g, m.name)) ratios[m.name] = EstimateJson(*ratio, "ratio");
  }
  return {{"label", c.groups()[g].label},
          {"baseline", g == c.baseline()},
          {"files", files},
          {"metrics", metrics},
          {"ratios", ratios}};
}

std::string RenderJson(const GroupComparison& c) {
  nlohmann::json groups = nlohmann::json::array();
  for (size_t g = 0; g < c.groups().size(); ++g) groups.push_back(GroupJson(c, g));
  nlohmann::json differ = nlohmann::json::object();
  for (const ConditionDiff& d : c.all().differing_conditions()) {
    for (size_t g = 0; g < c.groups().size(); ++g) {
      differ[d.key][c.groups()[g].label] = SideValues(c, d, g);
    }
  }
  nlohmann::json out = {{"baseline", c.baseline() + 1},
                        {"bootstrap",
                         {{"resamples", c.options().resamples},
                          {"seed", c.options().seed},
                          {"confidence", c.options().confidence}}},
                        {"groups", groups},
                        {"conditions_differ", differ},
                        {"notes", Notes(c)},
                        {"warnings", c.all().Warnings()}};
  return out.dump(2) + "\n";
}

}  // namespace

std::string RenderGroupNotes(const GroupComparison& c, bool markdown) {
  const std::string bullet = markdown ? "- " : "  ";
  std::string out = ConditionLines(c, bullet.c_str());
  std::vector<std::string> notes = Notes(c);
  if (!notes.empty()) out += "\nNotes:\n";
  for (const std::string& note : notes) out += bullet + note + "\n";
  std::vector<std::string> warnings = c.all().Warnings();
  if (!warnings.empty()) out += "\n";
  for (const std::string& w : warnings) out += w + "\n";
  return out;
}

TableGrid GroupComparisonGrid(const GroupComparison& c) { return BuildGrid(c); }
std::string GroupComparisonIntro(const GroupComparison& c) { return Intro(c); }

std::string RenderGroupComparison(const GroupComparison& c, TableFormat format) {
  switch (format) {
    case TableFormat::kMarkdown:
      return Intro(c) + RenderMarkdownTable(BuildGrid(c)) + RenderGroupNotes(c, true);
    case TableFormat::kText:
      return Intro(c) + RenderTextTable(BuildGrid(c)) + RenderGroupNotes(c, false);
    case TableFormat::kCsv:
      return RenderCsv(c);
    case TableFormat::kJson:
      return RenderJson(c);
  }
  return "";
}

}  // namespace fib
