// RunReportHtml: report.html, the self-contained HTML twin of a `make bench` run's report.md —
// built from a results directory (summary.json, report.md's WARNING lines, and the loadgen
// reports in each scenario's folder; layout in docs/report-format.md): the headline table with
// summary.json's own numbers, conditions and warnings, percentile spectra, latency over time
// with queue depth, stage waterfalls, the FibTastic curve, saturation and scaling charts.
// Run files are untrusted: every string is escaped (html_text.h), every file read is bounded.
// Thread-safety: pure functions apart from the file I/O they name.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace fib {

// Returns report.html for the run in `results_dir`. Error when summary.json is missing or not a
// JSON object; a scenario file that is not a loadgen report is left out (and counted in a note).
Result<std::string> RunReportHtml(const std::string& results_dir);

// Writes RunReportHtml(results_dir) to `out_path` ("" = results_dir/report.html).
Status WriteRunReportHtml(const std::string& results_dir, const std::string& out_path = "");

// Returns the headline table (the lesson's figures against the lesson's) as HTML from
// summary.json's "lesson" object: each number a <data> element whose value and text are the
// number summary.json holds, keyed "inline.p50_ms" etc.
std::string HeadlineHtml(const nlohmann::json& lesson);

}  // namespace fib
