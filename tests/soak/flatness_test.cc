// Unit tests of the soak test's verdict: known samples in, flat / grew out.
#include "tests/soak/flatness.h"

#include <unistd.h>

#include <catch2/catch.hpp>

namespace fib::test {
namespace {

// (Aggregate initialisation: assigning "p" to name trips GCC 12's false -Wrestrict warning.)
ProcessSeries Series(std::vector<ProcessSample> samples) {
  return ProcessSeries{std::string("p"), 1, std::move(samples), 0, ""};
}

FlatnessLimits Limits() {
  FlatnessLimits limits;
  limits.warmup_s = 10;
  return limits;
}

TEST_CASE("warm-up growth is ignored, the baseline is the first sample after it", "[soak]") {
  // RSS doubles during warm-up, then stays within 10%: flat.
  auto f = AssessFlatness(
      Series({{0, 5000, 8}, {5, 9000, 12}, {10, 10000, 12}, {20, 10900, 12}, {30, 10500, 12}}),
      Limits());
  REQUIRE(f.judged);
  CHECK(f.baseline.rss_kb == 10000);
  CHECK(f.max_rss_kb == 10900);
  CHECK(f.end.rss_kb == 10500);
  CHECK(f.rss_limit_kb == 11000);
  CHECK(f.rss_flat);
  CHECK(f.fds_flat);
}

TEST_CASE("RSS growing past 10% after warm-up is a leak, even if it later shrinks", "[soak]") {
  auto f = AssessFlatness(Series({{10, 10000, 12}, {20, 11100, 12}, {30, 10000, 12}}), Limits());
  CHECK_FALSE(f.rss_flat);
  CHECK(f.fds_flat);
  CHECK(GrowthPercent(f.baseline.rss_kb, f.max_rss_kb) == Approx(11.0));
}

TEST_CASE("shrinking is never a failure", "[soak]") {
  auto f = AssessFlatness(Series({{10, 10000, 20}, {20, 6000, 10}}), Limits());
  CHECK(f.rss_flat);
  CHECK(f.fds_flat);
}

TEST_CASE("fds may move by 3 when few, by 10% when many", "[soak]") {
  CHECK(AssessFlatness(Series({{10, 1, 12}, {20, 1, 15}}), Limits()).fds_flat);
  CHECK_FALSE(AssessFlatness(Series({{10, 1, 12}, {20, 1, 16}}), Limits()).fds_flat);
  CHECK(AssessFlatness(Series({{10, 1, 100}, {20, 1, 110}}), Limits()).fds_flat);
  CHECK_FALSE(AssessFlatness(Series({{10, 1, 100}, {20, 1, 111}}), Limits()).fds_flat);
}

TEST_CASE("a run with no sample after the warm-up is not judged", "[soak]") {
  auto f = AssessFlatness(Series({{0, 1, 1}, {5, 1, 1}}), Limits());
  CHECK_FALSE(f.judged);
  CHECK(FlatnessTable({f}).find("no sample after warm-up") != std::string::npos);
}

TEST_CASE("the sampler reads this process's RSS and fds from /proc", "[soak]") {
  auto rss = ReadRssKb(getpid());
  auto fds = CountOpenFds(getpid());
  REQUIRE(rss.ok());
  REQUIRE(fds.ok());
  CHECK(*rss > 100);
  CHECK(*fds >= 3);  // stdin, stdout, stderr
  CHECK_FALSE(ReadRssKb(0).ok());
}

}  // namespace
}  // namespace fib::test
