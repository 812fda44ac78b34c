#include "bench/orchestrator/repeated_runs.h"

#include <fmt/format.h>

#include <cmath>

#include "bench/orchestrator/loadgen_run.h"
#include "bench/report/bootstrap.h"

namespace fib::bench {

namespace {

// Returns the key's label in the interval table.
std::string KeyTitle(const std::string& key) {
  static const std::map<std::string, std::string> kTitles = {
      {"p50_ms", "response p50 (ms)"},
      {"p99_ms", "response p99 (ms)"},
      {"enqueue_p50_ms", "enqueue p50 (ms, web's Server-Timing)"},
      {"email_p50_ms", "time until the email arrives p50 (ms)"},
      {"email_p99_ms", "time until the email arrives p99 (ms)"}};
  auto it = kTitles.find(key);
  return it == kTitles.end() ? key : it->second;
}

std::string Cell(const VariantRuns& v, const std::string& key) {
  std::vector<double> values = v.Values(key);
  if (values.empty()) return "—";
  nlohmann::json figures;
  AddIntervals(v, &figures);
  std::string runs;
  for (double x : values) runs += (runs.empty() ? "" : ", ") + Ms(x);
  return FigureWithInterval(figures, key) + " (runs: " + runs + ")";
}

}  // namespace

const std::vector<std::string>& HeadlineKeys() {
  static const std::vector<std::string> kKeys = {"p50_ms", "p99_ms", "enqueue_p50_ms",
                                                 "email_p50_ms", "email_p99_ms"};
  return kKeys;
}

std::vector<double> VariantRuns::Values(const std::string& key) const {
  std::vector<double> values;
  for (const HeadlineValues& run : runs) {
    auto it = run.find(key);
    if (it != run.end() && std::isfinite(it->second)) values.push_back(it->second);
  }
  return values;
}

double VariantRuns::Median(const std::string& key) const {
  std::vector<double> values = Values(key);
  return values.empty() ? NAN : fib::Median(values);
}

size_t VariantRuns::Representative() const {
  double median = Median("p50_ms");
  size_t best = 0;
  double best_distance = INFINITY;
  for (size_t r = 0; r < runs.size(); ++r) {
    auto it = runs[r].find("p50_ms");
    double distance = it == runs[r].end() ? NAN : std::fabs(it->second - median);
    if (distance < best_distance) {
      best = r;
      best_distance = distance;
    }
  }
  return best;
}

std::string RunLabel(const std::string& id, const std::string& variant, int run, int repeat) {
  std::string label = id + "-" + variant;
  return repeat == 1 ? label : fmt::format("{}-{}", label, run + 1);
}

void AddIntervals(const VariantRuns& runs, nlohmann::json* figures) {
  (*figures)["runs"] = runs.runs.size();
  for (const std::string& key : HeadlineKeys()) {
    std::vector<double> values = runs.Values(key);
    if (values.empty()) continue;
    std::optional<Interval> ci = MedianInterval(values);
    (*figures)[key] = fib::Median(values);
    (*figures)[key + "_ci95_low"] = ci ? NumberOrNull(ci->low) : nlohmann::json();
    (*figures)[key + "_ci95_high"] = ci ? NumberOrNull(ci->high) : nlohmann::json();
    (*figures)[key + "_runs"] = values;
  }
}

std::string FigureWithInterval(const nlohmann::json& variant, const std::string& key) {
  auto number = [&variant](const std::string& k) {
    auto it = variant.find(k);
    return it != variant.end() && it->is_number() ? it->get<double>() : NAN;
  };
  std::string text = Ms(number(key));
  if (!variant.contains(key + "_runs") || std::isnan(number(key))) return text;
  double low = number(key + "_ci95_low"), high = number(key + "_ci95_high");
  if (std::isnan(low) || std::isnan(high)) {
    return text + fmt::format(" [no interval: {} runs]", variant[key + "_runs"].size());
  }
  return text + " [" + Ms(low) + ", " + Ms(high) + "]";
}

std::string IntervalTable(const VariantRuns& a, const VariantRuns& b) {
  std::string md = fmt::format("| median [95% CI] | {} | {} |\n|---|---|---|\n", a.name, b.name);
  for (const std::string& key : HeadlineKeys()) {
    if (a.Values(key).empty() && b.Values(key).empty()) continue;
    md += fmt::format("| {} | {} | {} |\n", KeyTitle(key), Cell(a, key), Cell(b, key));
  }
  return md;
}

std::string RepeatIntro(int repeat, const std::string& a, const std::string& b) {
  std::string text = fmt::format(
      "Each variant ran {} times on the same stack, interleaved ({}, {}, {}, …), each run its "
      "own report. Figures are medians over the runs with a percentile-bootstrap 95% interval "
      "({} resamples, seed {}; none with fewer than {} runs); the counts below are totals over "
      "the runs, the stages and plots those of the run whose response p50 is nearest the "
      "median.",
      repeat, a, b, a, BootstrapOptions().resamples, BootstrapOptions().seed, kMinRunsForInterval);
  // With 3 to 5 runs the bootstrap's tails land on the extreme runs: the interval is their range.
  if (repeat >= 3 && repeat <= 5) {
    text += fmt::format(
        " With {} runs the interval is the range of the runs, which covers the true median "
        "{:.0f}% of the time, not 95% (docs/repeated-runs.md).",
        repeat, (1 - 2 * std::pow(0.5, repeat)) * 100);
  }
  return text + "\n\n";
}

std::vector<std::string> CompareArgs(const VariantRuns& a, const VariantRuns& b,
                                     const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"compare", "--label", a.name, "--label", b.name};
  args.insert(args.end(), a.reports.begin(), a.reports.end());
  args.push_back("vs");
  args.insert(args.end(), b.reports.begin(), b.reports.end());
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace fib::bench
