// IntervalSeries: per-second rows merged across threads.
#include "bench/loadgen/interval_series.h"

#include <catch2/catch.hpp>

TEST_CASE("IntervalSeries emits a row once every thread reported the second", "[series]") {
  fib::IntervalSeries series(2);
  fib::HdrHistogram a, b;
  for (int i = 1; i <= 98; ++i) a.Record(1000);
  a.Record(50'000);
  b.Record(50'000);
  series.Add(0, a, 99, 1);
  CHECK(series.Rows().empty());
  series.Add(0, b, 1, 0);
  auto rows = series.Rows();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].t_s == 1);
  CHECK(rows[0].requests == 100);
  CHECK(rows[0].rps == 100.0);
  CHECK(rows[0].p50_ms == 1.0);
  CHECK(rows[0].p99_ms == Approx(50.0).epsilon(0.001));
  CHECK(rows[0].errors == 1);
  // A last, partial second reports its rate over the part it covered.
  series.Add(1, fib::HdrHistogram(), 10, 0, 0.5);
  series.Add(1, fib::HdrHistogram(), 0, 0, 0.5);
  CHECK(series.Last().rps == 20.0);
}
