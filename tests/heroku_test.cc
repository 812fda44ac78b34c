// Integration test of the heroku scenario (docs/heroku.md): the topology on network namespaces,
// services bound only to their hosts' addresses, one partition (app-two cut from redistogo) that
// loses nothing, and nothing left behind — also after a SIGINT mid-run. Needs root; without it
// the scenario must skip cleanly, which is what is checked then.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tests/support/subprocess.h"

namespace fs = std::filesystem;
using fib::test::BinPath;
using fib::test::MakeTempDir;
using fib::test::RunCommand;
using fib::test::Subprocess;

namespace {

// Returns the namespaces and links whose names belong to the run of orchestrator `pid`.
std::string LeftoversOf(int pid) {
  std::string netns, links;
  RunCommand({"ip", "netns", "list"}, &netns);
  RunCommand({"ip", "-o", "link", "show"}, &links);
  const std::string prefix = "fhk" + std::to_string(pid) + "-";
  std::string found;
  for (const std::string* text : {&netns, &links}) {
    std::istringstream lines(*text);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.find(prefix) != std::string::npos) found += line + "\n";
    }
  }
  return found;
}

bool IsOwnAddress(const nlohmann::json& hosts, const nlohmann::json& listener) {
  const std::string host = listener["host"];
  return hosts.contains(host) && hosts[host] == listener["address"];
}

std::vector<std::string> BenchArgs(const std::string& dir) {
  return {BinPath("fibtastic-bench"),
          "--scenario",
          "heroku",
          "--quick",
          "--heroku-only",
          "worker_redis",
          "--results-dir",
          dir};
}

}  // namespace

TEST_CASE("heroku: hosts bind only their addresses, a partition loses nothing, nothing is left",
          "[heroku]") {
  std::string dir = MakeTempDir("heroku-test");
  if (geteuid() != 0) {
    std::string out;
    CHECK(RunCommand(BenchArgs(dir), &out, 60000) == 0);
    CHECK(out.find("skipped: the heroku scenario needs root") != std::string::npos);
    WARN("not root: checked only that the heroku scenario skips cleanly");
    fs::remove_all(dir);
    return;
  }
  Subprocess bench(BenchArgs(dir));
  int code = bench.Wait(240000);
  INFO(bench.Log());
  REQUIRE(code == 0);
  std::ifstream in(dir + "/latest/summary.json");
  nlohmann::json summary = nlohmann::json::parse(in, nullptr, false);
  REQUIRE(summary.contains("heroku"));
  const nlohmann::json& heroku = summary["heroku"];
  CHECK(heroku["bindings"]["ok"] == true);
  // redistogo 6379, provider 587 and 1080, app-one 3000 and 3001: each on its own address.
  REQUIRE(heroku["bindings"]["listeners"].size() >= 5);
  for (const auto& listener : heroku["bindings"]["listeners"]) {
    INFO(listener.dump());
    CHECK(IsOwnAddress(heroku["network"]["hosts"], listener));
  }
  const nlohmann::json& cut = heroku["partitions"]["worker_redis"];
  INFO(cut.dump());
  CHECK(cut["packets_dropped"].get<int64_t>() > 0);  // the partition really dropped packets
  CHECK(cut["accepted"].get<int64_t>() > 0);
  CHECK(cut["lost"] == 0);
  CHECK(cut["delivered"] == cut["accepted"]);
  CHECK(LeftoversOf(bench.pid()).empty());
  fs::remove_all(dir);
}

TEST_CASE("heroku: SIGINT mid-run removes every namespace and link of the run", "[heroku]") {
  if (geteuid() != 0) {
    WARN("not root: the heroku scenario skips, nothing to interrupt");
    return;
  }
  std::string dir = MakeTempDir("heroku-test");
  Subprocess bench(BenchArgs(dir));
  // Interrupt once the last host exists and its services are starting.
  const std::string marker = "fhk" + std::to_string(bench.pid()) + "-provider";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (LeftoversOf(bench.pid()).find(marker) == std::string::npos &&
         std::chrono::steady_clock::now() < deadline && bench.running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(LeftoversOf(bench.pid()).find(marker) != std::string::npos);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  bench.Signal(SIGINT);
  CHECK(bench.Wait(20000) == 130);
  CHECK(LeftoversOf(bench.pid()) == "");
  fs::remove_all(dir);
}
