// Bootstrap: the median of a few run values and its percentile-bootstrap confidence interval,
// alone or as the ratio of two samples' medians (docs/repeated-runs.md). A fixed seed makes every
// interval reproducible: the same values and seed give the same bounds on every platform.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace fib {

// Fewer runs than this give no interval: with one or two values a bootstrap only restates them.
inline constexpr size_t kMinRunsForInterval = 3;

struct BootstrapOptions {
  int resamples = 2000;      // ≥ 2000 keeps the 2.5% / 97.5% percentiles steady
  uint64_t seed = 1;         // splitmix64 seed of the resampling
  double confidence = 0.95;  // the interval's nominal coverage
};

struct Interval {
  double low = 0, high = 0;
};

// Returns the median of `values` (the mean of the middle two for an even count).
// REQUIRES: !values.empty().
double Median(std::vector<double> values);

// Returns the percentile-bootstrap interval of the median of `values`, or nullopt when there are
// fewer than kMinRunsForInterval values.
// REQUIRES: every value is finite; options.resamples > 0.
std::optional<Interval> MedianInterval(const std::vector<double>& values,
                                       const BootstrapOptions& options = {});

// Returns the percentile-bootstrap interval of median(candidate) / median(baseline), each sample
// resampled on its own; nullopt when either has fewer than kMinRunsForInterval values or a
// resampled baseline median is not positive.
// REQUIRES: every value is finite; options.resamples > 0.
std::optional<Interval> RatioInterval(const std::vector<double>& baseline,
                                      const std::vector<double>& candidate,
                                      const BootstrapOptions& options = {});

}  // namespace fib
