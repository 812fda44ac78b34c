// Gnuplot scripts: percentile axis labels, quoting, one line per report.
#include "bench/report/gnuplot_script.h"

#include <catch2/catch.hpp>

#include "bench/report/plot_spec.h"
#include "bench/report/plotter.h"
#include "bench/report/report_fixture.h"
#include "bench/report/report_reader.h"

namespace {

fib::Report Recorded(const std::string& label, size_t n, bool e2e) {
  fib::FixtureOptions o;
  o.label = label;
  o.latencies_us = fib::FixtureLatencies(n, 1000, 5000, 1);
  if (e2e) o.e2e_latencies_us = fib::FixtureLatencies(n, 100000, 500000, 2);
  auto r = fib::ParseJsonReport(fib::MakeFixtureReport(o), label + ".json");
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE("percentile chart: log axis labelled as percentiles, a line per report", "[report]") {
  std::vector<fib::Report> reports = {Recorded("it's inline", 20000, false),
                                      Recorded("background", 500, false)};
  auto spec = fib::LatencyPercentilePlot(reports, "lesson");
  REQUIRE(spec.has_value());
  CHECK(spec->title == "lesson: response latency by percentile");
  REQUIRE(spec->series.size() == 2);
  // 20000 values reach 1/(1-p) of 10^4..10^5, so the axis ends at a power of ten above.
  CHECK(spec->x_max >= 10000);
  std::string script = fib::GnuplotScript(*spec, fib::PlotTerminal::kSvg, "/tmp/out dir/x.svg", {});
  CHECK_THAT(script, Catch::Contains("set logscale x 10"));
  CHECK_THAT(script, Catch::Contains("\"0%%\" 1, \"90%%\" 10, \"99%%\" 100, \"99.9%%\" 1000, "
                                     "\"99.99%%\" 10000"));
  CHECK_THAT(script, Catch::Contains("set ylabel 'latency (ms)'"));
  CHECK_THAT(script, Catch::Contains("title 'it''s inline (n=20000"));
  CHECK_THAT(script, Catch::Contains("set output '/tmp/out dir/x.svg'"));
  CHECK_THAT(script, Catch::Contains("set terminal svg"));
}

TEST_CASE("charts without data are not built", "[report]") {
  std::vector<fib::Report> reports = {Recorded("a", 100, false)};
  CHECK_FALSE(fib::EndToEndPlot(reports, "").has_value());
  CHECK_FALSE(fib::QueueDepthPlot(reports, "").has_value());
  CHECK(fib::LatencyOverTimePlot(reports, "").has_value());
  reports.push_back(Recorded("b", 100, true));
  auto e2e = fib::EndToEndPlot(reports, "");
  REQUIRE(e2e.has_value());
  CHECK(e2e->series.size() == 2);  // b's e2e and b's response latency
  CHECK(e2e->log_y);
}

TEST_CASE("PNG falls back to the libgd terminal when gnuplot lacks cairo", "[report]") {
  auto spec = fib::LatencyOverTimePlot({Recorded("a", 100, false)}, "");
  REQUIRE(spec.has_value());
  std::string script = fib::GnuplotScript(*spec, fib::PlotTerminal::kPng, "a.png", {});
  CHECK_THAT(script, Catch::Contains("strstrt(GPVAL_TERMINALS, ' pngcairo ')"));
  CHECK_THAT(script, Catch::Contains("set terminal png size 1000,600"));
  CHECK(fib::GnuplotQuote("a'b") == "'a''b'");
}

TEST_CASE("report text cannot become a gnuplot command", "[report][hostile]") {
  const std::string evil = "x'\nsystem('touch /tmp/fib-pwned')\nset output '/tmp/y\r`id`@m";
  std::vector<fib::Report> reports = {Recorded(evil, 200, true), Recorded("b\x1b[31m", 200, false)};
  fib::PlotOptions options;
  options.output_dir = "/tmp/plots";
  options.title = "title\nreset";
  for (bool terminal : {false, true}) {
    options.terminal = terminal;
    fib::PlotOutcome outcome;
    std::string script = fib::PlotScript(reports, options, &outcome);
    REQUIRE_FALSE(script.empty());
    fib::Status verified = fib::VerifyGnuplotScript(script);
    INFO(script);
    CHECK(verified.ok());
    CHECK_THAT(script, !Catch::Contains("\nsystem("));
    CHECK_THAT(script, Catch::Contains("title 'x'' system(''touch /tmp/fib-pwned'') set output"));
  }
  CHECK(fib::GnuplotQuote("a\nb\tc\x7f") == "'a b c '");
}

TEST_CASE("VerifyGnuplotScript names a line that is not ours", "[report][hostile]") {
  CHECK(fib::VerifyGnuplotScript("reset\n$s0 << EOD\n1 2\nsystem('x')\nEOD\nset grid\n").ok());
  fib::Status s = fib::VerifyGnuplotScript("reset\nset title 'a'\nsystem('rm -rf ~')\n");
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() ==
        "gnuplot script line 3 is not a command fibtastic-report writes: "
        "system('rm -rf ~')");
  CHECK_FALSE(fib::VerifyGnuplotScript("set title 'open\n").ok());
  CHECK_FALSE(fib::VerifyGnuplotScript("set title 'a' . system('id')\n").ok());
  CHECK_FALSE(fib::VerifyGnuplotScript("set title `id`\n").ok());
  CHECK_FALSE(fib::VerifyGnuplotScript("$s0 << EOD\n1\n").ok());
}
