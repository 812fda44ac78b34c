// Reading reports: schema checks with messages naming the file, summary fallback, .hgrm files.
#include "bench/report/report_reader.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "bench/report/hgrm_parser.h"
#include "bench/report/report_fixture.h"

namespace {

using nlohmann::json;

std::string ErrorOf(const json& j, const std::string& name) {
  auto r = fib::ParseJsonReport(j, name);
  REQUIRE_FALSE(r.ok());
  return r.message();
}

json Fixture() {
  fib::FixtureOptions o;
  o.label = "inline";
  o.latencies_us = fib::FixtureLatencies(500, 20000, 30000, 5);
  return fib::MakeFixtureReport(o);
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("fib-report-reader-" + std::to_string(getpid()) + "-" + name))
      .string();
}

}  // namespace

TEST_CASE("reader names the file and the problem", "[report]") {
  CHECK(ErrorOf(json{{"hello", "world"}}, "A.json") ==
        "A.json: not a fibtastic-loadgen report (no \"schema\")");
  json newer = Fixture();
  newer["schema"] = 2;
  CHECK_THAT(ErrorOf(newer, "B.json"),
             Catch::StartsWith("B.json: schema 2 is newer than this tool understands (1)"));
  CHECK_THAT(ErrorOf(json::array(), "C.json"), Catch::Contains("not a JSON object"));
  json no_summary = Fixture();
  no_summary.erase("summary");
  CHECK_THAT(ErrorOf(no_summary, "D.json"), Catch::StartsWith("D.json: no \"summary\""));
  json bad_histogram = Fixture();
  bad_histogram["histograms"]["latency"].erase("counts");
  CHECK_THAT(ErrorOf(bad_histogram, "E.json"), Catch::StartsWith("E.json: histograms.latency: "));
  json bad_number = Fixture();
  bad_number["summary"]["requests"] = "many";
  CHECK_THAT(ErrorOf(bad_number, "F.json"),
             Catch::Contains("summary.requests must be a number, got \"many\""));
}

TEST_CASE("reader takes percentiles from histograms, else from summary fields", "[report]") {
  json j = Fixture();
  auto from_histogram = fib::ParseJsonReport(j, "a.json");
  REQUIRE(from_histogram.ok());
  CHECK(from_histogram->label == "inline");
  CHECK(from_histogram->latency.has_spectrum());
  CHECK(from_histogram->notes.empty());
  CHECK(*from_histogram->Metric("requests") == 500);

  // Without histograms the summary's numbers are used (here made distinguishable).
  j.erase("histograms");
  j["summary"]["latency_ms"]["p99"] = 123.0;
  auto from_summary = fib::ParseJsonReport(j, "a.json");
  REQUIRE(from_summary.ok());
  CHECK(*from_summary->Metric("p99") == 123.0);
  CHECK(*from_summary->Metric("p99.9") == j["summary"]["latency_ms"]["p99_9"].get<double>());
  CHECK_FALSE(from_summary->latency.has_spectrum());
  REQUIRE_FALSE(from_summary->notes.empty());
  CHECK_THAT(from_summary->notes[0], Catch::Contains("summary fields"));
}

TEST_CASE("reader reads JSON and .hgrm files and rejects other files", "[report]") {
  std::string json_path = TempPath("a.json"), hgrm_path = TempPath("wrk2.txt");
  std::string text_path = TempPath("notes.txt");
  REQUIRE(fib::WriteJsonFile(json_path, Fixture()));
  fib::HdrHistogram h;
  for (int64_t v = 1000; v <= 2000; ++v) h.Record(v);
  {
    // As wrk2 --latency prints it: prose, a summary, then the spectrum.
    std::ofstream out(hgrm_path);
    out << "Running 30s test @ http://127.0.0.1:8080/\n  2 threads and 10 connections\n"
        << "  Latency Distribution (HdrHistogram - Recorded Latency)\n 50.000%    1.50ms\n\n"
        << "  Detailed Percentile spectrum:\n"
        << h.FormatHgrm(1000.0, 5) << "----------------------------------------------------------\n"
        << "  1001 requests in 30.00s, 100.00KB read\n";
    std::ofstream(text_path) << "just some notes\nnothing to see\n";
  }
  auto j = fib::ReadReport(json_path);
  REQUIRE(j.ok());
  CHECK_FALSE(j->is_hgrm);
  auto hgrm = fib::ReadReport(hgrm_path);
  INFO(hgrm.message());
  REQUIRE(hgrm.ok());
  CHECK(hgrm->is_hgrm);
  CHECK(hgrm->latency.spectrum->total_count() == 1001);
  CHECK(*hgrm->Metric("p50") == Approx(h.ValueAtPercentile(50) / 1000.0).margin(0.001));
  CHECK(*hgrm->Metric("max") == Approx(h.Max() / 1000.0).margin(0.001));
  auto text = fib::ReadReport(text_path);
  REQUIRE_FALSE(text.ok());
  CHECK_THAT(text.message(), Catch::StartsWith(text_path + ": neither a fibtastic-loadgen"));
  auto missing = fib::ReadReport(TempPath("missing.json"));
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.message(), Catch::Contains("cannot read"));
  for (const auto& p : {json_path, hgrm_path, text_path}) std::filesystem::remove(p);
}
