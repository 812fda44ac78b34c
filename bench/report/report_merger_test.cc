// merge: two reports recorded from known data equal one report recorded from all of it.
#include "bench/report/report_merger.h"

#include <catch2/catch.hpp>

#include "bench/report/hgrm_parser.h"
#include "bench/report/report_fixture.h"
#include "bench/report/report_reader.h"

namespace {

using nlohmann::json;

fib::Report Parse(const json& j, const std::string& name) {
  auto r = fib::ParseJsonReport(j, name);
  INFO(r.message());
  REQUIRE(r.ok());
  return *r;
}

fib::FixtureOptions Options(const std::string& label, std::vector<int64_t> latencies,
                            int64_t errors, int connections) {
  fib::FixtureOptions o;
  o.label = label;
  o.latencies_us = std::move(latencies);
  o.errors = errors;
  o.connections = connections;
  return o;
}

}  // namespace

TEST_CASE("merging two reports equals one report recorded from all data", "[report]") {
  std::vector<int64_t> a_values = fib::FixtureLatencies(3000, 1000, 40000, 11);
  std::vector<int64_t> b_values = fib::FixtureLatencies(2000, 5000, 90000, 12);
  fib::FixtureOptions a = Options("machine-a", a_values, 3, 4);
  fib::FixtureOptions b = Options("machine-b", b_values, 2, 8);
  a.e2e_latencies_us = fib::FixtureLatencies(3000, 100000, 400000, 13);
  b.e2e_latencies_us = fib::FixtureLatencies(2000, 100000, 900000, 14);
  b.uncorrected_latencies_us = fib::FixtureLatencies(2000, 1000, 9000, 15);

  fib::FixtureOptions all = Options("all", a_values, 5, 12);
  all.latencies_us.insert(all.latencies_us.end(), b_values.begin(), b_values.end());
  all.e2e_latencies_us = a.e2e_latencies_us;
  all.e2e_latencies_us.insert(all.e2e_latencies_us.end(), b.e2e_latencies_us.begin(),
                              b.e2e_latencies_us.end());
  all.uncorrected_latencies_us = a_values;
  all.uncorrected_latencies_us.insert(all.uncorrected_latencies_us.end(),
                                      b.uncorrected_latencies_us.begin(),
                                      b.uncorrected_latencies_us.end());

  fib::Report ra = Parse(fib::MakeFixtureReport(a), "a.json");
  fib::Report rb = Parse(fib::MakeFixtureReport(b), "b.json");
  auto merged_json = fib::MergeReports({ra, rb}, {});
  REQUIRE(merged_json.ok());
  // The merged report is a valid schema-1 report.
  fib::Report merged = Parse(*merged_json, "merged.json");
  fib::Report expected = Parse(fib::MakeFixtureReport(all), "all.json");

  for (const std::string prefix : {"", "uncorrected_", "e2e_"}) {
    for (const char* p : {"p50", "p75", "p90", "p99", "p99_9", "p99_99", "min", "max"}) {
      INFO(prefix << p);
      REQUIRE(merged.Metric(prefix + p).has_value());
      CHECK(*merged.Metric(prefix + p) == *expected.Metric(prefix + p));
    }
    CHECK(*merged.Metric(prefix + "mean") == Approx(*expected.Metric(prefix + "mean")));
  }
  // The summary written into the file agrees with the histogram it carries.
  CHECK((*merged_json)["summary"]["latency_ms"]["p99"].get<double>() == *expected.Metric("p99"));

  CHECK(*merged.Metric("requests") == 5000);
  CHECK(*merged.Metric("errors") == 5);
  CHECK(*merged.Metric("rps") == Approx(*ra.Metric("rps") + *rb.Metric("rps")));
  CHECK(*merged.Metric("rps") == Approx(500));  // 5000 requests over 10 s, from two machines
  CHECK((*merged_json)["status_codes"]["200"] == 4995);
  CHECK((*merged_json)["status_codes"]["500"] == 5);
  CHECK((*merged_json)["errors"]["status"] == 5);
  CHECK((*merged_json)["histograms"]["latency"]["total_count"] == 5000);
  CHECK((*merged_json)["summary"]["e2e"]["received"] == 5000);
  CHECK((*merged_json)["conditions"]["connections"] == 12);
  CHECK((*merged_json)["conditions"]["build_type"] == "Release");
  REQUIRE((*merged_json)["merged_from"].size() == 2);
  CHECK((*merged_json)["merged_from"][1]["conditions"]["connections"] == 8);
  CHECK((*merged_json)["merged_from"][0]["file"] == "a.json");
  CHECK(merged.label == "machine-a + machine-b");
  // Per-second requests add up.
  REQUIRE_FALSE(merged.timeseries.empty());
  CHECK(merged.timeseries[0].requests == ra.timeseries[0].requests + rb.timeseries[0].requests);
}

TEST_CASE("merge keeps a label, marks mixed builds and refuses summary-only input", "[report]") {
  fib::FixtureOptions a = Options("a", fib::FixtureLatencies(100, 1000, 2000, 1), 0, 1);
  fib::FixtureOptions b = a;
  b.build_type = "Debug";
  fib::Report ra = Parse(fib::MakeFixtureReport(a), "a.json");
  fib::Report rb = Parse(fib::MakeFixtureReport(b), "b.json");
  auto merged = fib::MergeReports({ra, rb}, fib::MergeOptions{"both"});
  REQUIRE(merged.ok());
  CHECK((*merged)["label"] == "both");
  CHECK((*merged)["conditions"]["build_type"] == "mixed");
  CHECK((*merged)["conditions"]["debug_build"] == true);
  CHECK(Parse(*merged, "m.json").debug_build());

  json summary_only = fib::MakeFixtureReport(a);
  summary_only.erase("histograms");
  fib::Report rs = Parse(summary_only, "old.json");
  auto refused = fib::MergeReports({ra, rs}, {});
  REQUIRE_FALSE(refused.ok());
  CHECK_THAT(refused.message(), Catch::StartsWith("old.json: has no histograms.latency"));

  auto hgrm = fib::ParseHgrm("1.0 0.0 1 1.00\n2.0 1.0 2 inf\n", "wrk2.hgrm", "wrk2");
  REQUIRE(hgrm.ok());
  auto refused_hgrm = fib::MergeReports({ra, *hgrm}, {});
  REQUIRE_FALSE(refused_hgrm.ok());
  CHECK_THAT(refused_hgrm.message(), Catch::StartsWith("wrk2.hgrm: "));
}
