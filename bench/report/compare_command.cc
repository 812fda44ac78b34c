// `fibtastic-report compare`: the side-by-side table and the --fail-if thresholds.
#include <algorithm>
#include <cstdio>

#include "bench/report/commands.h"
#include "bench/report/comparison.h"
#include "bench/report/comparison_html.h"
#include "bench/report/comparison_writer.h"
#include "bench/report/group_comparison_writer.h"
#include "bench/report/html_page.h"
#include "bench/report/threshold.h"

namespace fib {

namespace {
const char kProgram[] = "fibtastic-report compare";

struct CompareOptions {
  std::string format = "markdown";
  int baseline_index = 1;  // 1-based, as the user counts the files
  std::vector<std::string> fail_if;
  std::vector<std::string> labels;
  int resamples = 2000;
  int64_t seed = 1;
  std::string html_path;  // also write the comparison as a page ("" = no)
};

// The word between the sides of a comparison of several runs per side.
const char kSideSeparator[] = "vs";

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

void PrintGroupComparison(const GroupComparison& comparison, TableFormat format) {
  std::fputs(RenderGroupComparison(comparison, format).c_str(), stdout);
  if (format == TableFormat::kCsv) {
    std::fputs(RenderGroupNotes(comparison, false).c_str(), stderr);
  } else if (format == TableFormat::kJson) {
    PrintLines(stderr, comparison.all().Warnings());
  }
}

// Prints the verdict of the thresholds; returns 1 when one is breached, else 0.
int ReportThresholds(const std::vector<Threshold>& thresholds, const ThresholdOutcome& outcome) {
  if (thresholds.empty()) return 0;
  std::fflush(stdout);  // the table first, then the verdict, also when both go to one file
  PrintLines(stderr, outcome.notes);
  PrintLines(stderr, outcome.breaches);
  std::fprintf(stderr, "%s: %zu threshold breach(es) in %d check(s)\n", kProgram,
               outcome.breaches.size(), outcome.checks);
  return outcome.breaches.empty() ? 0 : 1;
}

// Returns the files split into sides at each "vs"; without one, every file is its own side.
Result<std::vector<std::vector<std::string>>> SplitSides(const std::vector<std::string>& args) {
  std::vector<std::vector<std::string>> sides(1);
  bool separated = false;
  for (const std::string& arg : args) {
    if (arg != kSideSeparator) {
      sides.back().push_back(arg);
      continue;
    }
    separated = true;
    if (sides.back().empty()) break;
    sides.emplace_back();
  }
  for (const auto& side : sides) {
    if (side.empty()) {
      return Status::Error(std::string("'") + kSideSeparator +
                           "' needs report files on both sides (a file called vs: write ./vs)");
    }
  }
  if (separated) return sides;
  std::vector<std::vector<std::string>> one_each;
  for (const std::string& file : sides[0]) one_each.push_back({file});
  return one_each;
}

// Returns the sides as groups of indices into the flat list of their files, labelled by --label
// or by their first report (with " #N" added when two sides would share a label).
std::vector<RunGroup> MakeGroups(const std::vector<std::vector<std::string>>& sides,
                                 const std::vector<Report>& reports,
                                 const std::vector<std::string>& labels) {
  std::vector<RunGroup> groups;
  size_t next = 0;
  for (size_t g = 0; g < sides.size(); ++g) {
    RunGroup group{g < labels.size() ? labels[g] : reports[next].label, {}};
    for (size_t r = 0; r < sides[g].size(); ++r) group.runs.push_back(next++);
    groups.push_back(std::move(group));
  }
  for (size_t g = 0; g < groups.size(); ++g) {
    for (size_t h = 0; h < groups.size(); ++h) {
      if (h != g && groups[h].label == groups[g].label) {
        groups[g].label += " #" + std::to_string(g + 1);
        break;
      }
    }
  }
  return groups;
}

// Writes the page `render` returns to `path` (nothing when path is ""); false after printing why
// it could not.
template <typename Render>
bool WriteHtml(const std::string& path, Render render) {
  if (path.empty()) return true;
  Status s = WriteHtmlFile(path, render());
  if (!s.ok()) std::fprintf(stderr, "%s: %s\n", kProgram, s.message().c_str());
  return s.ok();
}

// Several runs per side: medians, intervals and the interval-aware thresholds.
int CompareGroups(const CompareOptions& o, const std::vector<std::vector<std::string>>& sides,
                  const std::vector<Threshold>& thresholds, TableFormat format) {
  std::vector<std::string> files;
  for (const auto& side : sides) files.insert(files.end(), side.begin(), side.end());
  std::vector<Report> reports;
  if (!LoadReports(kProgram, files, {}, &reports)) return 2;
  std::vector<RunGroup> groups = MakeGroups(sides, reports, o.labels);
  size_t baseline = static_cast<size_t>(o.baseline_index - 1);
  Comparison all(reports, groups[baseline].runs.front());
  BootstrapOptions bootstrap;
  bootstrap.resamples = o.resamples;
  bootstrap.seed = static_cast<uint64_t>(o.seed);
  GroupComparison comparison(all, std::move(groups), baseline, bootstrap);
  PrintGroupComparison(comparison, format);
  if (!WriteHtml(o.html_path, [&comparison] { return GroupComparisonHtml(comparison); })) return 1;
  return ReportThresholds(thresholds, CheckGroupThresholds(thresholds, comparison));
}

// Checks the flags that need the number of sides; returns a usage message, or "" when fine.
// `inputs` names what the sides are: "files", or "sides" with 'vs'.
std::string CheckCountedFlags(const CompareOptions& o, size_t sides, const std::string& inputs) {
  if (o.baseline_index < 1 || o.baseline_index > static_cast<int>(sides)) {
    return "--baseline " + std::to_string(o.baseline_index) +
           " is not between 1 and the number of " + inputs + " (" + std::to_string(sides) + ")";
  }
  if (o.labels.size() > sides) {
    return "--label given " + std::to_string(o.labels.size()) + " times for " +
           std::to_string(sides) + " " + inputs;
  }
  if (o.resamples < 2000 || o.resamples > 1000000) {
    return "--resamples " + std::to_string(o.resamples) + " is not between 2000 and 1000000";
  }
  return "";
}
}  // namespace

int RunCompare(int argc, char** argv) {
  CompareOptions o;
  FlagSet flags(kProgram,
                "[options] BASELINE.json OTHER.json ...  |  A1.json A2.json ... vs B1.json ...",
                "Prints the reports side by side (requests, rates, errors, latency percentiles,\n"
                "uncorrected p99, e2e time to email) with each report's ratio against the\n"
                "baseline, the run conditions that differ, and a WARNING for debug builds.\n"
                "Percentiles come from the reports' histograms (summary fields when a report has\n"
                "none). Inputs: fibtastic-loadgen --json reports, merged reports, .hgrm files.\n"
                "\n"
                "Several runs per side: separate the sides with the word 'vs'. Each side is then\n"
                "the median of its runs with a percentile-bootstrap 95% interval, each ratio a\n"
                "ratio of medians with its interval, and a relative --fail-if breaks only when\n"
                "the whole interval lies beyond the limit (docs/repeated-runs.md). An interval\n"
                "needs at least 3 runs per side; with one run per side the output is as above.");
  flags.String("format", 'f', &o.format, "text|markdown|csv|json", "output format");
  flags.Int("baseline", 'b', &o.baseline_index, "N",
            "which input (1 = first; with 'vs': which side) the ratios and relative thresholds "
            "compare against");
  flags.StringList("fail-if", 0, &o.fail_if, "EXPR",
                   "exit 1 when a report breaks EXPR, e.g. 'p99>+10%' (repeatable; grammar below)");
  flags.StringList("label", 'l', &o.labels, "TEXT",
                   "label for the inputs (with 'vs': the sides) in order, replacing theirs "
                   "(repeatable)");
  flags.Int("resamples", 0, &o.resamples, "N",
            "bootstrap resamples per interval, 2000 to 1000000 (with 'vs')");
  flags.Int("seed", 0, &o.seed, "N",
            "seed of the bootstrap's resampling: the same seed gives the same intervals");
  flags.String("html", 0, &o.html_path, "FILE",
               "also write the comparison as one self-contained HTML page (tables, percentile "
               "spectra, latency over time, waterfalls; no network needed) to FILE");
  flags.Epilog(
      Threshold::GrammarHelp() +
      "With several runs per side ('vs'), a relative limit is judged on the interval of the\n"
      "ratio of medians: 'p99>+10%' fails only when the interval's lower bound is above +10%;\n"
      "a median beyond the limit whose interval reaches back across it is printed as a note.\n"
      "An absolute latency or rate limit is judged on the interval of each side's median; an\n"
      "absolute limit on a count ('errors>0') on every run.\n"
      "\nExamples:\n"
      "  fibtastic-report compare inline.json background.json\n"
      "  fibtastic-report compare --fail-if 'p99>+10%' --fail-if 'errors>0' base.json new.json\n"
      "  fibtastic-report compare --fail-if 'p99>+10%' a1.json a2.json a3.json vs b1.json \\\n"
      "                           b2.json b3.json\n"
      "Breaches print one FAIL line each on stderr and make the exit code 1.");
  std::vector<std::string> args;
  if (auto done = ParseCommandFlags(flags, kProgram, argc, argv, &args)) return *done;
  if (args.empty()) return UsageError(kProgram, "no report files given");
  Result<TableFormat> format = ParseTableFormat(o.format);
  if (!format.ok()) return UsageError(kProgram, format.message());
  Result<std::vector<std::vector<std::string>>> sides = SplitSides(args);
  if (!sides.ok()) return UsageError(kProgram, sides.message());
  bool separated = std::find(args.begin(), args.end(), kSideSeparator) != args.end();
  std::string bad = CheckCountedFlags(o, sides->size(), separated ? "sides" : "files");
  if (!bad.empty()) return UsageError(kProgram, bad);
  std::vector<Threshold> thresholds;
  for (const std::string& expression : o.fail_if) {
    Result<Threshold> t = Threshold::Parse(expression);
    if (!t.ok()) return UsageError(kProgram, t.message());
    thresholds.push_back(*t);
  }
  bool several_runs = false;
  for (const auto& side : *sides) several_runs = several_runs || side.size() > 1;
  if (several_runs) return CompareGroups(o, *sides, thresholds, *format);
  std::vector<std::string> files;
  for (const auto& side : *sides) files.push_back(side.front());
  std::vector<Report> reports;
  if (!LoadReports(kProgram, files, o.labels, &reports)) return 2;
  size_t baseline = static_cast<size_t>(o.baseline_index - 1);
  Comparison comparison(reports, baseline);
  PrintComparison(comparison, *format);
  if (!WriteHtml(o.html_path, [&comparison] { return ComparisonHtml(comparison); })) return 1;
  return ReportThresholds(thresholds, CheckThresholds(thresholds, reports, baseline));
}

}  // namespace fib
