// fibtastic-report: compares, merges and plots fibtastic-loadgen latency reports.
// See bench/report/commands.h for the subcommands and `fibtastic-report --help`.
#include "bench/report/commands.h"
#include "common/flags.h"
#include "common/text.h"

int main(int argc, char** argv) {
  fib::ReportToolEnv env;
  env.path = fib::EnvOr("PATH", env.path);
  auto columns = fib::ParseInt(fib::EnvOr("COLUMNS", ""), "COLUMNS");
  if (columns.ok() && *columns >= 40 && *columns <= 1000) {
    env.terminal_width_chars = static_cast<int>(*columns);
  }
  return fib::RunReportTool(argc, argv, env);
}
