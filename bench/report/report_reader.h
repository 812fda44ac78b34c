// ReportReader: reads latency reports from files — fibtastic-loadgen JSON (schema 1,
// docs/report-format.md) and .hgrm percentile distributions — into Report values.
// Errors name the file and what is wrong with it, e.g.
// "A.json: not a fibtastic-loadgen report (no \"schema\")".
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "bench/report/report.h"
#include "common/status.h"

namespace fib {

// The newest report schema this tool understands.
inline constexpr int kReportSchema = 1;

// Reads `path`: a JSON report when its first non-blank character is '{', else .hgrm text.
Result<Report> ReadReport(const std::string& path);
// Reads report text (JSON or .hgrm, as ReadReport decides); `source` names it in errors.
// Reports from other machines are untrusted: any text gets a Report or an error, never a crash.
Result<Report> ParseReportText(const std::string& text, const std::string& source);
// Returns the report in `json`; `source` (a file name) prefixes every error message.
Result<Report> ParseJsonReport(const nlohmann::json& json, const std::string& source);

}  // namespace fib
