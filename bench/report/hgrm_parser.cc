#include "bench/report/hgrm_parser.h"

#include <fmt/format.h>

#include <cmath>
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
  return !text.empty() && *end == '\0' && std::isfinite(*out);
}

// Bounds that keep every later sum and integer conversion defined: a latency above ~31 years or a
// count beyond 2^53 (where doubles stop counting exactly) is not a histogram we produced.
constexpr double kMaxHgrmValueMs = 1e12;
constexpr double kMaxHgrmCount = 9007199254740992.0;

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

// Returns true and fills `row` when `fields` are the four numeric .hgrm columns; sets `error`
// (and returns false) when they are numeric but outside what a latency histogram can hold.
bool ParseRow(const std::vector<std::string>& fields, SpectrumPoint* row, std::string* error) {
  double value = 0, fraction = 0, count = 0, inverse_tail = 0;
  if (fields.size() != 4 || !ParseNumber(fields[0], &value) || !ParseNumber(fields[1], &fraction) ||
      !ParseNumber(fields[2], &count)) {
    return false;
  }
  if (fields[3] != "inf" && !ParseNumber(fields[3], &inverse_tail)) return false;
  if (value < 0 || value > kMaxHgrmValueMs) {
    *error = "value " + fields[0] + " is outside 0.." + std::to_string(kMaxHgrmValueMs) + " ms";
  } else if (fraction < 0 || fraction > 1) {
    *error = "percentile " + fields[1] + " is outside 0..1";
  } else if (count < 0 || count > kMaxHgrmCount || count != std::floor(count)) {
    *error = "total count " + fields[2] + " is not a whole number in 0..2^53";
  }
  if (!error->empty()) return false;
  *row = {value, fraction * 100.0, static_cast<int64_t>(count)};
  return true;
}
}  // namespace

Result<Report> ParseHgrm(const std::string& text, const std::string& source,
                         const std::string& label) {
  std::istringstream in(text);
  std::vector<SpectrumPoint> rows;
  HgrmFooter footer;
  size_t line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    if (line[first] == '#') {
      ParseFooterLine(line, &footer);
      continue;
    }
    SpectrumPoint row;
    std::string error;
    if (ParseRow(Fields(line), &row, &error)) rows.push_back(row);
    if (!error.empty()) {
      return Status::Error(fmt::format(
          "{} line {}: {} (an .hgrm row is: value ms, percentile 0..1, total count, 1/(1-p))",
          source, line_number, error));
    }
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
