// fibtastic-report merge, run as a real program: the merged report is read by compare and
// matches a report recorded from all the data.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "bench/report/report_fixture.h"
#include "tests/support/subprocess.h"

namespace {

using fib::test::BinPath;
using fib::test::RunCommand;

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("merge writes a report that compare reads and that equals the whole", "[report]") {
  std::string dir = fib::MakeTempDir("fib-report-merge");
  REQUIRE_FALSE(dir.empty());
  fib::FixtureOptions a, b, all;
  a.label = "machine-a";
  a.latencies_us = fib::FixtureLatencies(2000, 1000, 20000, 1);
  b.label = "machine-b";
  b.latencies_us = fib::FixtureLatencies(1000, 10000, 80000, 2);
  all.label = "all";
  all.latencies_us = a.latencies_us;
  all.latencies_us.insert(all.latencies_us.end(), b.latencies_us.begin(), b.latencies_us.end());
  REQUIRE(fib::WriteJsonFile(dir + "/a.json", fib::MakeFixtureReport(a)));
  REQUIRE(fib::WriteJsonFile(dir + "/b.json", fib::MakeFixtureReport(b)));
  REQUIRE(fib::WriteJsonFile(dir + "/all.json", fib::MakeFixtureReport(all)));

  std::string out;
  REQUIRE(RunCommand({BinPath("fibtastic-report"), "merge", "-o", dir + "/merged.json",
                      dir + "/a.json", dir + "/b.json"},
                     &out) == 0);
  INFO(out);
  nlohmann::json merged = ReadJson(dir + "/merged.json");
  CHECK(merged["schema"] == 1);
  CHECK(merged["summary"]["requests"] == 3000);
  CHECK(merged["summary"]["rps"].get<double>() == Approx(300));  // 200/s + 100/s
  CHECK(merged["merged_from"].size() == 2);
  CHECK(merged["summary"]["latency_ms"] == ReadJson(dir + "/all.json")["summary"]["latency_ms"]);

  // compare reads it; against the report of all data every percentile ratio is 1.
  REQUIRE(RunCommand({BinPath("fibtastic-report"), "compare", "--format", "csv", "--fail-if",
                      "p99>+0%", "--fail-if", "p99<-0%", dir + "/all.json", dir + "/merged.json"},
                     &out) == 0);
  CHECK_THAT(out, Catch::Contains("machine-a + machine-b," + dir + "/merged.json,p99,ms,"));
  CHECK_THAT(out, Catch::Contains(",1\n"));

  // Bad usage: no -o, one input, a non-report input.
  CHECK(RunCommand({BinPath("fibtastic-report"), "merge", dir + "/a.json", dir + "/b.json"},
                   &out) == 2);
  CHECK(RunCommand({BinPath("fibtastic-report"), "merge", "-o", dir + "/m.json", dir + "/a.json"},
                   &out) == 2);
  std::ofstream(dir + "/junk.json") << "[1, 2, 3]";
  CHECK(RunCommand({BinPath("fibtastic-report"), "merge", "-o", dir + "/m.json", dir + "/a.json",
                    dir + "/junk.json"},
                   &out) == 2);
  CHECK_THAT(out, Catch::Contains(dir + "/junk.json: not a fibtastic-loadgen report"));
  CHECK_FALSE(std::filesystem::exists(dir + "/m.json"));
  std::filesystem::remove_all(dir);
}
