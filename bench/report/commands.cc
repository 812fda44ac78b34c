#include "bench/report/commands.h"

#include <cstdio>
#include <cstring>

#include "bench/report/report_reader.h"

namespace fib {

namespace {
const char kToolHelp[] =
    "Usage: fibtastic-report COMMAND [options] FILE...\n"
    "\n"
    "Compares, merges and plots latency reports written by fibtastic-loadgen --json (schema 1,\n"
    "docs/report-format.md). compare and plot also read .hgrm percentile distributions\n"
    "(wrk2 --latency, HdrHistogram), so other tools' runs can sit next to ours. html writes a\n"
    "`make bench` run's report.html.\n"
    "\n"
    "Commands:\n"
    "  compare A.json B.json ...       side-by-side table with ratios against a baseline;\n"
    "                                  --fail-if thresholds for CI; --html FILE as a page\n"
    "  compare A1 A2 A3 vs B1 B2 B3    several runs per side: medians, bootstrap 95%\n"
    "                                  intervals, thresholds judged on the intervals\n"
    "  merge A.json B.json ... -o C    one report from several (histograms merged exactly)\n"
    "  plot A.json B.json ... -o DIR   PNG and SVG charts with gnuplot (--terminal: ASCII)\n"
    "  html RESULTS_DIR                report.html of a `make bench` run: one self-contained\n"
    "                                  page (no network), charts drawn as inline SVG\n"
    "\n"
    "Run 'fibtastic-report COMMAND --help' for a command's flags.\n"
    "\n"
    "Exit codes: 0 ok, 1 failure or threshold breached, 2 bad usage.\n";
}  // namespace

int UsageError(const std::string& program, const std::string& message) {
  std::fprintf(stderr, "%s: %s\nTry '%s --help'.\n", program.c_str(), message.c_str(),
               program.c_str());
  return 2;
}

std::optional<int> ParseCommandFlags(FlagSet& flags, const std::string& program, int argc,
                                     char** argv, std::vector<std::string>* positional) {
  Status s = flags.Parse(argc, argv, positional);
  if (!s.ok()) return UsageError(program, s.message());
  if (flags.help_requested()) {
    std::fputs(flags.Usage().c_str(), stdout);
    return 0;
  }
  return std::nullopt;
}

bool LoadReports(const std::string& program, const std::vector<std::string>& paths,
                 const std::vector<std::string>& labels, std::vector<Report>* reports) {
  for (size_t i = 0; i < paths.size(); ++i) {
    Result<Report> report = ReadReport(paths[i]);
    if (!report.ok()) {
      std::fprintf(stderr, "%s: %s\n", program.c_str(), report.message().c_str());
      return false;
    }
    if (i < labels.size()) report->label = labels[i];
    reports->push_back(std::move(*report));
  }
  return true;
}

int RunReportTool(int argc, char** argv, const ReportToolEnv& env) {
  if (argc < 2) return UsageError("fibtastic-report", "no command (compare, merge, plot or html)");
  std::string command = argv[1];
  if (command == "-h" || command == "--help" || command == "help") {
    std::fputs(kToolHelp, stdout);
    return 0;
  }
  // The subcommand sees argv[0] = "compare" etc., so FlagSet's parsing starts after it.
  if (command == "compare") return RunCompare(argc - 1, argv + 1);
  if (command == "merge") return RunMerge(argc - 1, argv + 1);
  if (command == "plot") return RunPlot(argc - 1, argv + 1, env);
  if (command == "html") return RunHtml(argc - 1, argv + 1);
  return UsageError("fibtastic-report",
                    "unknown command '" + command + "' (expected compare, merge, plot or html)");
}

}  // namespace fib
