// --fail-if: parsing valid and malformed expressions, and checking reports against them.
#include "bench/report/threshold.h"

#include <catch2/catch.hpp>

#include "bench/report/report_fixture.h"
#include "bench/report/report_reader.h"

namespace {

using fib::Report;
using fib::Threshold;

Threshold Parse(const std::string& text) {
  auto t = Threshold::Parse(text);
  INFO(text << ": " << t.message());
  REQUIRE(t.ok());
  return *t;
}

Report WithMetrics(const std::string& label, std::map<std::string, double> metrics) {
  Report r;
  r.label = label;
  r.source = label + ".json";
  r.metrics = std::move(metrics);
  return r;
}

// A report recorded from `n` requests that all took `latency_us`.
Report Recorded(const std::string& label, size_t n, int64_t latency_us, int64_t errors = 0) {
  fib::FixtureOptions o;
  o.label = label;
  o.latencies_us.assign(n, latency_us);
  o.errors = errors;
  auto r = fib::ParseJsonReport(fib::MakeFixtureReport(o), label + ".json");
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE("Thresholds (--fail-if) parse relative and absolute limits", "[report]") {
  Threshold t = Parse("p99>+10%");
  CHECK(t.metric().name == "p99");
  CHECK(t.op() == Threshold::Op::kGreater);
  CHECK(t.relative());
  CHECK(t.limit() == 10);

  t = Parse("rps<-5%");
  CHECK(t.metric().name == "rps");
  CHECK(t.op() == Threshold::Op::kLess);
  CHECK(t.limit() == -5);

  t = Parse("p50>250ms");
  CHECK_FALSE(t.relative());
  CHECK(t.limit() == 250);
  CHECK(Parse("p50>0.25s").limit() == 250);
  CHECK(Parse("p50>=500us").limit() == Approx(0.5));
  CHECK(Parse("p50>=500us").op() == Threshold::Op::kGreaterEqual);
  CHECK(Parse("p50 > 40").limit() == 40);  // latency without a unit is ms
  CHECK(Parse("errors>0").metric().name == "errors");
  CHECK(Parse("e2e_p99>+20%").metric().name == "e2e_p99");
  CHECK(Parse(" P99.9 <= 2ms ").metric().name == "p99_9");
  CHECK(Parse("uncorrected_p99<3").op() == Threshold::Op::kLess);
  CHECK(Parse("rps<100rps").limit() == 100);
}

TEST_CASE("Thresholds (--fail-if) reject malformed expressions, naming them", "[report]") {
  for (const char* bad : {"p99", "p99>", ">10%", "p98>10%", "errors>5ms", "p99>abc", "p99=10",
                          "rps<5ms", "p99>10%%", "p99>>10%", "p99>10 parsecs"}) {
    auto t = Threshold::Parse(bad);
    INFO(bad);
    REQUIRE_FALSE(t.ok());
    CHECK_THAT(t.message(), Catch::Contains(std::string("'") + bad + "'"));
  }
  CHECK_THAT(Threshold::Parse("p98>10%").message(), Catch::Contains("unknown metric 'p98'"));
  CHECK_THAT(Threshold::Parse("errors>5ms").message(), Catch::Contains("unit 'ms'"));
}

TEST_CASE("relative thresholds compare against the baseline", "[report]") {
  std::vector<Report> reports = {Recorded("base", 200, 10000), Recorded("slower", 200, 12000)};
  auto outcome = fib::CheckThresholds({Parse("p99>+10%")}, reports, 0);
  REQUIRE(outcome.breaches.size() == 1);
  CHECK_THAT(outcome.breaches[0], Catch::Contains("slower (slower.json)"));
  CHECK_THAT(outcome.breaches[0], Catch::Contains("+20.0%"));
  CHECK(outcome.checks == 1);
  CHECK(fib::CheckThresholds({Parse("p99>+25%")}, reports, 0).breaches.empty());
  // With the slower run as baseline, the other is 16.7% faster: no breach of >+10%, but <-10%.
  CHECK(fib::CheckThresholds({Parse("p99>+10%")}, reports, 1).breaches.empty());
  CHECK(fib::CheckThresholds({Parse("p50<-10%")}, reports, 1).breaches.size() == 1);
}

TEST_CASE("absolute thresholds check every report", "[report]") {
  std::vector<Report> reports = {Recorded("fast", 100, 5000),
                                 Recorded("slow", 100, 300000, /*errors=*/2)};
  auto outcome = fib::CheckThresholds({Parse("p50>250ms"), Parse("errors>0")}, reports, 0);
  CHECK(outcome.checks == 4);
  REQUIRE(outcome.breaches.size() == 2);
  CHECK_THAT(outcome.breaches[0],
             Catch::Contains("slow (slow.json) p50 = 300.") && Catch::Contains("> 250"));
  CHECK_THAT(outcome.breaches[0], Catch::Contains("ms (> 250.0 ms)"));
  CHECK_THAT(outcome.breaches[1], Catch::EndsWith("errors = 2 (> 0)"));
  CHECK(fib::CheckThresholds({Parse("p50>0.5s")}, reports, 0).breaches.empty());
}

TEST_CASE("each metric family is checked: rates, counts, uncorrected and e2e", "[report]") {
  Report base = WithMetrics("a", {{"rps", 100},
                                  {"requests", 1000},
                                  {"uncorrected_p99", 5},
                                  {"e2e_p99", 1000},
                                  {"e2e_missing", 0}});
  Report other = WithMetrics("b", {{"rps", 94},
                                   {"requests", 940},
                                   {"uncorrected_p99", 5.2},
                                   {"e2e_p99", 1300},
                                   {"e2e_missing", 3}});
  std::vector<Report> reports = {base, other};
  CHECK(fib::CheckThresholds({Parse("rps<-5%")}, reports, 0).breaches.size() == 1);
  CHECK(fib::CheckThresholds({Parse("rps<-10%")}, reports, 0).breaches.empty());
  CHECK(fib::CheckThresholds({Parse("requests<950")}, reports, 0).breaches.size() == 1);
  CHECK(fib::CheckThresholds({Parse("uncorrected_p99>+5%")}, reports, 0).breaches.empty());
  CHECK(fib::CheckThresholds({Parse("uncorrected_p99>+3%")}, reports, 0).breaches.size() == 1);
  CHECK(fib::CheckThresholds({Parse("e2e_p99>+20%")}, reports, 0).breaches.size() == 1);
  CHECK(fib::CheckThresholds({Parse("e2e_p99>2s")}, reports, 0).breaches.empty());
  CHECK(fib::CheckThresholds({Parse("e2e_missing>0")}, reports, 0).breaches.size() == 1);
}

TEST_CASE("a metric a report lacks is reported as not checked, not as a pass", "[report]") {
  std::vector<Report> reports = {WithMetrics("a", {{"p99", 1}}), WithMetrics("b", {{"p99", 1}})};
  auto outcome = fib::CheckThresholds({Parse("e2e_p99>+20%")}, reports, 0);
  CHECK(outcome.breaches.empty());
  CHECK(outcome.checks == 0);
  REQUIRE(outcome.notes.size() == 1);
  CHECK_THAT(outcome.notes[0], Catch::Contains("has no e2e_p99"));
}

TEST_CASE("a baseline of 0 makes any increase a breach", "[report]") {
  std::vector<Report> reports = {WithMetrics("a", {{"errors", 0}}),
                                 WithMetrics("b", {{"errors", 1}})};
  auto outcome = fib::CheckThresholds({Parse("errors>+50%")}, reports, 0);
  REQUIRE(outcome.breaches.size() == 1);
  CHECK_THAT(outcome.breaches[0], Catch::Contains("baseline is 0"));
}

TEST_CASE("A figure of several runs breaks a limit only when its whole interval lies beyond it",
          "[report]") {
  using Verdict = Threshold::Verdict;
  using fib::Interval;
  Threshold slower = Parse("p99>+10%");
  CHECK(slower.Judge(15, Interval{11, 19}) == Verdict::kBreach);
  CHECK(slower.Judge(15, Interval{9, 19}) == Verdict::kStraddles);
  CHECK(slower.Judge(5, Interval{-2, 12}) == Verdict::kHolds);
  CHECK(slower.Judge(15, std::nullopt) == Verdict::kBreach);  // no interval: the median decides
  CHECK(Parse("p99>=+10%").Judge(12, Interval{10, 14}) == Verdict::kBreach);
  Threshold faster = Parse("rps<-5%");
  CHECK(faster.Judge(-8, Interval{-12, -6}) == Verdict::kBreach);
  CHECK(faster.Judge(-8, Interval{-12, -3}) == Verdict::kStraddles);
  CHECK(Parse("p50>250ms").Judge(260, Interval{240, 270}) == Verdict::kStraddles);
}
