// fibtastic-report plot, run as a real program with the real gnuplot: PNG and SVG files for
// each chart that has data, ASCII charts with --terminal, .hgrm input, and a clear error
// naming gnuplot-nox when gnuplot is missing.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "bench/histogram/hdr_histogram.h"
#include "bench/report/report_fixture.h"
#include "tests/support/subprocess.h"

namespace {

namespace fs = std::filesystem;
using fib::test::BinPath;
using fib::test::RunCommand;

std::string Head(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::string head(n, '\0');
  in.read(head.data(), static_cast<std::streamsize>(n));
  head.resize(static_cast<size_t>(in.gcount()));
  return head;
}

struct Fixtures {
  std::string dir = fib::MakeTempDir("fib-report-plot");
  std::string inline_path = dir + "/inline.json";
  std::string background_path = dir + "/background.json";
  Fixtures() {
    REQUIRE_FALSE(dir.empty());
    fib::FixtureOptions a;
    a.label = "inline";
    a.latencies_us = fib::FixtureLatencies(2400, 200000, 260000, 1);
    a.duration_s = 30;
    fib::FixtureOptions b;
    b.label = "background";
    b.latencies_us = fib::FixtureLatencies(2400, 20000, 30000, 2);
    b.e2e_latencies_us = fib::FixtureLatencies(2400, 300000, 3000000, 3);
    b.duration_s = 30;
    b.with_redis_samples = true;
    REQUIRE(fib::WriteJsonFile(inline_path, fib::MakeFixtureReport(a)));
    REQUIRE(fib::WriteJsonFile(background_path, fib::MakeFixtureReport(b)));
  }
  ~Fixtures() { fs::remove_all(dir); }
};

// Returns a report of 400 requests (and emails) with the lesson's stages, each 0.4 ms slower.
nlohmann::json StagedReport(const std::string& label, bool background, int64_t response_us,
                            int64_t e2e_us) {
  fib::FixtureOptions o;
  o.label = label;
  o.latencies_us = fib::FixtureLatencies(400, response_us, response_us * 11 / 10, 5);
  if (e2e_us) o.e2e_latencies_us = fib::FixtureLatencies(400, e2e_us, e2e_us * 11 / 10, 6);
  nlohmann::json report = fib::MakeFixtureReport(o);
  fib::AddLessonStages(&report, background, 0.4);
  return report;
}

}  // namespace

TEST_CASE("plot writes PNG and SVG files for every chart with data", "[report]") {
  Fixtures f;
  std::string out_dir = f.dir + "/plots";
  std::string out;
  REQUIRE(RunCommand({BinPath("fibtastic-report"), "plot", "--title", "lesson", "-o", out_dir,
                      f.inline_path, f.background_path},
                     &out) == 0);
  INFO(out);
  for (const char* chart :
       {"latency_percentiles", "latency_over_time", "e2e_latency", "queue_depth"}) {
    std::string png = out_dir + "/" + chart + ".png", svg = out_dir + "/" + chart + ".svg";
    INFO(chart);
    REQUIRE(fs::exists(png));
    REQUIRE(fs::exists(svg));
    CHECK(fs::file_size(png) > 1000);
    CHECK(Head(png, 8) == "\x89PNG\r\n\x1a\n");
    std::string svg_head = Head(svg, 200);
    CHECK((svg_head.rfind("<?xml", 0) == 0 || svg_head.rfind("<svg", 0) == 0));
  }
  // The SVG carries the labels and the percentile tick labels as text.
  std::ifstream svg(out_dir + "/latency_percentiles.svg");
  std::string text((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, Catch::Contains("inline (n=2400"));
  CHECK_THAT(text, Catch::Contains("background (n=2400"));
  CHECK_THAT(text, Catch::Contains("99.9%"));
  CHECK_THAT(text, Catch::Contains("lesson: response latency by percentile"));
}

TEST_CASE("plot skips charts no input has data for, and says so", "[report]") {
  Fixtures f;
  std::string out_dir = f.dir + "/only-inline";
  std::string out;
  REQUIRE(RunCommand({BinPath("fibtastic-report"), "plot", "-o", out_dir, f.inline_path}, &out) ==
          0);
  CHECK(fs::exists(out_dir + "/latency_percentiles.png"));
  CHECK_FALSE(fs::exists(out_dir + "/e2e_latency.png"));
  CHECK_FALSE(fs::exists(out_dir + "/queue_depth.svg"));
  CHECK_THAT(out, Catch::Contains("e2e_latency: skipped"));
  CHECK_THAT(out, Catch::Contains("queue_depth: skipped"));
}

TEST_CASE("plot --terminal draws ASCII charts with the labels on stdout", "[report]") {
  Fixtures f;
  std::string out;
  REQUIRE(RunCommand(
              {BinPath("fibtastic-report"), "plot", "--terminal", f.inline_path, f.background_path},
              &out, 60000, {{"COLUMNS", "120"}}) == 0);
  CHECK_THAT(out, Catch::Contains("inline (n=2400"));
  CHECK_THAT(out, Catch::Contains("background (n=2400"));
  CHECK_THAT(out, Catch::Contains("99.9%"));
  CHECK_THAT(out, Catch::Contains("background queue depth"));
  // 120 columns wide, as $COLUMNS asked: some line of the drawing is exactly that long.
  bool wide = false;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) wide = wide || line.size() == 120;
  CHECK(wide);
}

TEST_CASE("plot reads .hgrm files next to JSON reports", "[report]") {
  Fixtures f;
  fib::HdrHistogram h;
  for (int64_t v : fib::FixtureLatencies(5000, 3000, 9000, 4)) h.Record(v);
  std::string hgrm = f.dir + "/wrk2.hgrm";
  std::ofstream(hgrm) << "  Detailed Percentile spectrum:\n" << h.FormatHgrm(1000.0, 5);
  std::string out;
  REQUIRE(
      RunCommand({BinPath("fibtastic-report"), "plot", "--terminal", f.inline_path, "--hgrm", hgrm},
                 &out) == 0);
  CHECK_THAT(out, Catch::Contains("wrk2 (n=5000"));
}

TEST_CASE("plot without gnuplot names the package to install and exits 1", "[report]") {
  Fixtures f;
  std::string out;
  CHECK(RunCommand({BinPath("fibtastic-report"), "plot", "-o", f.dir + "/x", f.inline_path}, &out,
                   60000, {{"PATH", f.dir}}) == 1);
  CHECK_THAT(out, Catch::Contains("gnuplot-nox"));
  CHECK(RunCommand({BinPath("fibtastic-report"), "plot", f.inline_path}, &out) == 2);
  CHECK_THAT(out, Catch::Contains("-o DIR is required"));
}

TEST_CASE("report text reaches gnuplot as data: a label cannot run a command",
          "[report][hostile]") {
  Fixtures f;
  std::string marker = f.dir + "/pwned";
  std::string evil = "x'\nsystem('touch " + marker + "')\nprint '";
  fib::FixtureOptions o;
  o.label = evil;  // the report's own label ...
  o.latencies_us = fib::FixtureLatencies(200, 20000, 30000, 4);
  std::string evil_path = f.dir + "/evil.json";
  REQUIRE(fib::WriteJsonFile(evil_path, fib::MakeFixtureReport(o)));
  std::string out;
  // ... and one given with --label, on both the file and the terminal paths.
  CHECK(RunCommand({BinPath("fibtastic-report"), "plot", "-o", f.dir + "/plots", "--title", evil,
                    "--label", evil, evil_path},
                   &out) == 0);
  CHECK(RunCommand({BinPath("fibtastic-report"), "plot", "--terminal", evil_path}, &out) == 0);
  INFO(out);
  CHECK_FALSE(fs::exists(marker));
}

TEST_CASE("plot draws a waterfall for each report with stages, the lesson's figures beside it",
          "[report]") {
  Fixtures f;
  nlohmann::json inline_report = StagedReport("inline", false, 220000, 200000);
  nlohmann::json background = StagedReport("background", true, 24000, 205000);
  std::string a = f.dir + "/stages-inline.json", b = f.dir + "/stages-background.json";
  REQUIRE(fib::WriteJsonFile(a, inline_report));
  REQUIRE(fib::WriteJsonFile(b, background));
  std::string out_dir = f.dir + "/waterfall", out;
  // The first input has no stages: its waterfall is not drawn, the others keep their numbers.
  REQUIRE(RunCommand({BinPath("fibtastic-report"), "plot", "-o", out_dir, f.inline_path, a, b},
                     &out) == 0);
  INFO(out);
  CHECK_FALSE(fs::exists(out_dir + "/waterfall_1.png"));
  for (const char* stem : {"waterfall_2", "waterfall_3"}) {
    REQUIRE(fs::exists(out_dir + "/" + std::string(stem) + ".png"));
    CHECK(Head(out_dir + "/" + stem + ".png", 8) == "\x89PNG\r\n\x1a\n");
  }
  std::ifstream svg(out_dir + "/waterfall_3.svg");
  std::string text((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
  for (const char* label :
       {"queue wait", "generate recommendations", "render (web)", "response sent", "email arrives",
        "100.4 ms", "100 ms (lesson)", "background: where the time goes"}) {
    CHECK_THAT(text, Catch::Contains(label));
  }
  REQUIRE(RunCommand({BinPath("fibtastic-report"), "plot", "-o", f.dir + "/none", f.inline_path},
                     &out) == 0);
  CHECK_THAT(out, Catch::Contains("waterfall: skipped, no report has stages"));
}

TEST_CASE("stage names reach gnuplot as data: quotes and % are drawn, control characters refused",
          "[report][hostile]") {
  Fixtures f;
  std::string marker = f.dir + "/pwned";
  nlohmann::json r = StagedReport("odd", true, 24000, 0);
  std::string odd = "it's 100% %s `touch " + marker + "` @x";
  r["summary"]["stages_ms"][odd] = {{"p50", 5.0}, {"p99", 6.0}};
  std::string path = f.dir + "/odd.json";
  REQUIRE(fib::WriteJsonFile(path, r));
  std::string out;
  REQUIRE(RunCommand({BinPath("fibtastic-report"), "plot", "-o", f.dir + "/odd", path}, &out) == 0);
  std::ifstream svg(f.dir + "/odd/waterfall_1.svg");
  std::string text((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, Catch::Contains("it&apos;s 100% %s") || Catch::Contains("it's 100% %s"));
  CHECK_FALSE(fs::exists(marker));

  r["summary"]["stages_ms"][std::string("x\nsystem('touch ") + marker + "')"] = {{"p50", 1.0}};
  REQUIRE(fib::WriteJsonFile(path, r));
  CHECK(RunCommand({BinPath("fibtastic-report"), "plot", "-o", f.dir + "/odd2", path}, &out) == 2);
  CHECK_THAT(out, Catch::Contains("has a control character"));
  CHECK_FALSE(fs::exists(marker));
}
