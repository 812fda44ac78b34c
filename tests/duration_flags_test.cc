// Every program's duration flags take units (`-d 30s`, `--timeout 500ms`, `--warmup 1m`), as wrk,
// hey and vegeta do: the flags are found in each program's own --help, so a new one is covered
// without editing this test, and a flag that looks like a duration but is not registered as one
// (a plain integer) fails the audit.
#include <catch2/catch.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace {

using fib::test::BinPath;
using fib::test::RunCommand;

struct Program {
  std::string binary;
  std::vector<std::string> command;  // a subcommand before the flags, e.g. {"compare"}
};

struct FlagUsage {
  std::string name;  // "--timeout"
  std::string unit;  // "MS", "s", "DURATION", "N", ...
};

const std::vector<Program>& Programs() {
  static const std::vector<Program> kPrograms = {{"fibtastic-web", {}},
                                                 {"fibtastic-worker", {}},
                                                 {"fibtastic-mailsink", {}},
                                                 {"fibtastic-loadgen", {}},
                                                 {"fibtastic-bench", {}},
                                                 {"fibtastic-trivial-server", {}},
                                                 {"fibtastic-report", {"compare"}},
                                                 {"fibtastic-report", {"merge"}},
                                                 {"fibtastic-report", {"plot"}}};
  return kPrograms;
}

std::vector<std::string> Argv(const Program& program, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {BinPath(program.binary)};
  argv.insert(argv.end(), program.command.begin(), program.command.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// Returns every flag that takes a value, from the "  -x, --name UNIT  help" lines of --help.
std::vector<FlagUsage> FlagsInHelp(const std::string& help) {
  static const std::regex kLine(R"(^  (?:-., |    )(--[a-z0-9-]+) (\S+))");
  std::vector<FlagUsage> flags;
  std::istringstream lines(help);
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (std::regex_search(line, match, kLine)) flags.push_back({match[1], match[2]});
  }
  return flags;
}

bool IsDurationUnit(const std::string& unit) {
  for (const char* known : {"MS", "S", "SECONDS", "DURATION", "ms", "s"}) {
    if (unit == known) return true;
  }
  return false;
}

// A flag whose name says it is a time span (and not a factor of one).
bool LooksLikeDuration(const std::string& name) {
  static const std::regex kTimeName(
      R"(.*(timeout|interval|duration|warmup|drain|delay|sample)(-ms|-s)?$|.*-(ms|s)$)");
  return std::regex_match(name, kTimeName);
}

}  // namespace

TEST_CASE("Every duration flag of every program takes units; a bad unit is exit 2 naming it",
          "[cli]") {
  int duration_flags = 0;
  for (const Program& program : Programs()) {
    std::string help;
    INFO(program.binary << " " << (program.command.empty() ? "" : program.command[0]));
    REQUIRE(RunCommand(Argv(program, {"--help"}), &help, 20000) == 0);
    for (const FlagUsage& flag : FlagsInHelp(help)) {
      INFO(flag.name << " " << flag.unit);
      if (LooksLikeDuration(flag.name)) CHECK(IsDurationUnit(flag.unit));
      if (!IsDurationUnit(flag.unit)) continue;
      ++duration_flags;
      std::string output;
      CHECK(RunCommand(Argv(program, {flag.name, "5parsecs"}), &output, 20000) == 2);
      INFO(output);
      CHECK(output.find(flag.name + " takes a duration") != std::string::npos);
      CHECK(output.find("us, ms, s, m (or min) or h") != std::string::npos);
      CHECK(output.find("got '5parsecs'") != std::string::npos);
      // A value with a unit parses (then --help stops before anything starts).
      CHECK(RunCommand(Argv(program, {flag.name, "2s", "--help"}), &output, 20000) == 0);
    }
  }
  // web 9, worker 8, mail sink 3, loadgen 6: a regex that stopped matching would pass vacuously.
  CHECK(duration_flags >= 26);
}

TEST_CASE("Durations with units reach the program in its flag's own unit", "[cli]") {
  // The mail sink's --session-timeout is a text flag converted after parsing: 1.5s is 1500 ms
  // (a bare number is seconds), and more than 168h is refused with the flag's name.
  std::string output;
  CHECK(RunCommand({BinPath("fibtastic-mailsink"), "--session-timeout", "169h"}, &output) == 2);
  CHECK(output.find("--session-timeout must be 1ms..168h, got '169h'") != std::string::npos);
  CHECK(RunCommand({BinPath("fibtastic-mailsink"), "--session-timeout", "1500us"}, &output) == 2);
  CHECK(output.find("--session-timeout counts whole milliseconds") != std::string::npos);
  // The worker's heartbeat is counted in seconds, at most 20: 21000ms arrives as 21 s.
  CHECK(RunCommand({BinPath("fibtastic-worker"), "--heartbeat-interval-s", "21000ms"}, &output) ==
        2);
  CHECK(output.find("--heartbeat-interval-s must be at most 20 s (got 21)") != std::string::npos);
  // loadgen: -d 1500ms is 1.5 s; a fraction of a millisecond for the whole-ms --timeout is not.
  CHECK(RunCommand({BinPath("fibtastic-loadgen"), "--timeout", "1.5ms"}, &output) == 2);
  CHECK(output.find("--timeout counts whole milliseconds, got '1.5ms'") != std::string::npos);
}

TEST_CASE("scripts/fuzz takes its SECONDS with a unit too", "[cli]") {
  const std::string script = std::string(FIB_SOURCE_DIR) + "/scripts/fuzz";
  std::string output;
  CHECK(RunCommand({script, "/nonexistent", "5parsecs"}, &output) == 2);
  CHECK(output.find("SECONDS takes whole seconds, or a whole number with a unit s, m (or min) or "
                    "h (e.g. 300, 90s, 5m), got '5parsecs'") != std::string::npos);
  // 2m parses; the run then stops at the missing fuzz target (exit 1), not at the duration.
  CHECK(RunCommand({script, "/nonexistent", "2m", "payload_fuzz"}, &output) == 1);
  CHECK(output.find("/nonexistent/bin/payload_fuzz is missing") != std::string::npos);
}
