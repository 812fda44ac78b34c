// Bootstrap: the median, the intervals' reproducibility and bounds, and a synthetic coverage
// check — over many samples from a log-normal of known median, the 95% interval must cover the
// true median (and the true ratio of two medians) about 95% of the time.
#include "bench/report/bootstrap.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

namespace {

using fib::BootstrapOptions;
using fib::Interval;

// Log-normal draws of a known median (exp(mu)) from a seeded Box–Muller on mt19937_64's raw
// output, so the samples are the same with every standard library.
class LogNormal {
 public:
  LogNormal(double median, double sigma, uint64_t seed)
      : mu_(std::log(median)), sigma_(sigma), rng_(seed) {}
  std::vector<double> Sample(size_t n) {
    std::vector<double> out;
    for (size_t i = 0; i < n; ++i) out.push_back(std::exp(mu_ + sigma_ * Normal()));
    return out;
  }

 private:
  double Uniform() { return (static_cast<double>(rng_() >> 11) + 0.5) / 9007199254740992.0; }
  double Normal() { return std::sqrt(-2 * std::log(Uniform())) * std::cos(2 * M_PI * Uniform()); }
  double mu_, sigma_;
  std::mt19937_64 rng_;
};

bool Covers(const std::optional<Interval>& ci, double truth) {
  REQUIRE(ci.has_value());
  return ci->low <= truth && truth <= ci->high;
}

}  // namespace

TEST_CASE("Median of odd and even counts, in any order", "[bootstrap]") {
  CHECK(fib::Median({3}) == 3);
  CHECK(fib::Median({5, 1, 3}) == 3);
  CHECK(fib::Median({4, 1, 3, 2}) == 2.5);
  CHECK(fib::Median({10, 10, 1, 1000}) == 10);
}

TEST_CASE("Bootstrap intervals need three runs, are reproducible and hug the sample",
          "[bootstrap]") {
  CHECK_FALSE(fib::MedianInterval({}).has_value());
  CHECK_FALSE(fib::MedianInterval({1, 2}).has_value());
  CHECK_FALSE(fib::RatioInterval({1, 2, 3}, {1, 2}).has_value());
  CHECK_FALSE(fib::RatioInterval({0, 0, 0}, {1, 2, 3}).has_value());  // no ratio against 0

  std::vector<double> runs = {223.1, 225.4, 219.8, 240.2, 222.0};
  auto ci = fib::MedianInterval(runs);
  REQUIRE(ci.has_value());
  CHECK(ci->low >= 219.8);
  CHECK(ci->low <= fib::Median(runs));
  CHECK(ci->high >= fib::Median(runs));
  CHECK(ci->high <= 240.2);
  auto again = fib::MedianInterval(runs);
  CHECK(again->low == ci->low);
  CHECK(again->high == ci->high);

  // Identical runs leave nothing to resample: the interval is the value itself.
  auto flat = fib::MedianInterval({7, 7, 7, 7});
  CHECK(flat->low == 7);
  CHECK(flat->high == 7);
  auto ratio = fib::RatioInterval({100, 100, 100}, {150, 150, 150});
  CHECK(ratio->low == Approx(1.5));
  CHECK(ratio->high == Approx(1.5));
}

TEST_CASE("A different seed moves the bounds of a noisy sample a little, not a lot",
          "[bootstrap]") {
  std::vector<double> runs = LogNormal(100, 0.3, 7).Sample(15);
  BootstrapOptions other;
  other.seed = 99;
  auto a = fib::MedianInterval(runs);
  auto b = fib::MedianInterval(runs, other);
  CHECK(a->low == Approx(b->low).epsilon(0.05));
  CHECK(a->high == Approx(b->high).epsilon(0.05));
}

TEST_CASE("The 95% interval of the median covers the true median about 95% of the time",
          "[bootstrap]") {
  const int trials = 400;
  LogNormal population(100, 0.5, 20261207);
  int covered = 0;
  for (int t = 0; t < trials; ++t) {
    BootstrapOptions o;
    o.seed = static_cast<uint64_t>(t) + 1;
    covered += Covers(fib::MedianInterval(population.Sample(15), o), 100) ? 1 : 0;
  }
  double coverage = static_cast<double>(covered) / trials;
  INFO("coverage " << coverage);
  CHECK(coverage >= 0.88);
  CHECK(coverage <= 0.99);
}

TEST_CASE("The 95% interval of a ratio of medians covers the true ratio about 95% of the time",
          "[bootstrap]") {
  const int trials = 400;
  LogNormal baseline(100, 0.4, 11), candidate(120, 0.4, 12);  // true ratio 1.2
  int covered = 0;
  for (int t = 0; t < trials; ++t) {
    BootstrapOptions o;
    o.seed = static_cast<uint64_t>(t) + 1;
    auto ci = fib::RatioInterval(baseline.Sample(15), candidate.Sample(15), o);
    covered += Covers(ci, 1.2) ? 1 : 0;
  }
  double coverage = static_cast<double>(covered) / trials;
  INFO("coverage " << coverage);
  CHECK(coverage >= 0.88);
  CHECK(coverage <= 0.99);
}

TEST_CASE("With 3 to 5 runs the interval is the range of the runs (docs/repeated-runs.md)",
          "[bootstrap]") {
  for (const std::vector<double>& runs :
       {std::vector<double>{30, 10, 20}, std::vector<double>{50, 10, 40, 20, 30}}) {
    auto ci = fib::MedianInterval(runs);
    CHECK(ci->low == 10);
    CHECK(ci->high == *std::max_element(runs.begin(), runs.end()));
  }
  std::vector<double> seven = {10, 20, 30, 40, 50, 60, 70};
  auto ci = fib::MedianInterval(seven);
  CHECK(ci->low > 10);  // from 7 runs on, the tails are rarer than 2.5%
  CHECK(ci->high < 70);
}
