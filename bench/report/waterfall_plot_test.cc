// The waterfall: rows laid end to end from the request's send, the lesson's figures beside the
// lesson's stages only, and stage names that reach gnuplot as quoted data.
#include "bench/report/waterfall_plot.h"

#include <catch2/catch.hpp>

#include "bench/report/report_fixture.h"
#include "bench/report/report_reader.h"

namespace {

fib::Report Staged(bool background, const std::string& extra_stage = "") {
  fib::FixtureOptions o;
  o.label = background ? "background" : "inline";
  o.latencies_us = {24000, 25000};
  o.e2e_latencies_us = {205000, 206000};
  nlohmann::json json = fib::MakeFixtureReport(o);
  fib::AddLessonStages(&json, background, 0);
  if (!extra_stage.empty()) json["summary"]["stages_ms"][extra_stage] = {{"p50", 2.0}};
  auto r = fib::ParseJsonReport(json, "r.json");
  REQUIRE(r.ok());
  return *r;
}

const fib::WaterfallRow& Row(const fib::WaterfallSpec& spec, const std::string& label) {
  for (const auto& row : spec.rows) {
    if (row.label == label) return row;
  }
  FAIL("no row " << label);
  return spec.rows[0];
}

}  // namespace

TEST_CASE("waterfall rows start where the stages before them end, with the lesson's beside",
          "[report]") {
  auto spec = fib::WaterfallFor(Staged(true), 1, "lesson");
  REQUIRE(spec.has_value());
  CHECK(spec->file_stem == "waterfall_2");
  CHECK(spec->rows.front().label == "to web");
  CHECK(spec->rows.back().label == "email arrives");
  // to web 0.2 + web to enqueue 4 + queue wait 1 + pickup 0.1 = 5.3 ms before the job runs.
  CHECK(Row(*spec, "generate recommendations").start_ms == Approx(5.3));
  CHECK(Row(*spec, "generate recommendations").lesson_start_ms == Approx(5));
  CHECK(Row(*spec, "render (web)").start_ms == Approx(0.2 + 3 + 0.3));  // after load_user, enqueue
  CHECK(Row(*spec, "response sent").lesson_ms == 24);
  CHECK(Row(*spec, "email arrives").lesson_ms == 205);
  CHECK(std::isnan(Row(*spec, "pickup").lesson_ms) == false);
  auto inline_spec = fib::WaterfallFor(Staged(false), 0, "");
  REQUIRE(inline_spec.has_value());
  CHECK(Row(*inline_spec, "response sent").lesson_ms == 223);
  CHECK(Row(*inline_spec, "email arrives").lesson_ms == 203);
}

TEST_CASE("waterfall script quotes stage names and holds only our commands", "[report][hostile]") {
  auto spec = fib::WaterfallFor(Staged(true, "it's 100% `x` @y system"), 0, "");
  REQUIRE(spec.has_value());
  for (auto terminal :
       {fib::PlotTerminal::kPng, fib::PlotTerminal::kSvg, fib::PlotTerminal::kDumb}) {
    std::string script = fib::WaterfallScript(*spec, terminal, "/tmp/x.png", {});
    INFO(script);
    CHECK(fib::VerifyGnuplotScript(script).ok());
    CHECK(script.find("'it''s 100%% `x` @y system' ") != std::string::npos);
  }
}

TEST_CASE("a report without stages has no waterfall, and another profile gets no lesson figures",
          "[report]") {
  fib::FixtureOptions o;
  o.latencies_us = {1000};
  auto plain = fib::ParseJsonReport(fib::MakeFixtureReport(o), "plain.json");
  REQUIRE(plain.ok());
  CHECK_FALSE(fib::WaterfallFor(*plain, 0, "").has_value());
  nlohmann::json json = fib::MakeFixtureReport(o);
  json["summary"]["stages_ms"] = {{"resize", {{"p50", 40.0}, {"p99", 50.0}}}};
  auto other = fib::ParseJsonReport(json, "thumbnail.json");
  REQUIRE(other.ok());
  auto spec = fib::WaterfallFor(*other, 0, "");
  REQUIRE(spec.has_value());
  CHECK(std::isnan(Row(*spec, "resize").lesson_ms));
  CHECK(fib::WaterfallScript(*spec, fib::PlotTerminal::kSvg, "", {}).find("lesson") ==
        std::string::npos);
}
