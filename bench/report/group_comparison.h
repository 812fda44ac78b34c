// GroupComparison: what `fibtastic-report compare A1 A2 A3 vs B1 B2 B3` shows — for each side
// (a group of runs of the same thing) the median of every metric with its bootstrap 95%
// interval, and each side's ratio of medians against the baseline side with its interval
// (docs/repeated-runs.md).
// Thread-safety: immutable after construction; holds a reference to the reports.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "bench/report/bootstrap.h"
#include "bench/report/comparison.h"

namespace fib {

// One side: indices into the comparison's reports, in the order given.
struct RunGroup {
  std::string label;
  std::vector<size_t> runs;
};

// A figure of several runs: the median (or ratio of medians) and its 95% interval, which is
// nullopt with fewer than kMinRunsForInterval runs on a side.
struct GroupEstimate {
  double value = 0;
  std::optional<Interval> ci95;
  size_t runs = 0;  // runs that have the metric (for a ratio: the fewer of the two sides)
};

class GroupComparison {
 public:
  // REQUIRES: baseline < groups.size(); every group has at least one run, each an index into
  // all.reports(); `all` outlives this object.
  GroupComparison(const Comparison& all, std::vector<RunGroup> groups, size_t baseline,
                  BootstrapOptions options);

  // The comparison of every run on its own: the reports, the table's metrics, the differing
  // conditions and the warnings.
  const Comparison& all() const { return all_; }
  const std::vector<RunGroup>& groups() const { return groups_; }
  size_t baseline() const { return baseline_; }
  const BootstrapOptions& options() const { return options_; }
  // Returns the values of `metric` in group g's runs, in run order (runs lacking it skipped).
  std::vector<double> Values(size_t g, const std::string& metric) const;
  // Returns group g's median of `metric`, or nullopt when none of its runs has it.
  std::optional<GroupEstimate> Median(size_t g, const std::string& metric) const;
  // Returns group g's median over the baseline's, or nullopt when either lacks the metric or
  // the baseline's median is 0.
  std::optional<GroupEstimate> Ratio(size_t g, const std::string& metric) const;
  // Returns group g's heading: its label and run count, "(baseline)" for the baseline.
  std::string Heading(size_t g) const;
  // Returns a line for each side with too few runs for an interval.
  std::vector<std::string> Notes() const;

 private:
  const Comparison& all_;
  std::vector<RunGroup> groups_;
  size_t baseline_;
  BootstrapOptions options_;
};

}  // namespace fib
