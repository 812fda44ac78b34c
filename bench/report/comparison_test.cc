// compare's table: ratios against the baseline, differing conditions, warnings, formats.
#include "bench/report/comparison.h"

#include <catch2/catch.hpp>

#include "bench/report/comparison_writer.h"
#include "bench/report/report_fixture.h"
#include "bench/report/report_reader.h"

namespace {

fib::Report Recorded(const std::string& label, int64_t latency_us, int cores,
                     const std::string& build_type, bool e2e) {
  fib::FixtureOptions o;
  o.label = label;
  o.latencies_us.assign(100, latency_us);
  o.cores = cores;
  o.build_type = build_type;
  if (e2e) o.e2e_latencies_us.assign(100, latency_us * 10);
  auto r = fib::ParseJsonReport(fib::MakeFixtureReport(o), label + ".json");
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE("comparison ratios, rows, conditions and warnings", "[report]") {
  std::vector<fib::Report> reports = {Recorded("inline", 200000, 2, "Release", false),
                                      Recorded("background", 20000, 4, "Debug", true)};
  fib::Comparison c(reports, 0);
  CHECK(*c.Ratio(1, "p50") == Approx(0.1).epsilon(0.002));
  CHECK(*c.Ratio(1, "requests") == 1.0);
  CHECK_FALSE(c.Ratio(1, "e2e_p50").has_value());  // the baseline has none
  std::vector<std::string> rows;
  for (const auto* m : c.rows()) rows.push_back(m->name);
  CHECK(std::find(rows.begin(), rows.end(), "e2e_p99") != rows.end());
  CHECK(std::find(rows.begin(), rows.end(), "p99_99") == rows.end());  // not in the table set

  std::vector<std::string> differing;
  for (const auto& d : c.differing_conditions()) differing.push_back(d.key);
  CHECK(differing == std::vector<std::string>{"build_type", "debug_build", "cores"});
  REQUIRE(c.Warnings().size() == 1);
  CHECK_THAT(c.Warnings()[0], Catch::StartsWith("WARNING: background (background.json)"));

  std::string markdown = fib::RenderComparison(c, fib::TableFormat::kMarkdown);
  CHECK_THAT(markdown, Catch::Contains("| metric | inline (baseline) | background |"));
  CHECK_THAT(markdown, Catch::Contains("(×0.10)"));
  CHECK_THAT(markdown, Catch::Contains("- cores: inline=2, background=4"));
  CHECK_THAT(markdown, Catch::Contains("WARNING: "));

  std::string csv = fib::RenderComparison(c, fib::TableFormat::kCsv);
  CHECK_THAT(csv, Catch::StartsWith("label,file,metric,unit,value,baseline_value,ratio\n"));
  CHECK_THAT(csv, Catch::Contains("background,background.json,p50,ms,"));

  auto json = nlohmann::json::parse(fib::RenderComparison(c, fib::TableFormat::kJson));
  CHECK(json["reports"][1]["ratios"]["p50"].get<double>() == Approx(0.1).epsilon(0.002));
  CHECK(json["conditions_differ"]["cores"]["background"] == "4");
  CHECK(json["warnings"].size() == 1);

  // With the second report as baseline the ratios invert.
  fib::Comparison inverted(reports, 1);
  CHECK(*inverted.Ratio(0, "p50") == Approx(10).epsilon(0.002));
}

TEST_CASE("repeated labels are told apart by file", "[report]") {
  std::vector<fib::Report> reports = {Recorded("run", 1000, 2, "Release", false),
                                      Recorded("run", 1000, 2, "Release", false)};
  reports[1].source = "other.json";
  fib::Comparison c(reports, 0);
  CHECK(c.Heading(0) == "run (run.json)");
  CHECK(c.Heading(1) == "run (other.json)");
  CHECK(c.differing_conditions().empty());
  CHECK(c.Warnings().empty());
}

TEST_CASE("table formats parse", "[report]") {
  CHECK(*fib::ParseTableFormat("csv") == fib::TableFormat::kCsv);
  CHECK(*fib::ParseTableFormat("text") == fib::TableFormat::kText);
  auto bad = fib::ParseTableFormat("xml");
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(bad.message(), Catch::Contains("'xml'"));
}

TEST_CASE("stage rows: segments in each report's order, then the web's metrics", "[report]") {
  auto staged = [](const std::string& label, bool background) {
    fib::FixtureOptions o;
    o.label = label;
    o.latencies_us = {1000};
    nlohmann::json json = fib::MakeFixtureReport(o);
    fib::AddLessonStages(&json, background, 0);
    auto r = fib::ParseJsonReport(json, label + ".json");
    REQUIRE(r.ok());
    return *r;
  };
  std::vector<fib::Report> reports = {staged("inline", false), staged("background", true)};
  fib::Comparison c(reports, 0);
  CHECK(c.stage_rows() ==
        std::vector<std::string>{"to web", "web to enqueue", "queue wait", "pickup", "web to job",
                                 "generate recommendations", "job overhead", "smtp", "enqueue",
                                 "job", "load_user", "render"});
  REQUIRE(c.Stage(1, "queue wait") != nullptr);
  CHECK(c.Stage(0, "queue wait") == nullptr);
  CHECK(c.Stage(1, "render")->p50_ms == 20);
  // One report with stages: no stage table.
  std::vector<fib::Report> one = {staged("inline", false),
                                  Recorded("plain", 1000, 2, "Release", false)};
  CHECK(fib::Comparison(one, 0).stage_rows().empty());
}
