#include "bench/report/group_comparison.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/require.h"

namespace fib {

GroupComparison::GroupComparison(const Comparison& all, std::vector<RunGroup> groups,
                                 size_t baseline, BootstrapOptions options)
    : all_(all), groups_(std::move(groups)), baseline_(baseline), options_(options) {
  FIB_REQUIRE(baseline_ < groups_.size());
  for (const RunGroup& g : groups_) {
    FIB_REQUIRE(!g.runs.empty());
    for (size_t i : g.runs) FIB_REQUIRE(i < all_.reports().size());
  }
}

std::vector<double> GroupComparison::Values(size_t g, const std::string& metric) const {
  std::vector<double> values;
  for (size_t i : groups_[g].runs) {
    std::optional<double> v = all_.reports()[i].Metric(metric);
    if (v && std::isfinite(*v)) values.push_back(*v);
  }
  return values;
}

std::optional<GroupEstimate> GroupComparison::Median(size_t g, const std::string& metric) const {
  std::vector<double> values = Values(g, metric);
  if (values.empty()) return std::nullopt;
  return GroupEstimate{fib::Median(values), MedianInterval(values, options_), values.size()};
}

std::optional<GroupEstimate> GroupComparison::Ratio(size_t g, const std::string& metric) const {
  std::vector<double> base = Values(baseline_, metric), values = Values(g, metric);
  if (base.empty() || values.empty()) return std::nullopt;
  double base_median = fib::Median(base);
  if (base_median == 0) return std::nullopt;
  return GroupEstimate{fib::Median(values) / base_median, RatioInterval(base, values, options_),
                       std::min(base.size(), values.size())};
}

std::string GroupComparison::Heading(size_t g) const {
  size_t n = groups_[g].runs.size();
  return fmt::format("{} ({} run{}{})", groups_[g].label, n, n == 1 ? "" : "s",
                     g == baseline_ ? ", baseline" : "");
}

std::vector<std::string> GroupComparison::Notes() const {
  std::vector<std::string> lines;
  for (const RunGroup& g : groups_) {
    if (g.runs.size() >= kMinRunsForInterval) continue;
    lines.push_back(fmt::format(
        "{}: {} run(s): no 95% interval (it needs at least {} runs per side); its figures are "
        "medians alone",
        g.label, g.runs.size(), kMinRunsForInterval));
  }
  return lines;
}

}  // namespace fib
