#include "bench/report/hgrm_parser.h"

#include <cstdlib>
#include <sstream>
#include <vector>

#include "bench/report/latency_spectrum.h"

namespace fib {

namespace {
std::vector<std::string> Fields(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  return fields;
}

bool ParseNumber(const std::string& text, double* out) {
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return !text.empty() && *end == '\0';
}

// Reads "#[Mean = 6.602, StdDeviation = 1.919]" and "#[Max = 12.496, Total count = 39500]".
void ParseFooterLine(const std::string& line, HgrmFooter* footer) {
  std::string text = line;
  for (char& c : text) {
    if (c == '#' || c == '[' || c == ']' || c == ',' || c == '=') c = ' ';
  }
  std::vector<std::string> fields = Fields(text);
  for (size_t i = 0; i + 1 < fields.size(); ++i) {
    double value = 0;
    if (!ParseNumber(fields[i + 1], &value)) continue;
    if (fields[i] == "Mean") footer->mean_ms = value;
    if (fields[i] == "StdDeviation") footer->stdev_ms = value;
    if (fields[i] == "Max") footer->max_ms = value;
  }
}

// Returns true and fills `row` when `fields` are the four numeric .hgrm columns.
bool ParseRow(const std::vector<std::string>& fields, SpectrumPoint* row) {
  double value = 0, fraction = 0, count = 0, inverse_tail = 0;
  if (fields.size() != 4 || !ParseNumber(fields[0], &value) || !ParseNumber(fields[1], &fraction) ||
      !ParseNumber(fields[2], &count)) {
    return false;
  }
  if (fields[3] != "inf" && !ParseNumber(fields[3], &inverse_tail)) return false;
  if (fraction < 0 || fraction > 1 || count < 0) return false;
  *row = {value, fraction * 100.0, static_cast<int64_t>(count)};
  return true;
}
}  // namespace

Result<Report> ParseHgrm(const std::string& text, const std::string& source,
                         const std::string& label) {
  std::istringstream in(text);
  std::vector<SpectrumPoint> rows;
  HgrmFooter footer;
  for (std::string line; std::getline(in, line);) {
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    if (line[first] == '#') {
      ParseFooterLine(line, &footer);
      continue;
    }
    SpectrumPoint row;
    if (ParseRow(Fields(line), &row)) rows.push_back(row);
  }
  if (rows.empty()) {
    return Status::Error(source +
                         ": neither a fibtastic-loadgen JSON report nor an .hgrm percentile "
                         "distribution (no rows of: value, percentile, total count, 1/(1-p))");
  }
  Result<LatencySpectrum> spectrum = LatencySpectrum::FromRows(rows, footer);
  if (!spectrum.ok()) return Status::Error(source + ": " + spectrum.message());
  Report report;
  report.source = source;
  report.label = label;
  report.is_hgrm = true;
  // The JSON must outlive the loop: items() only refers to it.
  const nlohmann::json summary = spectrum->SummaryJson();
  for (const auto& [key, value] : summary.items()) {
    report.metrics[key] = value.get<double>();
  }
  report.metrics["requests"] = static_cast<double>(spectrum->total_count());
  report.latency.spectrum = std::move(*spectrum);
  report.notes.push_back(".hgrm input: percentiles between its rows resolve to the next row");
  return report;
}

}  // namespace fib
