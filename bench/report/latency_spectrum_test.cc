// LatencySpectrum: percentiles of known data, agreement with HdrHistogram, and the .hgrm rows.
#include "bench/report/latency_spectrum.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "bench/report/hgrm_parser.h"
#include "bench/report/report_fixture.h"

namespace {

using fib::HdrHistogram;
using fib::LatencySpectrum;

HdrHistogram RecordAll(const std::vector<int64_t>& values_us) {
  HdrHistogram h;
  for (int64_t v : values_us) h.Record(v);
  return h;
}

// The exact percentile of sorted data: the ceil(p/100 * n)-th smallest value.
double ExactMs(std::vector<int64_t> values_us, double p) {
  std::sort(values_us.begin(), values_us.end());
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * values_us.size() - 1e-9));
  return values_us[std::max<size_t>(rank, 1) - 1] / 1000.0;
}

}  // namespace

TEST_CASE("spectrum percentiles of 1..10000 us are the exact values within 0.1%", "[report]") {
  std::vector<int64_t> values;
  for (int64_t v = 1; v <= 10000; ++v) values.push_back(v);
  LatencySpectrum s = LatencySpectrum::FromHistogram(RecordAll(values));
  REQUIRE(s.total_count() == 10000);
  // Exact: p50 is the 5000th value (5.000 ms), p99 the 9900th (9.900 ms).
  CHECK(s.ValueAtMs(50) >= 5.0);
  CHECK(s.ValueAtMs(50) <= 5.0 * 1.001);
  CHECK(s.ValueAtMs(99) >= 9.9);
  CHECK(s.ValueAtMs(99) <= 9.9 * 1.001);
  CHECK(s.ValueAtMs(100) == Approx(s.max_ms()));
  CHECK(s.min_ms() == Approx(0.001));
  CHECK(s.mean_ms() == Approx(5.0005).epsilon(0.001));
}

TEST_CASE("spectrum percentiles of long-tailed data match exact values and HdrHistogram",
          "[report]") {
  std::vector<int64_t> values = fib::FixtureLatencies(5000, 2000, 30000, 7);
  HdrHistogram h = RecordAll(values);
  LatencySpectrum s = LatencySpectrum::FromHistogram(h);
  for (double p : {0.0, 10.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    INFO("p" << p);
    double exact = ExactMs(values, p);
    CHECK(s.ValueAtMs(p) >= exact);
    CHECK(s.ValueAtMs(p) <= exact * 1.001);
    CHECK(s.ValueAtMs(p) == h.ValueAtPercentile(p) / 1000.0);
  }
}

TEST_CASE("spectrum ticks are HdrHistogram's .hgrm rows", "[report]") {
  HdrHistogram h = RecordAll(fib::FixtureLatencies(3000, 1000, 50000, 3));
  std::vector<fib::SpectrumPoint> ticks = LatencySpectrum::FromHistogram(h).Ticks(5);
  auto parsed = fib::ParseHgrm(h.FormatHgrm(1000.0, 5), "h.hgrm", "h");
  REQUIRE(parsed.ok());
  std::vector<fib::SpectrumPoint> rows = parsed->latency.spectrum->Ticks();
  REQUIRE(ticks.size() == rows.size());
  for (size_t i = 0; i < ticks.size(); ++i) {
    INFO("row " << i);
    CHECK(ticks[i].value_ms == Approx(rows[i].value_ms).margin(0.0006));
    CHECK(ticks[i].percentile == Approx(rows[i].percentile).margin(1e-4));
    CHECK(ticks[i].total_count == rows[i].total_count);
  }
  // 5 ticks per halving of the distance to 100%: 10% steps to 50%, then 5%, then 2.5%.
  REQUIRE(ticks.size() > 8);
  CHECK(ticks[1].percentile == Approx(10));
  CHECK(ticks[5].percentile == Approx(50));
  CHECK(ticks[6].percentile == Approx(55));
  CHECK(ticks.back().percentile == 100);
  CHECK(std::isinf(ticks.back().InverseTail()));
  CHECK(ticks.back().total_count == 3000);
}

TEST_CASE("spectrum summary has the report-format keys", "[report]") {
  HdrHistogram h = RecordAll({1000, 2000, 3000, 4000});
  nlohmann::json summary = LatencySpectrum::FromHistogram(h).SummaryJson();
  for (const char* key :
       {"p50", "p75", "p90", "p99", "p99_9", "p99_99", "min", "max", "mean", "stdev"}) {
    CHECK(summary.contains(key));
  }
  CHECK(summary["p50"].get<double>() == Approx(2.0).epsilon(0.001));
  CHECK(summary["max"].get<double>() == Approx(4.0).epsilon(0.001));
}

TEST_CASE("empty histogram gives an empty spectrum", "[report]") {
  LatencySpectrum s = LatencySpectrum::FromHistogram(HdrHistogram());
  CHECK(s.empty());
  CHECK(s.Ticks().empty());
  CHECK(s.ValueAtMs(99) == 0);
}

TEST_CASE("spectrum from .hgrm rows resolves percentiles to the next row", "[report]") {
  std::vector<fib::SpectrumPoint> rows = {
      {1.0, 0, 1}, {2.0, 50, 50}, {3.0, 90, 90}, {10.0, 100, 100}};
  auto s = LatencySpectrum::FromRows(rows, {});
  REQUIRE(s.ok());
  CHECK(s->ValueAtMs(50) == 2.0);
  CHECK(s->ValueAtMs(60) == 3.0);
  CHECK(s->ValueAtMs(99) == 10.0);
  CHECK(s->max_ms() == 10.0);
  std::vector<fib::SpectrumPoint> backwards = {{2.0, 0, 1}, {1.0, 50, 50}};
  auto bad = LatencySpectrum::FromRows(backwards, {});
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.message(), Catch::Contains("row 2"));
}

TEST_CASE(".hgrm rows outside a histogram's range are refused by line, not converted", "[report]") {
  const std::string header = "       Value     Percentile TotalCount 1/(1-Percentile)\n\n";
  struct Case {
    std::string row, says;
  };
  for (const Case& c :
       {Case{"1.0 0.5 7.77778e+48 2.0", "total count"}, Case{"1.0 0.5 2.5 2.0", "total count"},
        Case{"1.0 0.5 -3 2.0", "total count"}, Case{"1e300 0.5 3 2.0", "value"},
        Case{"-1 0.5 3 2.0", "value"}, Case{"1.0 1.5 3 2.0", "percentile"}}) {
    auto parsed = fib::ParseHgrm(header + c.row + "\n", "x.hgrm", "x");
    INFO(c.row);
    REQUIRE_FALSE(parsed.ok());
    CHECK_THAT(parsed.message(), Catch::Contains("x.hgrm line 3") && Catch::Contains(c.says));
  }
  // NaN and infinities are not numbers here, so such a row is not a row at all.
  CHECK_FALSE(fib::ParseHgrm(header + "nan 0.5 3 2.0\n", "x.hgrm", "x").ok());
  CHECK_FALSE(fib::ParseHgrm(header + "1.0 nan 3 2.0\n", "x.hgrm", "x").ok());
}
