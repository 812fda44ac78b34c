// HtmlPage: the pieces report.html and `compare --html` share — the self-contained page (inline
// style and hover script, a CSP that forbids every network request, print styles), tables,
// warning and condition blocks, and the charts drawn from loadgen reports (percentile spectra,
// latency over time with queue depth, stage waterfalls). Everything from run files is escaped.
// Thread-safety: pure functions apart from WriteHtmlFile.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/report/comparison_writer.h"
#include "bench/report/report.h"
#include "common/status.h"

namespace fib {

// Returns the whole document: `body` (HTML) inside the page with its style and script; `data`
// (when not null) inline as <script type="application/json" id="report-data">.
std::string HtmlPage(const std::string& title, const std::string& body, const nlohmann::json& data);

// Writes `html` to `path`; the error names the path.
Status WriteHtmlFile(const std::string& path, const std::string& html);

// Returns `grid` (heading row first; cells are plain text) as a <table> with `caption`.
std::string HtmlTable(const TableGrid& grid, const std::string& caption);

// Returns the WARNING lines as a highlighted block ("" when there is none).
std::string WarningsBlock(const std::vector<std::string>& warnings);

// Returns a two-column table of `conditions`' keys and values (objects as compact JSON).
std::string ConditionsTable(const nlohmann::json& conditions, const std::string& caption);

// More series than this and a chart's lines cannot be told apart (and the page grows).
inline constexpr size_t kMaxChartedReports = 12;
// Returns the first kMaxChartedReports of `reports`; `note` says so when some are left out.
std::vector<const Report*> ChartedReports(const std::vector<Report>& reports, std::string* note);

// Returns the percentile spectra (log 1/(1-p) axis) of the reports' response latency and, where
// they have it, their time until the email arrives.
std::string SpectrumCharts(const std::vector<const Report*>& reports, const std::string& title);

// Returns latency over time (p50 and p99 per second of each report) with each report's queue
// depth (redis_samples) on the right axis; downsampled (svg_chart.h) with a note when long.
std::string TimelineChart(const std::vector<const Report*>& reports, const std::string& title);

// Returns the queue depth over time of each report that sampled Redis ("" when none did).
std::string QueueDepthChart(const std::vector<const Report*>& reports, const std::string& title);

// Returns the stage waterfall of each report that has stages ("" when none has).
std::string WaterfallCharts(const std::vector<const Report*>& reports);

}  // namespace fib
