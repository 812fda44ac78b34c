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
