// `fibtastic-report compare`: the side-by-side table and the --fail-if thresholds.
#include <cstdio>

#include "bench/report/commands.h"
#include "bench/report/comparison.h"
#include "bench/report/comparison_writer.h"
#include "bench/report/threshold.h"

namespace fib {

namespace {
const char kProgram[] = "fibtastic-report compare";

struct CompareOptions {
  std::string format = "markdown";
  int baseline_index = 1;  // 1-based, as the user counts the files
  std::vector<std::string> fail_if;
  std::vector<std::string> labels;
};

void PrintLines(std::FILE* to, const std::vector<std::string>& lines) {
  for (const std::string& line : lines) std::fprintf(to, "%s\n", line.c_str());
}

// Prints the table; CSV and JSON keep stdout machine-readable, so the prose goes to stderr.
void PrintComparison(const Comparison& comparison, TableFormat format) {
  std::fputs(RenderComparison(comparison, format).c_str(), stdout);
  if (format == TableFormat::kCsv) {
    std::fputs(RenderConditionsAndWarnings(comparison, false).c_str(), stderr);
  } else if (format == TableFormat::kJson) {
    PrintLines(stderr, comparison.Warnings());
  }
}

// Returns 1 when a threshold is breached, else 0.
int ReportThresholds(const std::vector<Threshold>& thresholds, const std::vector<Report>& reports,
                     size_t baseline) {
  if (thresholds.empty()) return 0;
  ThresholdOutcome outcome = CheckThresholds(thresholds, reports, baseline);
  std::fflush(stdout);  // the table first, then the verdict, also when both go to one file
  PrintLines(stderr, outcome.notes);
  PrintLines(stderr, outcome.breaches);
  std::fprintf(stderr, "%s: %zu threshold breach(es) in %d check(s)\n", kProgram,
               outcome.breaches.size(), outcome.checks);
  return outcome.breaches.empty() ? 0 : 1;
}
}  // namespace

int RunCompare(int argc, char** argv) {
  CompareOptions o;
  FlagSet flags(kProgram, "[options] BASELINE.json OTHER.json ...",
                "Prints the reports side by side (requests, rates, errors, latency percentiles,\n"
                "uncorrected p99, e2e time to email) with each report's ratio against the\n"
                "baseline, the run conditions that differ, and a WARNING for debug builds.\n"
                "Percentiles come from the reports' histograms (summary fields when a report has\n"
                "none). Inputs: fibtastic-loadgen --json reports, merged reports, .hgrm files.");
  flags.String("format", 'f', &o.format, "text|markdown|csv|json", "output format");
  flags.Int("baseline", 'b', &o.baseline_index, "N",
            "which input (1 = first) the ratios and relative thresholds compare against");
  flags.StringList("fail-if", 0, &o.fail_if, "EXPR",
                   "exit 1 when a report breaks EXPR, e.g. 'p99>+10%' (repeatable; grammar below)");
  flags.StringList("label", 'l', &o.labels, "TEXT",
                   "label for the inputs in order, replacing theirs (repeatable)");
  flags.Epilog(
      Threshold::GrammarHelp() +
      "\nExamples:\n"
      "  fibtastic-report compare inline.json background.json\n"
      "  fibtastic-report compare --fail-if 'p99>+10%' --fail-if 'errors>0' base.json new.json\n"
      "Breaches print one FAIL line each on stderr and make the exit code 1.");
  std::vector<std::string> files;
  if (auto done = ParseCommandFlags(flags, kProgram, argc, argv, &files)) return *done;
  if (files.empty()) return UsageError(kProgram, "no report files given");
  Result<TableFormat> format = ParseTableFormat(o.format);
  if (!format.ok()) return UsageError(kProgram, format.message());
  if (o.baseline_index < 1 || o.baseline_index > static_cast<int>(files.size())) {
    return UsageError(kProgram, "--baseline " + std::to_string(o.baseline_index) +
                                    " is not between 1 and the number of files (" +
                                    std::to_string(files.size()) + ")");
  }
  std::vector<Threshold> thresholds;
  for (const std::string& expression : o.fail_if) {
    Result<Threshold> t = Threshold::Parse(expression);
    if (!t.ok()) return UsageError(kProgram, t.message());
    thresholds.push_back(*t);
  }
  std::vector<Report> reports;
  if (!LoadReports(kProgram, files, o.labels, &reports)) return 2;
  size_t baseline = static_cast<size_t>(o.baseline_index - 1);
  PrintComparison(Comparison(reports, baseline), *format);
  return ReportThresholds(thresholds, reports, baseline);
}

}  // namespace fib
