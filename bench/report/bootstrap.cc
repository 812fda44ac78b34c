#include "bench/report/bootstrap.h"

#include <algorithm>
#include <cmath>

#include "common/require.h"

namespace fib {

namespace {

// SplitMix64: small, well mixed, and the same stream on every platform (std::mt19937 is too, but
// the standard distributions on top of it are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Returns an index in [0, n) without modulo bias: draws above the last whole multiple of n
  // are thrown back.
  size_t Index(size_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t draw = Next();
    while (draw >= limit) draw = Next();
    return static_cast<size_t>(draw % n);
  }

 private:
  uint64_t state_;
};

// Returns the median of a resample of `values` (drawn with replacement) into `scratch`.
double ResampledMedian(const std::vector<double>& values, Rng* rng, std::vector<double>* scratch) {
  scratch->resize(values.size());
  for (double& v : *scratch) v = values[rng->Index(values.size())];
  return Median(*scratch);
}

// Returns the (1 ± confidence)/2 quantiles of `stats` (linear interpolation between order
// statistics, as R's default type 7).
Interval PercentileInterval(std::vector<double> stats, double confidence) {
  std::sort(stats.begin(), stats.end());
  auto quantile = [&stats](double q) {
    double at = q * static_cast<double>(stats.size() - 1);
    size_t below = static_cast<size_t>(std::floor(at));
    size_t above = std::min(below + 1, stats.size() - 1);
    return stats[below] + (at - static_cast<double>(below)) * (stats[above] - stats[below]);
  };
  double tail = (1 - confidence) / 2;
  return {quantile(tail), quantile(1 - tail)};
}

}  // namespace

double Median(std::vector<double> values) {
  FIB_REQUIRE(!values.empty());
  size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + mid, values.end());
  if (values.size() % 2 == 1) return values[mid];
  double upper = values[mid];
  return (upper + *std::max_element(values.begin(), values.begin() + mid)) / 2;
}

std::optional<Interval> MedianInterval(const std::vector<double>& values,
                                       const BootstrapOptions& options) {
  FIB_REQUIRE(options.resamples > 0);
  if (values.size() < kMinRunsForInterval) return std::nullopt;
  Rng rng(options.seed);
  std::vector<double> medians, scratch;
  medians.reserve(options.resamples);
  for (int i = 0; i < options.resamples; ++i) {
    medians.push_back(ResampledMedian(values, &rng, &scratch));
  }
  return PercentileInterval(std::move(medians), options.confidence);
}

std::optional<Interval> RatioInterval(const std::vector<double>& baseline,
                                      const std::vector<double>& candidate,
                                      const BootstrapOptions& options) {
  if (baseline.size() < kMinRunsForInterval || candidate.size() < kMinRunsForInterval) {
    return std::nullopt;
  }
  FIB_REQUIRE(options.resamples > 0);
  Rng rng(options.seed);
  std::vector<double> ratios, scratch;
  ratios.reserve(options.resamples);
  for (int i = 0; i < options.resamples; ++i) {
    double base = ResampledMedian(baseline, &rng, &scratch);
    if (!(base > 0)) return std::nullopt;
    ratios.push_back(ResampledMedian(candidate, &rng, &scratch) / base);
  }
  return PercentileInterval(std::move(ratios), options.confidence);
}

}  // namespace fib
