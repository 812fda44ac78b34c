// ReportMerger: merges reports of one load test run from several machines (or several runs
// of the same scenario) into one schema-1 report that compare and plot read like any other.
// Histograms are merged bucket by bucket (exact); counts, status codes, errors and achieved
// rates are summed; summary percentiles are recomputed from the merged histograms; each
// input's conditions are kept in "merged_from".
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/report/report.h"
#include "common/status.h"

namespace fib {

struct MergeOptions {
  std::string label;  // label of the merged report; "" = the input labels joined with " + "
};

// Returns the merged report. REQUIRES: !reports.empty(). Error (naming the file) when an input
// is an .hgrm file or has no latency histogram, since summaries alone cannot be merged.
Result<nlohmann::json> MergeReports(const std::vector<Report>& reports,
                                    const MergeOptions& options);

}  // namespace fib
