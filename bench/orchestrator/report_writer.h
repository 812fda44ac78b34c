// ReportWriter: turns the scenarios' sections into results/runs/<time>/report.md, summary.json
// and report.html (built from those two), and the headline table printed at the end of
// `make bench`.
// Thread-safety: thread-compatible.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/orchestrator/scenarios.h"
#include "common/status.h"

namespace fib::bench {

// Returns the headline table (Markdown) comparing the lesson's figures with the lesson section's.
std::string HeadlineTable(const nlohmann::json& lesson_figures);
// Returns summary.json's content: the headline figures under "lesson", every section's figures
// under "scenarios", and the run's conditions.
nlohmann::json Summary(const std::vector<Section>& sections, const nlohmann::json& conditions);
// Writes report.md, summary.json and report.html (bench/report/run_report_html.h) into out_dir.
Status WriteReport(const std::string& out_dir, const std::vector<Section>& sections,
                   const nlohmann::json& conditions, const std::vector<std::string>& failures);

}  // namespace fib::bench
