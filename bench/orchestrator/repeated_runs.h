// RepeatedRuns: a comparison scenario's variant run N times (`fibtastic-bench --repeat N`) — its
// report files and the headline figures of each run — and what the report shows of them: the
// median of each headline figure with its bootstrap 95% interval (docs/repeated-runs.md).
// Thread-safety: value types and pure functions.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fib::bench {

// The headline figures of one run by summary.json key: "p50_ms", "p99_ms", "email_p50_ms",
// "email_p99_ms", "enqueue_p50_ms"; NaN when the run did not measure it.
using HeadlineValues = std::map<std::string, double>;

// The headline keys that get an interval, in the order tables list them.
const std::vector<std::string>& HeadlineKeys();

struct VariantRuns {
  std::string name;                  // "inline", "background", "A", "A′"
  std::vector<std::string> reports;  // each run's loadgen JSON, in run order
  std::vector<HeadlineValues> runs;

  // Returns the finite values of `key`, in run order.
  std::vector<double> Values(const std::string& key) const;
  // Returns the median of `key`, NaN when no run measured it.
  double Median(const std::string& key) const;
  // Returns the run whose response p50 is nearest the median (the first on a tie): its stages
  // and plots stand for the variant. REQUIRES: !runs.empty().
  size_t Representative() const;
};

// Returns run `run`'s (0-based) label and file stem: "<id>-<variant>" when `repeat` is 1 (the
// file names of a single run), "<id>-<variant>-<run + 1>" otherwise.
std::string RunLabel(const std::string& id, const std::string& variant, int run, int repeat);

// Sets each headline key of `figures` (one variant's object in summary.json) to the median of the
// runs and adds <key>_ci95_low and <key>_ci95_high (null with fewer than 3 runs) and <key>_runs
// (the values in run order), and "runs".
void AddIntervals(const VariantRuns& runs, nlohmann::json* figures);

// Returns the figure `key` of a variant's summary.json object as a table shows it: "223.4" for a
// single run, "223.4 [221.0, 226.1]" with its interval, "223.4 [no interval: 2 runs]".
std::string FigureWithInterval(const nlohmann::json& variant, const std::string& key);

// Returns the Markdown table of the headline figures of two variants: median [95% CI] and the
// values of every run.
std::string IntervalTable(const VariantRuns& a, const VariantRuns& b);

// Returns the sentence that opens a repeated comparison of variants `a` and `b`: how the runs
// were made and summarised.
std::string RepeatIntro(int repeat, const std::string& a, const std::string& b);

// Returns the arguments of `fibtastic-report compare` on a's runs against b's ("a1 … vs b1 …",
// labelled with the variants' names), then `extra`.
std::vector<std::string> CompareArgs(const VariantRuns& a, const VariantRuns& b,
                                     const std::vector<std::string>& extra);

}  // namespace fib::bench
