// HdrHistogram against exact percentiles of known data, merge, JSON round trip and .hgrm layout.
#include "bench/histogram/hdr_histogram.h"

#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <regex>
#include <sstream>

namespace {

using fib::HdrHistogram;

const double kPercentiles[] = {0, 1, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 99.999, 100};

int64_t ExactPercentile(const std::vector<int64_t>& sorted, double p) {
  double exact_rank = p / 100.0 * static_cast<double>(sorted.size());
  auto rank = static_cast<int64_t>(std::ceil(exact_rank - exact_rank * 1e-12));
  rank = std::clamp<int64_t>(rank, 1, static_cast<int64_t>(sorted.size()));
  return sorted[static_cast<size_t>(rank - 1)];
}

// Checks every percentile of `values` within 0.1% relative error (and never below the exact).
void CheckPercentiles(std::vector<int64_t> values, const HdrHistogram& h) {
  std::sort(values.begin(), values.end());
  REQUIRE(h.total_count() == static_cast<int64_t>(values.size()));
  for (double p : kPercentiles) {
    int64_t exact = ExactPercentile(values, p);
    int64_t got = h.ValueAtPercentile(p);
    INFO("p" << p << " exact " << exact << " histogram " << got);
    CHECK(got >= exact);
    CHECK(static_cast<double>(got - exact) <= 0.001 * static_cast<double>(exact));
  }
  CHECK(h.Min() <= values.front());
  CHECK(h.Max() >= values.back());
  CHECK(static_cast<double>(h.Max() - values.back()) <= 0.001 * values.back());
}

HdrHistogram RecordAll(const std::vector<int64_t>& values) {
  HdrHistogram h;
  for (int64_t v : values) h.Record(v);
  return h;
}

std::vector<int64_t> Draw(const std::string& kind, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> out;
  std::uniform_int_distribution<int64_t> uniform(1, 2'000'000);
  std::normal_distribution<double> normal(20'000, 3'000);
  std::exponential_distribution<double> exponential(1.0 / 5'000);
  std::lognormal_distribution<double> lognormal(8.0, 1.5);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (size_t i = 0; i < n; ++i) {
    double v = 0;
    if (kind == "uniform") v = static_cast<double>(uniform(rng));
    if (kind == "normal") v = normal(rng);
    if (kind == "exponential") v = exponential(rng);
    if (kind == "lognormal") v = lognormal(rng);
    // Pareto with alpha 1.1: a long tail reaching seconds.
    if (kind == "pareto") v = 1000.0 / std::pow(1.0 - unit(rng), 1.0 / 1.1);
    out.push_back(std::clamp<int64_t>(static_cast<int64_t>(v), 1, 3'000'000'000LL));
  }
  return out;
}

}  // namespace

TEST_CASE("HdrHistogram percentiles match exact percentiles of random data", "[hdr]") {
  for (const char* kind : {"uniform", "normal", "exponential", "lognormal", "pareto"}) {
    SECTION(kind) {
      auto values = Draw(kind, 200'000, 42);
      CheckPercentiles(values, RecordAll(values));
    }
  }
}

TEST_CASE("HdrHistogram handles adversarial data", "[hdr]") {
  SECTION("all values equal") {
    std::vector<int64_t> values(10'000, 123'457);
    CheckPercentiles(values, RecordAll(values));
    CHECK(RecordAll(values).StdDev() == 0.0);
  }
  SECTION("powers of two") {
    std::vector<int64_t> values;
    for (int64_t v = 1; v <= (1LL << 31); v <<= 1) values.push_back(v);
    CheckPercentiles(values, RecordAll(values));
  }
  SECTION("bucket edges") {
    HdrHistogram probe;
    std::vector<int64_t> values;
    for (int64_t edge = 2048; edge <= 1'000'000'000; edge <<= 1) {
      for (int64_t d : {-2, -1, 0, 1, 2}) values.push_back(edge + d);
      values.push_back(probe.HighestEquivalentValue(edge + 5));
      values.push_back(probe.HighestEquivalentValue(edge + 5) + 1);
    }
    CheckPercentiles(values, RecordAll(values));
  }
  SECTION("1 and the maximum") {
    std::vector<int64_t> values = {1, 3'600'000'000LL};
    HdrHistogram h = RecordAll(values);
    CheckPercentiles(values, h);
    CHECK(h.Min() == 1);
    CHECK(h.ValueAtPercentile(50) == 1);
    CHECK(h.clamped() == 0);
  }
  SECTION("values are exact up to 2048") {
    HdrHistogram h;
    for (int64_t v = 1; v <= 2047; ++v) CHECK(h.HighestEquivalentValue(v) == v);
  }
}

TEST_CASE("HdrHistogram clamps out-of-range values and counts them", "[hdr]") {
  HdrHistogram h(1, 1'000'000, 3);
  h.Record(5'000'000);
  h.Record(-7);
  h.Record(0, 3);
  CHECK(h.total_count() == 5);
  CHECK(h.clamped() == 1);
  CHECK(h.Min() == 1);
  CHECK(h.ValueAtPercentile(50) == 1);
  CHECK(h.Max() == h.HighestEquivalentValue(1'000'000));
  CHECK(h.Max() >= 1'000'000);
  CHECK(h.Max() <= 1'001'000);
}

TEST_CASE("HdrHistogram on an empty histogram returns zeros", "[hdr]") {
  HdrHistogram h;
  CHECK(h.total_count() == 0);
  CHECK(h.Min() == 0);
  CHECK(h.Max() == 0);
  CHECK(h.Mean() == 0.0);
  CHECK(h.StdDev() == 0.0);
  CHECK(h.ValueAtPercentile(99) == 0);
}

TEST_CASE("HdrHistogram mean and stdev are close to the exact figures", "[hdr]") {
  auto values = Draw("normal", 100'000, 7);
  HdrHistogram h = RecordAll(values);
  double sum = 0, sq = 0;
  for (int64_t v : values) sum += static_cast<double>(v);
  double mean = sum / static_cast<double>(values.size());
  for (int64_t v : values) sq += (static_cast<double>(v) - mean) * (static_cast<double>(v) - mean);
  double stdev = std::sqrt(sq / static_cast<double>(values.size()));
  CHECK(std::abs(h.Mean() - mean) <= 0.001 * mean);
  CHECK(std::abs(h.StdDev() - stdev) <= 0.01 * stdev);
}

TEST_CASE("HdrHistogram merge equals recording everything in one", "[hdr]") {
  auto a = Draw("lognormal", 50'000, 1), b = Draw("pareto", 50'000, 2);
  HdrHistogram ha = RecordAll(a), hb = RecordAll(b), all = RecordAll(a);
  for (int64_t v : b) all.Record(v);
  ha.Merge(hb);
  CHECK(ha.ToJson() == all.ToJson());
  CHECK(ha.Min() == all.Min());
  CHECK(ha.Max() == all.Max());
  CHECK(ha.Mean() == all.Mean());
  std::vector<int64_t> both = a;
  both.insert(both.end(), b.begin(), b.end());
  CheckPercentiles(both, ha);

  SECTION("from a histogram with another range") {
    HdrHistogram narrow(1, 10'000'000, 3), target;
    for (int64_t v : b) narrow.Record(v);
    target.Merge(narrow);
    CHECK(target.total_count() == narrow.total_count());
    CHECK(target.ValueAtPercentile(99) == narrow.ValueAtPercentile(99));
    CHECK(target.clamped() == narrow.clamped());
  }
}

TEST_CASE("HdrHistogram survives a ToJson/FromJson round trip", "[hdr]") {
  auto values = Draw("pareto", 20'000, 3);
  values.push_back(9'000'000'000LL);  // clamped
  HdrHistogram h = RecordAll(values);
  nlohmann::json j = h.ToJson();
  CHECK(j["lowest"] == 1);
  CHECK(j["highest"] == 3'600'000'000LL);
  CHECK(j["significant_digits"] == 3);
  CHECK(j["clamped"] == 1);
  auto back = HdrHistogram::FromJson(nlohmann::json::parse(j.dump()));
  REQUIRE(back.ok());
  CHECK(back->ToJson() == j);
  CHECK(back->FormatHgrm() == h.FormatHgrm());
  for (double p : kPercentiles) CHECK(back->ValueAtPercentile(p) == h.ValueAtPercentile(p));

  SECTION("errors name the field") {
    nlohmann::json bad = j;
    bad.erase("counts");
    auto r = HdrHistogram::FromJson(bad);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.message(), Catch::Contains("counts"));
    bad = j;
    bad["total_count"] = "many";
    r = HdrHistogram::FromJson(bad);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.message(), Catch::Contains("total_count"));
    bad = j;
    bad["total_count"] = 3;
    CHECK_FALSE(HdrHistogram::FromJson(bad).ok());
  }
}

namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Returns the percentile column of the data rows (4 fields, not starting with '#').
std::vector<std::string> TickColumn(const std::string& hgrm) {
  std::vector<std::string> ticks;
  auto lines = Lines(hgrm);
  for (size_t i = 2; i < lines.size(); ++i) {
    if (lines[i].empty() || lines[i][0] == '#') continue;
    ticks.push_back(lines[i].substr(13, 12));
  }
  return ticks;
}

}  // namespace

TEST_CASE("HdrHistogram writes the .hgrm layout of HdrHistogram_c", "[hdr][hgrm]") {
  HdrHistogram h;
  for (int64_t v = 1; v <= 10'000; ++v) h.Record(v * 100);  // 0.1 ms .. 1000 ms
  std::string text = h.FormatHgrm();
  auto lines = Lines(text);
  REQUIRE(lines.size() > 10);
  CHECK(lines[0] == "       Value   Percentile   TotalCount 1/(1-Percentile)");
  CHECK(lines[1].empty());
  std::regex row(R"( {0,11}\d+\.\d{3} {1,12}[01]\.\d{6} {1,12}\d+ {1,12}(\d+\.\d{2}|inf))");
  size_t rows = 0;
  for (size_t i = 2; i < lines.size() - 3; ++i) {
    INFO(lines[i]);
    CHECK(lines[i].size() == 51);
    CHECK(std::regex_match(lines[i], row));
    ++rows;
  }
  CHECK(lines[2] == fmt::format("{:12.3f} {:12.6f} {:12d} {:12.2f}", 0.1, 0.0, 1, 1.0));
  CHECK(lines[3] == "     100.031     0.100000         1000         1.11");
  std::string last = lines[lines.size() - 4];
  CHECK(last == "    1000.447     1.000000        10000          inf");
  CHECK(lines[lines.size() - 3] == fmt::format("#[Mean    = {:12.3f}, StdDeviation   = {:12.3f}]",
                                               h.Mean() / 1000, h.StdDev() / 1000));
  CHECK(lines[lines.size() - 2] == "#[Max     =     1000.447, Total count    =        10000]");
  CHECK(lines[lines.size() - 1] == "#[Buckets =           22, SubBuckets     =         2048]");
  // Ticks: 10% steps to 50%, 5% to 75%, 2.5% to 87.5%.
  auto ticks = TickColumn(text);
  REQUIRE(ticks.size() > 12);
  CHECK(ticks[5] == "    0.500000");
  CHECK(ticks[6] == "    0.550000");
  CHECK(ticks[10] == "    0.750000");
  CHECK(ticks[11] == "    0.775000");
  CHECK(rows == ticks.size());
}

TEST_CASE("HdrHistogram .hgrm tick layout is identical between different histograms",
          "[hdr][hgrm]") {
  HdrHistogram fast, slow;
  for (int64_t v : Draw("normal", 100'000, 11)) fast.Record(v);
  for (int64_t v : Draw("pareto", 100'000, 12)) slow.Record(v);
  auto a = TickColumn(fast.FormatHgrm()), b = TickColumn(slow.FormatHgrm());
  REQUIRE(a.size() > 40);
  REQUIRE(b.size() > 40);
  // Row i means the same percentile in both files (the plotter lines files up by row index);
  // the last row of each is 100%.
  size_t common = std::min(a.size(), b.size()) - 1;
  for (size_t i = 0; i < common; ++i) CHECK(a[i] == b[i]);
  CHECK(a.back() == "    1.000000");
  CHECK(b.back() == "    1.000000");
}
