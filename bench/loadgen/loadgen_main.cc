// fibtastic-loadgen: an HTTP load generator that tells the truth (docs/measurement.md): open
// loop on the wrk2 schedule (latency from the intended send time) or closed loop, HdrHistograms,
// per-second series, end-to-end job latency through the mail sink, queue sampling from Redis.
#include <fmt/format.h>

#include <cstdio>

#include "bench/loadgen/load_runner.h"
#include "bench/loadgen/loadgen_options.h"
#include "bench/loadgen/loadgen_outputs.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/shutdown.h"

namespace {

std::string CommandLine(int argc, char** argv) {
  std::string line;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    bool quote = arg.empty() || arg.find_first_of(" '\"&;{}") != std::string::npos;
    if (i > 0) line.push_back(' ');
    line += quote ? fmt::format("'{}'", arg) : arg;
  }
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  const char* program = "fibtastic-loadgen";
  fib::SetLogProgram(program);
  fib::LoadgenOptions options;
  fib::FlagSet flags(program, "--url URL [options]",
                     "Sends HTTP/1.1 keep-alive load and reports latency honestly: with --rate, "
                     "requests follow a fixed schedule and latency counts from each request's "
                     "intended send time (no coordinated omission); --rate 0 is closed loop.");
  options.RegisterFlags(&flags);
  flags.Epilog(
      "Outputs: summary on stdout; --json (docs/report-format.md), --hgrm, --csv.\n"
      "Every request carries X-Request-Id: <run>-<n>. Exit codes: 0 ok, 1 failure,\n"
      "2 bad flags or target unreachable at start.\n"
      "Example: fibtastic-loadgen --url http://127.0.0.1:3000/sequences -m POST --form \\\n"
      "  --body 'email=u{n}@example.com&sequence_length=20' --rate 50 -c 8 -d 30 --warmup 2");
  flags.ParseOrExit(argc, argv);
  options.command_line = CommandLine(argc, argv);
  if (fib::Status s = options.Validate(); !s.ok()) {
    fmt::print(stderr, "{}: {}\nTry '{} --help'.\n", program, s.message(), program);
    return 2;
  }
  fib::LoadRunner runner(options);
  fib::ShutdownSignals signals([&runner](int) { runner.RequestStop(); });
  auto result = runner.Run();
  if (!result.ok()) {
    fmt::print(stderr, "{}: {}\n", program, result.message());
    return 2;
  }
  fmt::print("{}", fib::HumanSummary(options, *result));
  std::fflush(stdout);
  if (fib::Status s = fib::WriteOutputs(options, *result); !s.ok()) {
    fmt::print(stderr, "{}: {}\n", program, s.message());
    return 1;
  }
  return 0;
}
