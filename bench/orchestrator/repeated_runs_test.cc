// Repeated runs: file labels, the median and interval fields summary.json gets, how a table
// shows a figure with its interval, and the compare arguments of two variants' runs.
#include "bench/orchestrator/repeated_runs.h"

#include <catch2/catch.hpp>
#include <cmath>

namespace {

fib::bench::VariantRuns Background(const std::vector<double>& p50s) {
  fib::bench::VariantRuns v;
  v.name = "background";
  for (size_t i = 0; i < p50s.size(); ++i) {
    v.reports.push_back("background-" + std::to_string(i + 1) + ".json");
    v.runs.push_back({{"p50_ms", p50s[i]}, {"p99_ms", p50s[i] * 2}, {"enqueue_p50_ms", NAN}});
  }
  return v;
}

}  // namespace

TEST_CASE("Repeated runs keep one run's file names and number the others", "[orchestrator]") {
  CHECK(fib::bench::RunLabel("lesson", "inline", 0, 1) == "lesson-inline");
  CHECK(fib::bench::RunLabel("lesson", "inline", 0, 3) == "lesson-inline-1");
  CHECK(fib::bench::RunLabel("lesson-aa", "A2", 2, 3) == "lesson-aa-A2-3");
}

TEST_CASE("Repeated runs: the median is the headline figure, its interval beside it",
          "[orchestrator]") {
  fib::bench::VariantRuns v = Background({26.6, 24.0, 26.1});
  CHECK(v.Median("p50_ms") == 26.1);
  CHECK(v.Representative() == 2);
  nlohmann::json figures = {{"p50_ms", 99.0}, {"errors", 0}};
  fib::bench::AddIntervals(v, &figures);
  CHECK(figures["p50_ms"] == 26.1);
  CHECK(figures["runs"] == 3);
  CHECK(figures["p50_ms_runs"] == nlohmann::json({26.6, 24.0, 26.1}));
  CHECK(figures["p50_ms_ci95_low"].get<double>() >= 24.0);
  CHECK(figures["p50_ms_ci95_high"].get<double>() <= 26.6);
  CHECK_FALSE(figures.contains("enqueue_p50_ms"));  // no run measured it
  CHECK(fib::bench::FigureWithInterval(figures, "p50_ms").rfind("26.1 [2", 0) == 0);
  CHECK(fib::bench::FigureWithInterval({{"p50_ms", 26.1}}, "p50_ms") == "26.1");  // one run

  nlohmann::json two;
  fib::bench::AddIntervals(Background({24.0, 26.0}), &two);
  CHECK(two["p50_ms_ci95_low"].is_null());
  CHECK(fib::bench::FigureWithInterval(two, "p50_ms") == "25.0 [no interval: 2 runs]");
}

TEST_CASE("Repeated runs compare as two sides of several runs", "[orchestrator]") {
  fib::bench::VariantRuns a = Background({1, 2, 3}), b = Background({4, 5, 6});
  a.name = "A";
  b.name = "A2";
  auto args = fib::bench::CompareArgs(a, b, {"--format", "markdown"});
  CHECK(args == std::vector<std::string>{
                    "compare", "--label", "A", "--label", "A2", "background-1.json",
                    "background-2.json", "background-3.json", "vs", "background-1.json",
                    "background-2.json", "background-3.json", "--format", "markdown"});
  std::string table = fib::bench::IntervalTable(a, b);
  CHECK_THAT(table, Catch::Contains("| median [95% CI] | A | A2 |"));
  CHECK_THAT(table, Catch::Contains("| response p50 (ms) | 2.00 [") &&
                        Catch::Contains("(runs: 1.00, 2.00, 3.00)"));
  CHECK_THAT(table, !Catch::Contains("enqueue"));
}
