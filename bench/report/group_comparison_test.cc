// Several runs per side: medians, intervals, ratios of medians, and --fail-if judged on the
// interval (a breach needs the whole interval beyond the limit); the A/A check — runs drawn from
// one distribution are not flagged, the same runs shifted by 30% are.
#include "bench/report/group_comparison.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <random>

#include "bench/report/report_fixture.h"
#include "bench/report/report_reader.h"
#include "bench/report/threshold.h"

namespace {

using fib::Report;

// A report of 100 requests that all took `ms`, with `errors` of them failed.
Report Run(const std::string& label, double ms, int64_t errors = 0) {
  fib::FixtureOptions o;
  o.label = label;
  o.latencies_us.assign(100, static_cast<int64_t>(ms * 1000));
  o.errors = errors;
  auto r = fib::ParseJsonReport(fib::MakeFixtureReport(o), label + ".json");
  REQUIRE(r.ok());
  return *r;
}

// Two sides of runs of the given latencies, the first the baseline; keeps what they point to.
struct Sides {
  std::vector<Report> reports;
  std::vector<fib::RunGroup> groups;
  std::unique_ptr<fib::Comparison> all;
  std::unique_ptr<fib::GroupComparison> comparison;

  Sides(const std::vector<double>& base_ms, const std::vector<double>& other_ms,
        const std::vector<int64_t>& other_errors = {}) {
    groups = {{"base", {}}, {"other", {}}};
    for (double ms : base_ms) Add(0, Run("base", ms));
    for (size_t i = 0; i < other_ms.size(); ++i) {
      Add(1, Run("other", other_ms[i], i < other_errors.size() ? other_errors[i] : 0));
    }
    Build();
  }
  Sides(std::vector<Report> base, std::vector<Report> other) {
    groups = {{"A", {}}, {"A'", {}}};
    for (Report& r : base) Add(0, std::move(r));
    for (Report& r : other) Add(1, std::move(r));
    Build();
  }
  void Add(size_t g, Report r) {
    groups[g].runs.push_back(reports.size());
    reports.push_back(std::move(r));
  }
  void Build() {
    all = std::make_unique<fib::Comparison>(reports, 0);
    comparison = std::make_unique<fib::GroupComparison>(*all, groups, 0, fib::BootstrapOptions{});
  }
  fib::ThresholdOutcome Check(const std::string& expression) const {
    auto t = fib::Threshold::Parse(expression);
    REQUIRE(t.ok());
    return fib::CheckGroupThresholds({*t}, *comparison);
  }
};

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace

TEST_CASE("Several runs per side: medians with intervals and a ratio of medians", "[report]") {
  Sides s({100, 98, 102}, {150, 148, 152});
  const fib::GroupComparison& c = *s.comparison;
  auto base = c.Median(0, "p99");
  REQUIRE(base.has_value());
  CHECK(base->value == Approx(100).epsilon(0.002));
  CHECK(base->runs == 3);
  REQUIRE(base->ci95.has_value());
  CHECK(base->ci95->low >= Approx(98).epsilon(0.002));
  CHECK(base->ci95->high <= Approx(102).epsilon(0.002));
  auto ratio = c.Ratio(1, "p99");
  REQUIRE(ratio.has_value());
  CHECK(ratio->value == Approx(1.5).epsilon(0.003));
  REQUIRE(ratio->ci95.has_value());
  CHECK(ratio->ci95->low > 1.44);
  CHECK(ratio->ci95->high < 1.56);
  CHECK(c.Heading(0) == "base (3 runs, baseline)");
  CHECK(c.Notes().empty());

  Sides two({100, 98}, {150, 148});
  CHECK_FALSE(two.comparison->Median(0, "p99")->ci95.has_value());
  CHECK_FALSE(two.comparison->Ratio(1, "p99")->ci95.has_value());
  REQUIRE(two.comparison->Notes().size() == 2);
  CHECK_THAT(two.comparison->Notes()[0], Catch::Contains("base: 2 run(s): no 95% interval"));
}

TEST_CASE("Several runs per side: a relative limit fails only when the whole interval is beyond",
          "[report]") {
  // Clearly slower: the interval of the change lies above +10%.
  auto clear = Sides({100, 101, 99}, {150, 148, 152}).Check("p99>+10%");
  REQUIRE(clear.breaches.size() == 1);
  CHECK_THAT(clear.breaches[0], Catch::StartsWith("FAIL p99>+10%: other (3 runs) p99 median 150"));
  CHECK_THAT(clear.breaches[0], Catch::Contains("+50.0% [95% CI +4") &&
                                    Catch::Contains("vs baseline base (3 runs, baseline)"));
  CHECK(clear.checks == 1);

  // The median is +12% but one run is faster than the baseline: the interval straddles +10%.
  auto straddles = Sides({100, 101, 99, 100, 100}, {100, 112, 115, 95, 120}).Check("p99>+10%");
  CHECK(straddles.breaches.empty());
  CHECK(straddles.checks == 1);
  CHECK_THAT(Joined(straddles.notes), Catch::Contains("reaches back across it: not flagged"));

  // Within the limit: nothing to say.
  auto holds = Sides({100, 101, 99}, {101, 102, 100}).Check("p99>+10%");
  CHECK(holds.breaches.empty());
  CHECK(holds.notes.empty());

  // Faster by 20%: 'p99<-10%' needs the interval's upper bound below -10%.
  CHECK(Sides({100, 101, 99}, {80, 81, 79}).Check("p99<-10%").breaches.size() == 1);

  // Two runs a side: judged on the medians, with a note saying so.
  auto medians = Sides({100, 100}, {120, 121}).Check("p99>+10%");
  CHECK(medians.breaches.size() == 1);
  CHECK_THAT(Joined(medians.notes), Catch::Contains("judged on medians alone"));
}

TEST_CASE(
    "Several runs per side: absolute latency limits on the median's interval, counts on "
    "every run",
    "[report]") {
  CHECK(Sides({10, 10, 10}, {260, 265, 270}).Check("p50>250ms").breaches.size() == 1);
  auto straddles = Sides({10, 10, 10}, {240, 260, 270}).Check("p50>250ms");
  CHECK(straddles.breaches.empty());
  CHECK_THAT(Joined(straddles.notes), Catch::Contains("p50 median 260.1 ms [95% CI 240.1, 270.1]"));
  // One run of three with errors: its median is 0, but 'errors>0' means any error.
  auto errors = Sides({10, 10, 10}, {10, 10, 10}, {0, 2, 0}).Check("errors>0");
  REQUIRE(errors.breaches.size() == 1);
  CHECK_THAT(errors.breaches[0], Catch::Contains("errors = 2"));
  CHECK(errors.checks == 6);
}

TEST_CASE("A/A: runs from one distribution are not flagged; the same runs 30% slower are",
          "[report]") {
  // Each run's figures carry the machine's run-to-run noise: a log-normal factor (σ = 0.05) on
  // a 24 ms p50 and a 30 ms p99, five runs a side, 200 trials.
  std::mt19937_64 rng(20261207);
  std::lognormal_distribution<double> noise(0, 0.05);
  auto run = [&](const std::string& label, double scale) {
    Report r;
    r.label = label;
    r.source = label + ".json";
    r.metrics = {{"p50", 24 * noise(rng) * scale}, {"p99", 30 * noise(rng) * scale}};
    return r;
  };
  int flagged_aa = 0, flagged_ab = 0;
  const int trials = 200;
  for (int t = 0; t < trials; ++t) {
    std::vector<Report> a, a_prime, b;
    for (int i = 0; i < 5; ++i) {
      a.push_back(run("A", 1));
      a_prime.push_back(run("A'", 1));
      b.push_back(run("B", 1.3));
    }
    std::vector<Report> a_again = a;
    flagged_aa +=
        Sides(std::move(a), std::move(a_prime)).Check("p99>+10%").breaches.empty() ? 0 : 1;
    flagged_ab +=
        Sides(std::move(a_again), std::move(b)).Check("p99>+10%").breaches.empty() ? 0 : 1;
  }
  INFO("A/A flagged " << flagged_aa << ", A/B (+30%) flagged " << flagged_ab << " of " << trials);
  CHECK(flagged_aa == 0);
  CHECK(flagged_ab >= trials * 95 / 100);
}
