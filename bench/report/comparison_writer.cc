#include "bench/report/comparison_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fib {

namespace {
using Grid = std::vector<std::vector<std::string>>;

std::string Cell(const Comparison& c, size_t i, const MetricInfo& metric) {
  std::optional<double> value = c.reports()[i].Metric(metric.name);
  if (!value) return "-";
  std::string text = FormatMetricValue(metric.unit, *value);
  if (i == c.baseline()) return text;
  std::optional<double> ratio = c.Ratio(i, metric.name);
  return ratio ? fmt::format("{} (×{:.2f})", text, *ratio) : text;
}

// Returns the table as rows of cells, the heading row first.
Grid BuildGrid(const Comparison& c) {
  Grid grid(1, {"metric"});
  for (size_t i = 0; i < c.reports().size(); ++i) {
    grid[0].push_back(c.Heading(i) + (i == c.baseline() ? " (baseline)" : ""));
  }
  for (const MetricInfo* metric : c.rows()) {
    std::vector<std::string> row = {metric->display};
    for (size_t i = 0; i < c.reports().size(); ++i) row.push_back(Cell(c, i, *metric));
    grid.push_back(std::move(row));
  }
  return grid;
}

std::string RenderMarkdown(const Grid& grid) {
  std::ostringstream out;
  auto line = [&](const std::vector<std::string>& cells) {
    out << "|";
    for (const std::string& cell : cells) out << " " << cell << " |";
    out << "\n";
  };
  line(grid[0]);
  std::vector<std::string> rule = {":--"};
  rule.resize(grid[0].size(), "--:");
  line(rule);
  for (size_t r = 1; r < grid.size(); ++r) line(grid[r]);
  return out.str();
}

// Display width in terminal columns: UTF-8 continuation bytes take no column.
size_t Width(const std::string& text) {
  return std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; });
}

std::string RenderText(const Grid& grid) {
  std::vector<size_t> widths(grid[0].size(), 0);
  for (const auto& row : grid) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
  }
  std::ostringstream out;
  for (const auto& row : grid) {
    for (size_t i = 0; i < row.size(); ++i) {
      std::string pad(widths[i] - Width(row[i]), ' ');
      out << (i == 0 ? row[i] + pad : "  " + pad + row[i]);
    }
    out << "\n";
  }
  return out.str();
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char ch : text) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return quoted + "\"";
}

std::string RenderCsv(const Comparison& c) {
  std::ostringstream out;
  out << "label,file,metric,unit,value,baseline_value,ratio\n";
  const Report& base = c.reports()[c.baseline()];
  for (size_t i = 0; i < c.reports().size(); ++i) {
    const Report& r = c.reports()[i];
    for (const MetricInfo* m : c.rows()) {
      std::optional<double> value = r.Metric(m->name), base_value = base.Metric(m->name);
      std::optional<double> ratio = c.Ratio(i, m->name);
      out << CsvField(r.label) << "," << CsvField(r.source) << "," << m->name << ","
          << MetricUnitName(m->unit) << "," << (value ? fmt::format("{}", *value) : "") << ","
          << (base_value ? fmt::format("{}", *base_value) : "") << ","
          << (ratio ? fmt::format("{:.6g}", *ratio) : "") << "\n";
    }
  }
  return out.str();
}

std::string RenderJson(const Comparison& c) {
  nlohmann::json reports = nlohmann::json::array();
  for (size_t i = 0; i < c.reports().size(); ++i) {
    const Report& r = c.reports()[i];
    nlohmann::json metrics = nlohmann::json::object(), ratios = nlohmann::json::object();
    for (const auto& [name, value] : r.metrics) {
      metrics[name] = value;
      if (auto ratio = c.Ratio(i, name)) ratios[name] = *ratio;
    }
    reports.push_back({{"label", r.label},
                       {"file", r.source},
                       {"baseline", i == c.baseline()},
                       {"debug_build", r.debug_build()},
                       {"metrics", metrics},
                       {"ratios", ratios},
                       {"notes", r.notes}});
  }
  nlohmann::json differ = nlohmann::json::object();
  for (const ConditionDiff& d : c.differing_conditions()) {
    for (size_t i = 0; i < d.values.size(); ++i) differ[d.key][c.Heading(i)] = d.values[i];
  }
  nlohmann::json out = {{"baseline", c.baseline() + 1},
                        {"reports", reports},
                        {"conditions_differ", differ},
                        {"warnings", c.Warnings()}};
  return out.dump(2) + "\n";
}
}  // namespace

Result<TableFormat> ParseTableFormat(const std::string& name) {
  if (name == "markdown" || name == "md") return TableFormat::kMarkdown;
  if (name == "text") return TableFormat::kText;
  if (name == "csv") return TableFormat::kCsv;
  if (name == "json") return TableFormat::kJson;
  return Status::Error("--format takes text, markdown, csv or json, got '" + name + "'");
}

std::string RenderConditionsAndWarnings(const Comparison& c, bool markdown) {
  std::ostringstream out;
  const char* bullet = markdown ? "- " : "  ";
  if (!c.differing_conditions().empty()) {
    out << "\nConditions that differ between runs:\n";
    for (const ConditionDiff& d : c.differing_conditions()) {
      out << bullet << d.key << ":";
      for (size_t i = 0; i < d.values.size(); ++i) {
        out << (i ? ", " : " ") << c.Heading(i) << "=" << (d.values[i].empty() ? "?" : d.values[i]);
      }
      out << "\n";
    }
  }
  std::vector<std::string> notes = c.Notes();
  if (!notes.empty()) out << "\nNotes:\n";
  for (const std::string& note : notes) out << bullet << note << "\n";
  std::vector<std::string> warnings = c.Warnings();
  if (!warnings.empty()) out << "\n";
  for (const std::string& w : warnings) out << w << "\n";
  return out.str();
}

std::string RenderComparison(const Comparison& c, TableFormat format) {
  const std::string percentile_note =
      "\nLatency percentiles come from each report's HdrHistogram where it has one (bucket "
      "upper bounds; at 3 significant digits under 0.1% above the exact value). Ratios are "
      "against the baseline.\n";
  switch (format) {
    case TableFormat::kMarkdown:
      return RenderMarkdown(BuildGrid(c)) + percentile_note + RenderConditionsAndWarnings(c, true);
    case TableFormat::kText:
      return RenderText(BuildGrid(c)) + percentile_note + RenderConditionsAndWarnings(c, false);
    case TableFormat::kCsv:
      return RenderCsv(c);
    case TableFormat::kJson:
      return RenderJson(c);
  }
  return "";
}

}  // namespace fib
