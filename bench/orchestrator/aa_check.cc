#include "bench/orchestrator/aa_check.h"

#include <fmt/format.h>

namespace fib::bench {

namespace {

const std::vector<std::string>& Gates() {
  static const std::vector<std::string> kGates = {"p50>+10%", "p50<-10%",     "p99>+10%",
                                                  "p99<-10%", "e2e_p50>+10%", "e2e_p50<-10%"};
  return kGates;
}

// Returns the verdict sentence; sets *flagged unless the comparison itself failed.
std::string Verdict(const Result<std::string>& compare, size_t runs, nlohmann::json* flagged) {
  if (compare.ok()) {
    *flagged = false;
    return "A/A check passed: no difference flagged, as it should be — A and A2 are the same "
           "build and variant, so every gate's interval stays inside its limit or reaches back "
           "across it.";
  }
  if (compare.message().find("\nFAIL ") == std::string::npos) {
    return "A/A check not judged: the comparison failed: " + compare.message();
  }
  *flagged = true;
  return fmt::format(
      "WARNING: the A/A check flagged a difference that is not there: A and A2 are the same "
      "build and variant, so the machine moved the figures by more than ±10% between runs at {} "
      "runs a side. Differences of that size between other runs on this machine are not to be "
      "trusted; run on a quieter machine or with more runs (--repeat).",
      runs);
}

}  // namespace

std::vector<std::string> AaCompareFlags() {
  std::vector<std::string> flags;
  for (const std::string& gate : Gates()) flags.insert(flags.end(), {"--fail-if", gate});
  flags.insert(flags.end(), {"--format", "markdown"});
  return flags;
}

Section AaSection(const std::string& id, const std::string& profile, const LoadgenSpec& spec,
                  const std::string& placement, const std::array<VariantRuns, 2>& variants,
                  const Result<std::string>& compare) {
  size_t runs = variants[0].runs.size();
  nlohmann::json figures = {
      {"variant", "background"}, {"runs", runs}, {"gates", Gates()}, {"flagged", nullptr}};
  for (const VariantRuns& v : variants) AddIntervals(v, &figures[v.name]);
  std::string verdict = Verdict(compare, runs, &figures["flagged"]);
  figures["verdict"] = verdict;
  std::string md =
      fmt::format(
          "A/A: the background variant of profile `{}` runs {} times as A and {} times as A2, "
          "interleaved on one stack, each run at a constant {} req/s ({} connections) for {} s "
          "after a {} s warm-up, every email joined. A and A2 are the same build and variant, "
          "compared with intervals under the gates {}: nothing differs but chance, so no "
          "difference should be flagged. Placement: {}.\n\n",
          profile, runs, runs, spec.rate_rps, spec.connections, spec.duration_s, spec.warmup_s,
          fmt::join(Gates(), ", "), placement) +
      RepeatIntro(static_cast<int>(runs), variants[0].name, variants[1].name) +
      IntervalTable(variants[0], variants[1]) + "\n";
  // A breach makes compare exit 1; its table and FAIL lines follow the first line of the error.
  const std::string& text = compare.ok() ? *compare : compare.message();
  if (figures["flagged"].is_boolean()) {
    md += "`fibtastic-report compare`:\n\n" + text.substr(compare.ok() ? 0 : text.find('\n') + 1) +
          "\n";
  }
  md += (figures["flagged"] == true ? "**" + verdict + "**" : verdict) + "\n\n";
  return Section{id, "A/A check: the background variant against itself", md, figures};
}

}  // namespace fib::bench
