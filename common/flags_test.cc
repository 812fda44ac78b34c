#include "common/flags.h"

#include <catch2/catch.hpp>

namespace {
struct Argv {
  explicit Argv(std::vector<std::string> a) : args(std::move(a)) {
    for (auto& s : args) ptrs.push_back(s.data());
  }
  int argc() { return static_cast<int>(ptrs.size()); }
  char** argv() { return ptrs.data(); }
  std::vector<std::string> args;
  std::vector<char*> ptrs;
};
}  // namespace

TEST_CASE("FlagSet parses long, short, inline and repeated flags", "[flags]") {
  int port = 3000;
  double rate = 1.5;
  std::string mode = "inline";
  std::vector<std::string> queues = {"default"};
  bool verbose = false;
  fib::FlagSet flags("prog", "[options]", "about");
  flags.Int("port", 'p', &port, "PORT", "port");
  flags.Double("rate", 0, &rate, "REQ/S", "rate");
  flags.String("mode", 0, &mode, "MODE", "mode");
  flags.StringList("queue", 'q', &queues, "NAME", "queue");
  flags.Bool("verbose", 'v', &verbose, "talk");
  Argv a({"prog", "-p", "8080", "--rate=2.5", "--mode", "background", "-qa", "-q", "b,3", "-v"});
  REQUIRE(flags.Parse(a.argc(), a.argv()).ok());
  CHECK(port == 8080);
  CHECK(rate == 2.5);
  CHECK(mode == "background");
  CHECK(queues == std::vector<std::string>{"a", "b,3"});
  CHECK(verbose);
}

TEST_CASE("FlagSet errors name the flag", "[flags]") {
  int port = 3000;
  fib::FlagSet flags("prog", "", "");
  flags.Int("port", 0, &port, "PORT", "port");
  Argv bad({"prog", "--port", "x1"});
  CHECK(flags.Parse(bad.argc(), bad.argv()).message() == "--port takes a whole number, got 'x1'");
  Argv unknown({"prog", "--nope"});
  CHECK(flags.Parse(unknown.argc(), unknown.argv()).message() == "unknown flag '--nope'");
  Argv missing({"prog", "--port"});
  CHECK(flags.Parse(missing.argc(), missing.argv()).message().find("--port needs a value") == 0);
}

TEST_CASE("Help lists every flag with unit and default", "[flags]") {
  int port = 3000;
  fib::FlagSet flags("prog", "", "");
  flags.Int("port", 'p', &port, "PORT", "TCP port");
  std::string usage = flags.Usage();
  CHECK(usage.find("-p, --port PORT") != std::string::npos);
  CHECK(usage.find("TCP port (default: 3000)") != std::string::npos);
  Argv help({"prog", "--help"});
  REQUIRE(flags.Parse(help.argc(), help.argv()).ok());
  CHECK(flags.help_requested());
}

TEST_CASE("duration flags take units and keep their bare unit", "[flags]") {
  int timeout_ms = 5000;
  int64_t idle_s = 60;
  double window_s = 10;
  fib::FlagSet flags("prog", "[options]", "about");
  flags.Int("timeout-ms", 0, &timeout_ms, "MS", "timeout");
  flags.Int("idle", 0, &idle_s, "S", "idle");
  flags.Double("window", 0, &window_s, "SECONDS", "window");
  Argv a({"prog", "--timeout-ms", "2s", "--idle", "3m", "--window", "1500ms"});
  REQUIRE(flags.Parse(a.argc(), a.argv()).ok());
  CHECK(timeout_ms == 2000);
  CHECK(idle_s == 180);
  CHECK(window_s == Approx(1.5));
  Argv bare({"prog", "--timeout-ms", "250", "--window", "2.5"});
  REQUIRE(flags.Parse(bare.argc(), bare.argv()).ok());
  CHECK(timeout_ms == 250);
  CHECK(window_s == Approx(2.5));
  for (const char* bad : {"5parsecs", "-2s", "s", "1500us"}) {
    INFO(bad);
    Argv b({"prog", "--idle", bad});
    auto status = flags.Parse(b.argc(), b.argv());
    REQUIRE_FALSE(status.ok());
    CHECK_THAT(status.message(), Catch::Contains("--idle"));
  }
  CHECK_THAT(flags.Usage(), Catch::Contains("500ms, 30s"));
  CHECK(fib::ParseDuration("250us", 1, "x").value() == Approx(250e-6));
  CHECK(fib::ParseDuration("1h", 1, "x").value() == Approx(3600));
}

TEST_CASE("lower-case duration units (ms, s) are durations too, and a bad unit lists the units",
          "[flags]") {
  int timeout_s = 25;
  double interval_ms = 2;
  fib::FlagSet flags("prog", "[options]", "about");
  flags.Int("timeout", 't', &timeout_s, "s", "timeout");
  flags.Double("interval-ms", 0, &interval_ms, "ms", "interval");
  Argv a({"prog", "-t", "1m", "--interval-ms", "0.5s"});
  REQUIRE(flags.Parse(a.argc(), a.argv()).ok());
  CHECK(timeout_s == 60);
  CHECK(interval_ms == Approx(500));
  Argv bad({"prog", "--timeout", "5parsecs"});
  fib::Status status = flags.Parse(bad.argc(), bad.argv());
  REQUIRE_FALSE(status.ok());
  CHECK(status.message() ==
        "--timeout takes a duration: a number with a unit us, ms, s, m (or min) or h, e.g. "
        "500ms, 30s, 2m; a bare number is seconds; got '5parsecs'");
  Argv fraction({"prog", "--timeout", "1500ms"});
  CHECK(flags.Parse(fraction.argc(), fraction.argv()).message() ==
        "--timeout counts whole seconds, got '1500ms'");
}
