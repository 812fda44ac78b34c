// StackReport: the parts of `make bench`'s report that concern which stack ran — scenarios skipped
// on a stack (and why), the figures a stack could not measure (and what the app must do), RSS per
// process, summary.json's `stacks` object, and the side-by-side section of `--stack cpp,rails`
// (docs/targets.md).
// Thread-safety: pure functions, except WorkerDrainRates, which runs a child process.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/orchestrator/scenarios.h"
#include "bench/orchestrator/stack.h"
#include "bench/orchestrator/stack_choice.h"
#include "common/status.h"

namespace fib::bench {

// Why a target has no RSS figure.
inline constexpr const char* kTargetRssNote =
    "not measured: the orchestrator did not start the app, so it knows no process of it (read "
    "the app's own RSS, e.g. ps -o rss)";

// Returns the line that opens a section run on a target (its URLs, and that the load is the
// profile's while the app runs whatever it runs), or "" for a stack the orchestrator started.
std::string TargetIntro(const BenchOptions& options);
// Returns the line saying the email columns were not measured (a target without --mail-url),
// or "".
std::string NoInboxNote(const BenchOptions& options);
// Returns why scenario `name` cannot run on `stack`, or "" when it can.
std::string StackSkipReason(const StackChoice& stack, const std::string& name);
// Returns the section of a scenario skipped on `stack`: it says so and why.
Section SkippedSection(const std::string& name, const std::string& stack,
                       const std::string& reason);

// Returns service name -> RSS in kB of every process `stack` runs (forks included).
nlohmann::json RssFigures(Stack& stack);
// Returns a one-row table of `rss`, or `note` when it is not empty.
std::string RssTable(const nlohmann::json& rss, const std::string& note);

// Returns {"inline": {figure: why}, "background": {figure: why}} for every figure of a comparison
// (CompareFigures) that is null, with what the app must do to have it; "rss" gets `rss_note`.
nlohmann::json NotMeasured(const std::string& mail_url, const std::string& redis_url,
                           const std::string& rss_note, const nlohmann::json& figures);
// Returns the "Not measured" list of a NotMeasured object, or "" when everything was measured.
std::string NotMeasuredMarkdown(const nlohmann::json& not_measured);

// Returns summary.json's `stacks`: stacks.<stack>.lesson.<inline|background>.{p50_ms, p99_ms,
// email_p50_ms, enqueue_p50_ms} (null when not measured) from each stack's lesson section.
nlohmann::json StacksSummary(const std::vector<Section>& sections);

// Returns the highest offered rate of a saturation section's steps up to which the background
// response p99 stayed under `p99_limit_ms` at every step; NaN when none did or no steps ran.
double HighestRateHeld(const nlohmann::json& saturation_figures, double p99_limit_ms);

// Runs bench/calibration/worker_throughput.sh with `jobs` no-op jobs (our worker vs Ruby
// Sidekiq on one private Redis); returns {ours_jobs_per_s, sidekiq_jobs_per_s, ratio, jobs,
// command}, or an error pointing at `log_path`.
Result<nlohmann::json> WorkerDrainRates(const std::string& script, const std::string& bin_dir,
                                        int jobs, const std::string& log_path);

// Returns the "stacks" section: the stacks' lesson, enqueue, saturation, RSS and drain figures
// side by side. `drain` is WorkerDrainRates' object, or {"error": why}, or null (not run).
Section StackComparison(const std::vector<Section>& sections,
                        const std::vector<StackChoice>& stacks, const nlohmann::json& drain);

}  // namespace fib::bench
