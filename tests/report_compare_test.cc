// fibtastic-report compare, run as a real program on reports generated from known latencies:
// ratios in the table, exit 1 on a breached --fail-if, 0 when it holds, 2 on bad input.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "bench/report/report_fixture.h"
#include "tests/support/subprocess.h"

namespace {

using fib::test::BinPath;
using fib::test::RunCommand;

struct Fixtures {
  std::string dir = fib::MakeTempDir("fib-report-compare");
  std::string baseline = dir + "/inline.json";
  std::string slower = dir + "/background.json";
  Fixtures() {
    REQUIRE_FALSE(dir.empty());
    fib::FixtureOptions a;
    a.label = "inline";
    a.latencies_us.assign(1000, 100000);  // every request 100 ms
    a.offered_rps = 100;
    fib::FixtureOptions b = a;
    b.label = "background";
    b.latencies_us.assign(1000, 150000);  // every request 150 ms: p99 ×1.50
    b.errors = 4;
    b.cores = 4;
    REQUIRE(fib::WriteJsonFile(baseline, fib::MakeFixtureReport(a)));
    REQUIRE(fib::WriteJsonFile(slower, fib::MakeFixtureReport(b)));
  }
  ~Fixtures() { std::filesystem::remove_all(dir); }
};

int Compare(std::vector<std::string> args, std::string* out) {
  args.insert(args.begin(), {BinPath("fibtastic-report"), "compare"});
  return RunCommand(args, out);
}

// Returns a report of two requests with the lesson's background stages.
nlohmann::json StagedReport(const std::string& label) {
  fib::FixtureOptions o;
  o.label = label;
  o.latencies_us = {24000, 25000};
  nlohmann::json report = fib::MakeFixtureReport(o);
  fib::AddLessonStages(&report, true, 0);
  return report;
}

}  // namespace

TEST_CASE("compare prints the table with ratios against the baseline", "[report]") {
  Fixtures f;
  std::string out;
  REQUIRE(Compare({f.baseline, f.slower}, &out) == 0);
  INFO(out);
  CHECK_THAT(out, Catch::Contains("| metric | inline (baseline) | background |"));
  // p99 of 100 ms vs 150 ms (HdrHistogram bucket upper bounds, 3 significant digits).
  CHECK_THAT(out, Catch::Contains("| latency p99 (ms) | 100.0 | 150.0 (×1.50) |"));
  CHECK_THAT(out, Catch::Contains("| errors | 0 | 4 |"));
  CHECK_THAT(out, Catch::Contains("- cores: inline=2, background=4"));
  CHECK_THAT(out, !Catch::Contains("WARNING"));

  REQUIRE(Compare({"--baseline", "2", "--format", "text", f.baseline, f.slower}, &out) == 0);
  CHECK_THAT(out, Catch::Contains("100.0 (×0.67)"));
  CHECK_THAT(out, Catch::Contains("background (baseline)"));
}

TEST_CASE("compare --fail-if exits 1 on a breach and 0 when thresholds hold", "[report]") {
  Fixtures f;
  std::string out;
  CHECK(Compare({"--fail-if", "p99>+10%", f.baseline, f.slower}, &out) == 1);
  CHECK_THAT(out, Catch::Contains("FAIL p99>+10%: background (" + f.slower +
                                  ") p99 = 150.0 ms, "
                                  "+50.0% vs baseline inline"));
  CHECK(Compare({"--fail-if", "errors>0", f.baseline, f.slower}, &out) == 1);
  CHECK_THAT(out, Catch::Contains("errors = 4"));
  CHECK(Compare({"--fail-if", "p50>120ms", f.baseline, f.slower}, &out) == 1);

  CHECK(Compare({"--fail-if", "p99>+60%", "--fail-if", "p50>200ms", "--fail-if", "rps<-5%",
                 f.baseline, f.slower},
                &out) == 0);
  CHECK_THAT(out, Catch::Contains("0 threshold breach(es) in 4 check(s)"));
}

TEST_CASE("compare exits 2 on a malformed expression or a non-report file", "[report]") {
  Fixtures f;
  std::string out;
  CHECK(Compare({"--fail-if", "p99>>10%", f.baseline, f.slower}, &out) == 2);
  CHECK_THAT(out, Catch::Contains("--fail-if 'p99>>10%'"));
  CHECK(Compare({"--fail-if", "latency>1", f.baseline}, &out) == 2);
  CHECK_THAT(out, Catch::Contains("unknown metric 'latency'"));

  std::string not_report = f.dir + "/A.json";
  std::ofstream(not_report) << R"({"hello": "world"})";
  CHECK(Compare({f.baseline, not_report}, &out) == 2);
  CHECK_THAT(out, Catch::Contains(not_report + ": not a fibtastic-loadgen report (no \"schema\")"));

  std::string newer = f.dir + "/B.json";
  std::ofstream(newer) << R"({"schema": 2, "summary": {}})";
  CHECK(Compare({f.baseline, newer}, &out) == 2);
  CHECK_THAT(out, Catch::Contains(newer + ": schema 2 is newer than this tool understands (1)"));

  CHECK(Compare({f.baseline, f.dir + "/missing.json"}, &out) == 2);
  CHECK(Compare({}, &out) == 2);
  CHECK(Compare({"--format", "xml", f.baseline}, &out) == 2);
  CHECK(Compare({"--baseline", "3", f.baseline, f.slower}, &out) == 2);
}

TEST_CASE("compare warns about debug builds and --help documents the grammar", "[report]") {
  Fixtures f;
  fib::FixtureOptions debug;
  debug.label = "debug";
  debug.latencies_us.assign(10, 1000);
  debug.build_type = "Debug";
  std::string debug_path = f.dir + "/debug.json";
  REQUIRE(fib::WriteJsonFile(debug_path, fib::MakeFixtureReport(debug)));
  std::string out;
  REQUIRE(Compare({f.baseline, debug_path}, &out) == 0);
  CHECK_THAT(out, Catch::Contains("WARNING: debug (" + debug_path + ") is from a debug build"));

  REQUIRE(Compare({"--help"}, &out) == 0);
  CHECK_THAT(out, Catch::Contains("--fail-if EXPR"));
  CHECK_THAT(out, Catch::Contains("LIMIT  := [+|-]NUMBER%"));
  CHECK_THAT(out, Catch::Contains("--format text|markdown|csv|json"));
  CHECK_THAT(out, Catch::Contains("(default: 'markdown')"));
}

TEST_CASE("compare shows stage rows with p50 / p99 and the delta when both reports have stages",
          "[report]") {
  Fixtures f;
  nlohmann::json a = StagedReport("calm");
  nlohmann::json b = StagedReport("busy");
  b["summary"]["stages_ms"]["queue wait"] = {{"p50", 51.0}, {"p99", 120.0}};
  std::string calm = f.dir + "/calm.json", busy = f.dir + "/busy.json";
  REQUIRE(fib::WriteJsonFile(calm, a));
  REQUIRE(fib::WriteJsonFile(busy, b));
  std::string out;
  REQUIRE(Compare({calm, busy}, &out) == 0);
  INFO(out);
  CHECK_THAT(out, Catch::Contains("| stage: p50 / p99 (ms) | calm (baseline) | busy |"));
  CHECK_THAT(out,
             Catch::Contains("| queue wait | 1.000 / 1.100 | 51.00 / 120.0 (Δ +50.0 / +118.9) |"));
  CHECK_THAT(out,
             Catch::Contains(
                 "| generate recommendations | 100.0 / 110.0 | 100.0 / 110.0 (Δ +0.0 / +0.0) |"));
  CHECK_THAT(out, Catch::Contains("| render | 20.00 / 22.00 |"));
  REQUIRE(Compare({"--format", "csv", calm, busy}, &out) == 0);
  CHECK_THAT(out, Catch::Contains("busy," + busy + ",stage:queue wait:p50,ms,51,1,51"));
  REQUIRE(Compare({"--format", "json", calm, busy}, &out) == 0);
  CHECK(nlohmann::json::parse(out)["reports"][1]["stages"]["queue wait"]["p99_ms"] == 120.0);
  // Without stages on both sides there is no stage table.
  REQUIRE(Compare({f.baseline, busy}, &out) == 0);
  CHECK_THAT(out, !Catch::Contains("stage: p50 / p99"));
}

TEST_CASE("compare refuses a report whose stage names are too long or hold control characters",
          "[report][hostile]") {
  Fixtures f;
  nlohmann::json r = StagedReport("evil");
  r["summary"]["stages_ms"]["queue\nwait"] = {{"p50", 1.0}};
  std::string path = f.dir + "/evil.json";
  REQUIRE(fib::WriteJsonFile(path, r));
  std::string out;
  CHECK(Compare({f.baseline, path}, &out) == 2);
  CHECK_THAT(out, Catch::Contains("summary.stages_ms: stage name \"queue\\nwait\" has a control "
                                  "character (byte 10 at offset 5)"));
  r["summary"]["stages_ms"].erase("queue\nwait");
  r["summary"]["stage_order"].push_back(std::string(81, 'x'));
  REQUIRE(fib::WriteJsonFile(path, r));
  CHECK(Compare({f.baseline, path}, &out) == 2);
  CHECK_THAT(out, Catch::Contains("a stage name must be 1 to 80 bytes, got 81"));
  r["summary"]["stage_order"].erase(r["summary"]["stage_order"].size() - 1);
  r["summary"]["stages_ms"]["smtp"]["p99"] = "slow";
  REQUIRE(fib::WriteJsonFile(path, r));
  CHECK(Compare({f.baseline, path}, &out) == 2);
  CHECK_THAT(out, Catch::Contains("summary.stages_ms.p99 must be a time from 0 to 1e9 ms"));
}

namespace {

// Writes one report per latency (every request of a run takes that long) into f.dir; returns
// the paths.
std::vector<std::string> Runs(const Fixtures& f, const std::string& label,
                              const std::vector<double>& ms) {
  std::vector<std::string> paths;
  for (size_t i = 0; i < ms.size(); ++i) {
    fib::FixtureOptions o;
    o.label = label;
    o.latencies_us.assign(200, static_cast<int64_t>(ms[i] * 1000));
    paths.push_back(f.dir + "/" + label + "-" + std::to_string(i + 1) + ".json");
    REQUIRE(fib::WriteJsonFile(paths.back(), fib::MakeFixtureReport(o)));
  }
  return paths;
}

// Returns {options..., a..., "vs", b...}.
std::vector<std::string> Sides(std::vector<std::string> options, const std::vector<std::string>& a,
                               const std::vector<std::string>& b) {
  options.insert(options.end(), a.begin(), a.end());
  options.push_back("vs");
  options.insert(options.end(), b.begin(), b.end());
  return options;
}

}  // namespace

TEST_CASE("compare with several runs per side shows medians with intervals and ratios of medians",
          "[report]") {
  Fixtures f;
  auto base = Runs(f, "inline", {100, 101, 99});
  auto slow = Runs(f, "background", {150, 148, 152});
  std::string out;
  REQUIRE(Compare(Sides({}, base, slow), &out) == 0);
  INFO(out);
  CHECK_THAT(out, Catch::Contains("brackets (2000 resamples, seed 1)"));
  CHECK_THAT(out,
             Catch::Contains(
                 "| metric: median [95% CI] | inline (3 runs, baseline) | background (3 runs) |"));
  CHECK_THAT(out, Catch::Contains("| latency p99 (ms) | 100.0 [99.0"));
  CHECK_THAT(out, Catch::Contains(" ×1.50 [1.4"));

  std::string again;
  REQUIRE(Compare(Sides({}, base, slow), &again) == 0);
  CHECK(again == out);  // seeded: the same intervals every time

  REQUIRE(Compare(Sides({"--format", "json"}, base, slow), &out) == 0);
  nlohmann::json j = nlohmann::json::parse(out);
  CHECK(j["groups"][0]["metrics"]["p99"]["runs"].size() == 3);
  CHECK(j["groups"][1]["ratios"]["p99"]["ratio"].get<double>() == Approx(1.5).epsilon(0.003));
  CHECK(j["groups"][1]["ratios"]["p99"]["ci95_low"].get<double>() > 1.4);
  CHECK(j["bootstrap"]["resamples"] == 2000);
  REQUIRE(Compare(Sides({"--format", "csv", "--resamples", "5000", "--seed", "7"}, base, slow),
                  &out) == 0);
  CHECK_THAT(out, Catch::StartsWith("label,runs,metric,unit,median,ci95_low,ci95_high,"));
  CHECK_THAT(out, Catch::Contains("\nbackground,3,p99,ms,"));
}

TEST_CASE(
    "compare --fail-if with several runs per side fails only when the interval is beyond "
    "the limit",
    "[report]") {
  Fixtures f;
  auto base = Runs(f, "base", {100, 101, 99, 100, 100});
  auto slow = Runs(f, "slow", {150, 148, 152, 149, 151});
  auto noisy = Runs(f, "noisy", {100, 112, 115, 95, 120});  // median +12%, one run faster
  std::string out;
  CHECK(Compare(Sides({"--fail-if", "p99>+10%"}, base, slow), &out) == 1);
  CHECK_THAT(out, Catch::Contains("FAIL p99>+10%: slow (5 runs) p99 median 150.0 ms, +50.0% "
                                  "[95% CI +"));
  CHECK(Compare(Sides({"--fail-if", "p99>+10%"}, base, noisy), &out) == 0);
  CHECK_THAT(out, Catch::Contains("reaches back across it: not flagged"));
  CHECK_THAT(out, Catch::Contains("0 threshold breach(es) in 1 check(s)"));
  // The same figures one run per side (the first of each) are judged as before: +0%.
  CHECK(Compare({"--fail-if", "p99>+10%", base[0], "vs", noisy[0]}, &out) == 0);
  // A/A: five runs a side, every run's latencies drawn afresh from one distribution (20-30 ms
  // with a 10x tail), are not flagged; the same draws 30% slower are.
  auto draws = [&f](const std::string& label, uint32_t first_seed, double scale) {
    std::vector<std::string> paths;
    for (uint32_t i = 0; i < 5; ++i) {
      fib::FixtureOptions o;
      o.label = label;
      for (int64_t us : fib::FixtureLatencies(500, 20000, 30000, first_seed + i)) {
        o.latencies_us.push_back(static_cast<int64_t>(static_cast<double>(us) * scale));
      }
      paths.push_back(f.dir + "/" + label + "-draw-" + std::to_string(i) + ".json");
      REQUIRE(fib::WriteJsonFile(paths.back(), fib::MakeFixtureReport(o)));
    }
    return paths;
  };
  auto a = draws("A", 1, 1), a_again = draws("A2", 101, 1), b = draws("B", 101, 1.3);
  CHECK(Compare(Sides({"--fail-if", "p99>+10%", "--fail-if", "p50>+10%"}, a, a_again), &out) == 0);
  CHECK_THAT(out, Catch::Contains("0 threshold breach(es) in 2 check(s)"));
  CHECK(Compare(Sides({"--fail-if", "p99>+10%", "--fail-if", "p50>+10%"}, a, b), &out) == 1);
  CHECK_THAT(out, Catch::Contains("2 threshold breach(es) in 2 check(s)"));
}

TEST_CASE("compare with one run per side is today's compare; a bad 'vs' is a usage error",
          "[report]") {
  Fixtures f;
  std::string plain, separated;
  REQUIRE(Compare({f.baseline, f.slower}, &plain) == 0);
  REQUIRE(Compare({f.baseline, "vs", f.slower}, &separated) == 0);
  CHECK(separated == plain);
  std::string out;
  CHECK(Compare({"vs", f.slower}, &out) == 2);
  CHECK_THAT(out, Catch::Contains("'vs' needs report files on both sides"));
  CHECK(Compare({f.baseline, "vs"}, &out) == 2);
  CHECK(Compare({f.baseline, "vs", "vs", f.slower}, &out) == 2);
  CHECK(Compare({"--baseline", "3", f.baseline, f.baseline, "vs", f.slower}, &out) == 2);
  CHECK_THAT(out, Catch::Contains("number of sides (2)"));
  CHECK(Compare({"--resamples", "100", f.baseline, f.baseline, "vs", f.slower, f.slower}, &out) ==
        2);
  CHECK_THAT(out, Catch::Contains("--resamples 100 is not between 2000 and 1000000"));
  REQUIRE(Compare({"--help"}, &out) == 0);
  CHECK_THAT(out, Catch::Contains("A1.json A2.json ... vs B1.json"));
  CHECK_THAT(out, Catch::Contains("--resamples N"));
  CHECK_THAT(out, Catch::Contains("--seed N"));
}
