// The `fibtastic-report` subcommands: compare, merge, plot and html. Each parses its own flags
// (FlagSet, so --help lists every flag with unit and default) and returns the exit code:
// 0 ok, 1 failure or threshold breached, 2 bad usage (including unreadable or non-report input).
// Thread-safety: call from main() only (they print to stdout/stderr).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/report/report.h"
#include "common/flags.h"

namespace fib {

// Environment the subcommands need; main() fills it so the commands read no globals.
struct ReportToolEnv {
  std::string path = "/usr/bin:/bin";  // $PATH, to find gnuplot
  int terminal_width_chars = 100;      // $COLUMNS
};

// Dispatches argv[1] (compare, merge, plot, html, help) with the remaining arguments.
int RunReportTool(int argc, char** argv, const ReportToolEnv& env);

int RunCompare(int argc, char** argv);
int RunMerge(int argc, char** argv);
int RunPlot(int argc, char** argv, const ReportToolEnv& env);
int RunHtml(int argc, char** argv);

// Reads every file in `paths` (JSON reports or .hgrm), applying `labels` in order. On an error
// prints "<program>: <file>: <problem>" to stderr and returns false.
bool LoadReports(const std::string& program, const std::vector<std::string>& paths,
                 const std::vector<std::string>& labels, std::vector<Report>* reports);
// Parses flags into `positional`. Returns the exit code when the command is done already:
// 0 after printing --help, 2 after printing a usage error; nullopt to go on.
std::optional<int> ParseCommandFlags(FlagSet& flags, const std::string& program, int argc,
                                     char** argv, std::vector<std::string>* positional);
// Prints "<program>: <message>\nTry '<program> --help'." to stderr and returns 2.
int UsageError(const std::string& program, const std::string& message);

}  // namespace fib
