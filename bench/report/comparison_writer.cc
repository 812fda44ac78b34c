#include "bench/report/comparison_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

namespace fib {

namespace {
using Grid = TableGrid;

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

std::string Ms(double v) {
  return std::isnan(v) ? "-" : FormatMetricValue(MetricUnit::kMilliseconds, v);
}

std::string Delta(double value, double base) {
  if (std::isnan(value) || std::isnan(base)) return "-";
  double tenths = std::round((value - base) * 10) / 10;
  return fmt::format("{:+.1f}", tenths == 0 ? 0.0 : tenths);  // never "-0.0"
}

std::string StageCell(const Comparison& c, size_t i, const std::string& name) {
  const StageLatency* s = c.Stage(i, name);
  if (!s) return "-";
  std::string text = Ms(s->p50_ms) + " / " + Ms(s->p99_ms);
  const StageLatency* base = c.Stage(c.baseline(), name);
  if (i == c.baseline() || !base) return text;
  return text + " (Δ " + Delta(s->p50_ms, base->p50_ms) + " / " + Delta(s->p99_ms, base->p99_ms) +
         ")";
}

// Returns the stage table (p50 / p99 per report, Δ against the baseline), or {} without one.
// `escape_pipes`: a '|' in a stage name must not split a Markdown cell.
Grid BuildStageGrid(const Comparison& c, bool escape_pipes) {
  if (c.stage_rows().empty()) return {};
  Grid grid(1, {"stage: p50 / p99 (ms)"});
  for (size_t i = 0; i < c.reports().size(); ++i) {
    grid[0].push_back(c.Heading(i) + (i == c.baseline() ? " (baseline)" : ""));
  }
  for (const std::string& name : c.stage_rows()) {
    std::string shown;
    for (char ch : name)
      shown += escape_pipes && ch == '|' ? std::string("\\|") : std::string(1, ch);
    std::vector<std::string> row = {shown};
    for (size_t i = 0; i < c.reports().size(); ++i) row.push_back(StageCell(c, i, name));
    grid.push_back(std::move(row));
  }
  return grid;
}

std::string StageIntro() {
  return "\nStages (the request's way to its email, then the web's Server-Timing metrics; "
         "Δ in ms against the baseline):\n\n";
}

}  // namespace

std::string RenderMarkdownTable(const TableGrid& grid) {
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

namespace {
// Display width in terminal columns: UTF-8 continuation bytes take no column.
size_t Width(const std::string& text) {
  return std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; });
}

}  // namespace

std::string RenderTextTable(const TableGrid& grid) {
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

namespace {
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
  for (const std::string& name : c.stage_rows()) {
    for (size_t i = 0; i < c.reports().size(); ++i) {
      const StageLatency* stage = c.Stage(i, name);
      const StageLatency* base = c.Stage(c.baseline(), name);
      for (auto [key, value, base_value] :
           {std::tuple{"p50", stage ? stage->p50_ms : NAN, base ? base->p50_ms : NAN},
            std::tuple{"p99", stage ? stage->p99_ms : NAN, base ? base->p99_ms : NAN}}) {
        out << CsvField(c.reports()[i].label) << "," << CsvField(c.reports()[i].source) << ","
            << CsvField("stage:" + name + ":" + key) << ",ms,"
            << (std::isnan(value) ? "" : fmt::format("{}", value)) << ","
            << (std::isnan(base_value) ? "" : fmt::format("{}", base_value)) << ","
            << (std::isnan(value) || std::isnan(base_value) || base_value == 0
                    ? ""
                    : fmt::format("{:.6g}", value / base_value))
            << "\n";
      }
    }
  }
  return out.str();
}

nlohmann::json StagesJson(const Report& r) {
  nlohmann::json out = nlohmann::json::object();
  auto number = [](double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); };
  for (const auto* list : {&r.stages, &r.web_stages}) {
    for (const StageLatency& s : *list) {
      if (!out.contains(s.name))
        out[s.name] = {{"p50_ms", number(s.p50_ms)}, {"p99_ms", number(s.p99_ms)}};
    }
  }
  return out;
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
                       {"stages", StagesJson(r)},
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

TableGrid ComparisonGrid(const Comparison& c) { return BuildGrid(c); }
TableGrid ComparisonStageGrid(const Comparison& c) { return BuildStageGrid(c, false); }

std::string RenderComparison(const Comparison& c, TableFormat format) {
  const std::string percentile_note =
      "\nLatency percentiles come from each report's HdrHistogram where it has one (bucket "
      "upper bounds; at 3 significant digits under 0.1% above the exact value). Ratios are "
      "against the baseline.\n";
  switch (format) {
    case TableFormat::kMarkdown: {
      Grid stages = BuildStageGrid(c, true);
      return RenderMarkdownTable(BuildGrid(c)) +
             (stages.empty() ? "" : StageIntro() + RenderMarkdownTable(stages)) + percentile_note +
             RenderConditionsAndWarnings(c, true);
    }
    case TableFormat::kText: {
      Grid stages = BuildStageGrid(c, false);
      return RenderTextTable(BuildGrid(c)) +
             (stages.empty() ? "" : StageIntro() + RenderTextTable(stages)) + percentile_note +
             RenderConditionsAndWarnings(c, false);
    }
    case TableFormat::kCsv:
      return RenderCsv(c);
    case TableFormat::kJson:
      return RenderJson(c);
  }
  return "";
}

}  // namespace fib
