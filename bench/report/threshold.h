// Threshold: one `compare --fail-if` expression such as 'p99>+10%' (relative to the baseline
// report) or 'p50>250ms' (absolute, checked on every report), and the check of reports
// against a list of them. The grammar is GrammarHelp().
// Thread-safety: immutable after Parse; pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "bench/report/group_comparison.h"
#include "bench/report/metric_catalog.h"
#include "bench/report/report.h"
#include "common/status.h"

namespace fib {

class Threshold {
 public:
  enum class Op { kGreater, kGreaterEqual, kLess, kLessEqual };
  // How a figure of several runs stands against the limit.
  enum class Verdict { kHolds, kStraddles, kBreach };

  // Parses an expression. Error names the expression and what is wrong with it.
  static Result<Threshold> Parse(const std::string& expression);
  // Returns the grammar, for --help.
  static std::string GrammarHelp();

  const std::string& text() const { return text_; }
  const MetricInfo& metric() const { return *metric_; }
  Op op() const { return op_; }
  bool relative() const { return relative_; }
  // The limit: a percentage change when relative(), else a value in the metric's unit (ms for
  // latencies, req/s for rates, a count otherwise).
  double limit() const { return limit_; }

  // Returns a breach line when `report` breaks this threshold, nullopt when it holds.
  // Relative thresholds compare against `baseline` (REQUIRES: baseline != nullptr then).
  // Sets *not_checked to a reason when either report lacks the metric.
  std::optional<std::string> Check(const Report& report, const Report* baseline,
                                   std::string* not_checked) const;
  // Returns kBreach when the whole `interval` lies beyond the limit (with no interval: when
  // `value` does), kStraddles when `value` does but the interval reaches back across the limit,
  // kHolds otherwise. For a relative threshold, value and interval are changes in percent.
  Verdict Judge(double value, const std::optional<Interval>& interval) const;

 private:
  bool Breaks(double value) const;

  std::string text_;
  const MetricInfo* metric_ = nullptr;
  Op op_ = Op::kGreater;
  bool relative_ = false;
  double limit_ = 0;
};

struct ThresholdOutcome {
  std::vector<std::string> breaches;  // one line each
  std::vector<std::string> notes;     // thresholds that could not be checked, and why
  int checks = 0;                     // (threshold, report) pairs evaluated
};

// Checks every threshold: relative ones on every report but the baseline (against
// reports[baseline]), absolute ones on every report. REQUIRES: baseline < reports.size().
ThresholdOutcome CheckThresholds(const std::vector<Threshold>& thresholds,
                                 const std::vector<Report>& reports, size_t baseline);

// Checks every threshold against sides of several runs (docs/repeated-runs.md): a relative one on
// each side's ratio of medians to the baseline side's, an absolute latency or rate limit on each
// side's median; a breach needs the whole 95% interval beyond the limit, a median beyond it whose
// interval reaches back across is a note. An absolute limit on a count ('errors>0') is checked on
// every run, as CheckThresholds does.
ThresholdOutcome CheckGroupThresholds(const std::vector<Threshold>& thresholds,
                                      const GroupComparison& comparison);

}  // namespace fib
