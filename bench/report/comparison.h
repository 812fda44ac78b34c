// Comparison: what `fibtastic-report compare` shows about several reports side by side — the
// metrics any of them has, each report's ratio against the baseline, the run conditions that
// differ, and warnings (debug builds). ComparisonWriter renders it.
// Thread-safety: immutable after construction; holds a reference to the reports.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "bench/report/metric_catalog.h"
#include "bench/report/report.h"

namespace fib {

// One run condition that is not the same in every report: the values in report order ("" when
// a report does not state it).
struct ConditionDiff {
  std::string key;
  std::vector<std::string> values;
};

class Comparison {
 public:
  // REQUIRES: !reports.empty(), baseline < reports.size(); `reports` outlives this object.
  Comparison(const std::vector<Report>& reports, size_t baseline);

  const std::vector<Report>& reports() const { return reports_; }
  size_t baseline() const { return baseline_; }
  // Returns the table's metrics: the compare set, minus those no report has.
  const std::vector<const MetricInfo*>& rows() const { return rows_; }
  // Returns the column heading of report i: its label, plus the file when labels repeat.
  std::string Heading(size_t i) const;
  // Returns report i's value divided by the baseline's, or nullopt when either is missing or
  // the baseline is 0.
  std::optional<double> Ratio(size_t i, const std::string& metric) const;
  // Returns the stage names of the stage table (the waterfall's segments, then the web's
  // metrics, in the first report's order): empty unless at least two reports have stages.
  const std::vector<std::string>& stage_rows() const { return stage_rows_; }
  // Returns report i's stage called `name` (a segment before a web metric), or nullptr.
  const StageLatency* Stage(size_t i, const std::string& name) const;
  // Returns the conditions (build type, cores, rate, connections, ...) that differ.
  const std::vector<ConditionDiff>& differing_conditions() const { return differing_; }
  // Returns one "WARNING: ..." line per report from a debug build, and the warnings the
  // reports carry themselves (summary.warnings), each prefixed with the report's name.
  std::vector<std::string> Warnings() const;
  // Returns "<heading>: <note>" for every report note (e.g. summary fallbacks).
  std::vector<std::string> Notes() const;

 private:
  void FindDifferingConditions();
  void FindStageRows();

  const std::vector<Report>& reports_;
  size_t baseline_;
  std::vector<const MetricInfo*> rows_;
  std::vector<ConditionDiff> differing_;
  std::vector<std::string> stage_rows_;
};

}  // namespace fib
