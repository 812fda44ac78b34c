#include "bench/orchestrator/scenarios.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench/loadgen/queueing_theory.h"
#include "bench/orchestrator/aa_check.h"
#include "bench/orchestrator/drain_watch.h"
#include "bench/orchestrator/loadgen_run.h"
#include "bench/orchestrator/repeated_runs.h"
#include "bench/orchestrator/same_work_check.h"
#include "bench/orchestrator/stack_report.h"
#include "bench/orchestrator/waterfall.h"
#include "bench/orchestrator/xy_plot.h"
#include "common/log.h"
#include "common/process.h"
#include "workers/profiles/profile.h"

namespace fib::bench {

// One scaling step: `jobs` accepted, drained by `workers` processes started when all of them
// waited in the queue; times from the workers' start to each email's acceptance.
struct ScalingStep {
  int workers = 0;
  int64_t jobs = 0;
  std::vector<int64_t> done_ms;  // per email, sorted
};

namespace {

namespace fs = std::filesystem;

std::string FormBody(int sequence_length) {
  return fmt::format("email=user{{n}}%40example.com&sequence_length={}", sequence_length);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One row of figures for a run, taken from its report's summary. The implicit noexcept move
// reaches nlohmann::json's assert_invariant, which only asserts.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct RunFigures {
  double p50 = NAN, p99 = NAN, max = NAN, rps = NAN, offered = NAN;
  double e2e_p50 = NAN, e2e_p99 = NAN, e2e_max = NAN, enqueue_p50 = NAN;
  double errors = NAN, requests = NAN, missing = NAN, max_queue = NAN;
  double unanswered = NAN;  // in flight at the end + never sent (behind schedule)
  nlohmann::json stages;    // StageFigures: the waterfall's p50/p99 and Little's law
};

RunFigures Figures(const nlohmann::json& report) {
  RunFigures f;
  f.p50 = SummaryValue(report, "latency_ms", "p50");
  f.p99 = SummaryValue(report, "latency_ms", "p99");
  f.max = SummaryValue(report, "latency_ms", "max");
  f.rps = SummaryValue(report, "", "rps");
  f.offered = SummaryValue(report, "", "offered_rps");
  f.errors = SummaryValue(report, "", "errors");
  f.requests = SummaryValue(report, "", "requests");
  f.e2e_p50 = SummaryValue(report, "e2e_ms", "p50");
  f.e2e_p99 = SummaryValue(report, "e2e_ms", "p99");
  f.e2e_max = SummaryValue(report, "e2e_ms", "max");
  f.missing = SummaryValue(report, "e2e", "missing");
  f.stages = StageFigures(report);
  f.unanswered =
      SummaryValue(report, "", "in_flight_at_end") + SummaryValue(report, "", "unsent_at_end");
  // The web reports its enqueue time in a Server-Timing header, which the loadgen summarises.
  if (report.contains("summary") && report["summary"].contains("server_timing_ms")) {
    const auto& st = report["summary"]["server_timing_ms"];
    if (st.contains("enqueue") && st["enqueue"].contains("p50")) {
      f.enqueue_p50 = st["enqueue"]["p50"].get<double>();
    }
  }
  if (report.contains("redis_samples")) {
    double m = 0;
    for (const auto& s : report["redis_samples"]) m = std::max(m, s.value("queue_depth", 0.0));
    f.max_queue = m;
  }
  return f;
}

// Returns the names of `profile`'s [[job]] stages before its first smtp stage (those the emails'
// X-Fib-Timing carries), or {} when the profile cannot be read.
std::vector<std::string> JobStageNames(const BenchOptions& options, const std::string& profile) {
  auto loaded = LoadProfile(profile, options.profiles_dir);
  std::vector<std::string> names;
  if (!loaded.ok()) return names;
  for (const Stage& stage : loaded->job) {
    if (stage.kind == StageKind::kSmtp) break;
    names.push_back(stage.name);
  }
  return names;
}

// The lesson profile's CPU per job and the cores the workers may use (split: CPU 1 only).
WorkerCpu WorkersCpu(const BenchOptions& options, const std::string& profile) {
  WorkerCpu cpu;
  cpu.cores = options.split_placement ? 1 : static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  auto loaded = LoadProfile(profile, options.profiles_dir);
  if (!loaded.ok()) return cpu;
  for (const Stage& stage : loaded->job) {
    if (stage.kind == StageKind::kCpu) cpu.cpu_ms_per_job += loaded->MeanMs(stage);
  }
  return cpu;
}

// One keep-alive connection per web thread: cpp-httplib (unlike Puma) holds a thread for each
// open connection, so more connections than threads would measure waiting for a thread to free
// up rather than the work. The open-loop schedule still counts any wait from the intended time.
int ConnectionsFor(const BenchOptions& options) { return options.web_threads; }

std::string Count(double v) { return std::isnan(v) ? "—" : fmt::format("{:.0f}", v); }
std::string Rate(double v) { return std::isnan(v) ? "—" : fmt::format("{:.1f}", v); }

std::string Image(const std::string& rel_base, const std::string& alt) {
  return fmt::format("![{}]({}.png)\n\n", alt, rel_base);
}

using ModeFigures = std::array<RunFigures, 2>;  // [0] inline, [1] background
constexpr const char* kModes[2] = {"inline", "background"};

// Returns the spec every run starts from: the form for `sequence_length` posted to `mode`'s web
// at `rate_rps` for `duration_s`, one connection per web thread.
LoadgenSpec SpecFor(const Stack& stack, const std::string& mode, int sequence_length,
                    double rate_rps, double duration_s, const BenchOptions& options) {
  LoadgenSpec spec;
  spec.url = stack.web_url(mode) + "/sequences";
  spec.body = FormBody(sequence_length);
  spec.rate_rps = rate_rps;
  spec.duration_s = duration_s;
  spec.connections = ConnectionsFor(options);
  return spec;
}

// Runs the load generator; returns the figures of its report and sets *json_path (if given).
Result<RunFigures> Measure(const LoadgenSpec& spec, const BenchOptions& options,
                           const std::string& dir, std::string* json_path = nullptr) {
  auto run = RunLoadgen(spec, options.bin_dir, dir);
  if (!run.ok()) return run.status();
  if (json_path) *json_path = run->json_path;
  return Figures(run->report);
}

// Returns the Markdown image link, or a line saying why the plot failed.
std::string ImageOrFailure(const Status& plotted, const std::string& rel_base,
                           const std::string& alt) {
  return plotted.ok() ? Image(rel_base, alt) : "Plot failed: " + plotted.message() + "\n\n";
}

std::string CompareIntro(const std::string& profile, const LoadgenSpec& spec,
                         const std::string& placement) {
  return fmt::format(
      "Both variants of the web app run profile `{}` at a constant {} req/s (open loop, "
      "{} connections) for {} s after a {} s warm-up; each request's email is joined back from the "
      "mail sink's inbox by its X-Request-Id. Placement: {}.\n\n",
      profile, spec.rate_rps, spec.connections, spec.duration_s, spec.warmup_s, placement);
}

// A figure for the comparison table: "not measured" (never a guess) when it is missing.
std::string NotMeasuredOr(double ms) { return std::isnan(ms) ? "not measured" : Ms(ms); }

std::string CompareTable(const ModeFigures& fig) {
  std::string md = "| | inline | background |\n|---|---|---|\n";
  md +=
      fmt::format("| response p50 / p99 (ms) | {} / {} | {} / {} |\n", NotMeasuredOr(fig[0].p50),
                  NotMeasuredOr(fig[0].p99), NotMeasuredOr(fig[1].p50), NotMeasuredOr(fig[1].p99));
  md += fmt::format("| enqueue p50 (ms, web's Server-Timing) | — (none inline) | {} |\n",
                    NotMeasuredOr(fig[1].enqueue_p50));
  md += fmt::format("| time until the email arrives p50 / p99 (ms) | {} / {} | {} / {} |\n",
                    NotMeasuredOr(fig[0].e2e_p50), NotMeasuredOr(fig[0].e2e_p99),
                    NotMeasuredOr(fig[1].e2e_p50), NotMeasuredOr(fig[1].e2e_p99));
  md += fmt::format("| requests / errors / emails missing | {} / {} / {} | {} / {} / {} |\n\n",
                    Count(fig[0].requests), Count(fig[0].errors), Count(fig[0].missing),
                    Count(fig[1].requests), Count(fig[1].errors), Count(fig[1].missing));
  return md;
}

nlohmann::json CompareTotals(const std::string& profile, const LoadgenSpec& spec,
                             const std::string& placement, const ModeFigures& fig) {
  return {{"profile", profile},
          {"rate_rps", spec.rate_rps},
          {"duration_s", spec.duration_s},
          {"placement", placement},
          {"inline",
           {{"p50_ms", NumberOrNull(fig[0].p50)},
            {"p99_ms", NumberOrNull(fig[0].p99)},
            {"email_p50_ms", NumberOrNull(fig[0].e2e_p50)},
            {"email_p99_ms", NumberOrNull(fig[0].e2e_p99)},
            {"requests", NumberOrNull(fig[0].requests)},
            {"errors", NumberOrNull(fig[0].errors)}}},
          {"background",
           {{"p50_ms", NumberOrNull(fig[1].p50)},
            {"p99_ms", NumberOrNull(fig[1].p99)},
            {"enqueue_p50_ms", NumberOrNull(fig[1].enqueue_p50)},
            {"email_p50_ms", NumberOrNull(fig[1].e2e_p50)},
            {"email_p99_ms", NumberOrNull(fig[1].e2e_p99)},
            {"requests", NumberOrNull(fig[1].requests)},
            {"errors", NumberOrNull(fig[1].errors)},
            {"emails_missing", NumberOrNull(fig[1].missing)}}}};
}

nlohmann::json CompareFigures(const std::string& profile, const LoadgenSpec& spec,
                              const std::string& placement, const ModeFigures& fig) {
  nlohmann::json figures = CompareTotals(profile, spec, placement, fig);
  for (int i = 0; i < 2; ++i) figures[kModes[i]].update(fig[i].stages);
  return figures;
}

std::string WaterfallSection(const nlohmann::json& figures) {
  return "### Where the time goes\n\nThe lesson's diagrams with the measured p50 (p99) of each "
         "step, joined per request from the stamps in each email's X-Fib-Timing header (web, "
         "worker and mail sink share CLOCK_REALTIME on this machine):\n\n```\n" +
         LessonDiagrams(figures["inline"], figures["background"]) +
         "```\n\nInline, every stage:\n\n" + StageTable(figures["inline"]) +
         "\nBackground, every stage:\n\n" + StageTable(figures["background"]) + "\n";
}

void AddFibtasticPoint(int n, const ModeFigures& fig, XYPlot* curve, std::string* rows,
                       nlohmann::json* points) {
  curve->series[0].points.push_back({n, fig[0].p50});
  curve->series[1].points.push_back({n, fig[1].p50});
  curve->series[2].points.push_back({n, fig[1].e2e_p50});
  *rows += fmt::format("| {} | {} | {} | {} | {} |\n", n, Ms(fig[0].p50), Ms(fig[1].p50),
                       Ms(fig[1].e2e_p50), Ms(fig[0].e2e_p50));
  points->push_back({{"sequence_length", n},
                     {"inline_p50_ms", NumberOrNull(fig[0].p50)},
                     {"background_p50_ms", NumberOrNull(fig[1].p50)},
                     {"background_email_p50_ms", NumberOrNull(fig[1].e2e_p50)},
                     {"inline_email_p50_ms", NumberOrNull(fig[0].e2e_p50)}});
}

std::string FibtasticIntro(const std::string& placement, const std::string& rows) {
  return fmt::format(
      "The real FibTastic job (rec_sequence, about 2^N calls, then an SMTP send) at 1 req/s for "
      "each "
      "sequence_length. Inline, the response waits for the whole job; in the background variant "
      "the "
      "response stays flat while the time until the email arrives follows the job's exponential "
      "cost. Placement: {}.\n\n"
      "| sequence_length | inline response p50 (ms) | background response p50 (ms) | "
      "background email p50 (ms) | inline email p50 (ms) |\n|---|---|---|---|---|\n{}\n",
      placement, rows);
}

// Mode `i` (0 inline, 1 background) at `rate`; the background run also joins emails and samples
// the queue.
LoadgenSpec SaturationSpec(const Stack& stack, int i, double rate, bool quick,
                           const BenchOptions& options) {
  LoadgenSpec spec = SpecFor(stack, kModes[i], 10, rate, quick ? 3 : 8, options);
  spec.label = fmt::format("{}-{}rps", kModes[i], rate);
  spec.timeout_ms = 30000;
  if (i == 1) {
    spec.mail_url = stack.mail_url();
    spec.drain_s = quick ? 3 : 8;
    spec.redis_url = stack.redis_url();
  }
  return spec;
}

// `fig`: inline and background with constant arrivals; `poisson`: background with Poisson ones.
void AddSaturationStep(double rate, const ModeFigures& fig, const RunFigures& poisson,
                       XYPlot* curve, std::string* rows, nlohmann::json* steps) {
  curve->series[0].points.push_back({rate, fig[0].p99});
  curve->series[1].points.push_back({rate, fig[1].p99});
  curve->series[2].points.push_back({rate, fig[1].e2e_p99});
  curve->series[3].points.push_back({rate, poisson.e2e_p99});
  *rows += fmt::format("| {} | {} | {} / {} | {} | {} / {} | {} / {} | {} | {} | {} / {} | {} |\n",
                       rate, Rate(fig[0].rps), Ms(fig[0].p50), Ms(fig[0].p99),
                       Count(fig[0].unanswered), Ms(fig[1].p50), Ms(fig[1].p99), Ms(fig[1].e2e_p50),
                       Ms(fig[1].e2e_p99), Count(fig[1].missing), Count(fig[1].max_queue),
                       Ms(poisson.e2e_p50), Ms(poisson.e2e_p99), Count(poisson.max_queue));
  steps->push_back({{"offered_rps", rate},
                    {"inline_rps", NumberOrNull(fig[0].rps)},
                    {"inline_p50_ms", NumberOrNull(fig[0].p50)},
                    {"inline_p99_ms", NumberOrNull(fig[0].p99)},
                    {"inline_unanswered", NumberOrNull(fig[0].unanswered)},
                    {"background_p50_ms", NumberOrNull(fig[1].p50)},
                    {"background_p99_ms", NumberOrNull(fig[1].p99)},
                    {"email_p99_ms", NumberOrNull(fig[1].e2e_p99)},
                    {"emails_not_arrived", NumberOrNull(fig[1].missing)},
                    {"max_queue_depth", NumberOrNull(fig[1].max_queue)},
                    {"poisson",
                     {{"background_p50_ms", NumberOrNull(poisson.p50)},
                      {"background_p99_ms", NumberOrNull(poisson.p99)},
                      {"email_p50_ms", NumberOrNull(poisson.e2e_p50)},
                      {"email_p99_ms", NumberOrNull(poisson.e2e_p99)},
                      {"emails_not_arrived", NumberOrNull(poisson.missing)},
                      {"max_queue_depth", NumberOrNull(poisson.max_queue)}}}});
}

// The arrival rate beyond which the lesson's queue grows without bound, from the profile: the
// worker threads over the job's nominal time, capped by the workers' cores over its CPU time.
std::string SaturationTheory(const BenchOptions& options) {
  auto loaded = LoadProfile("lesson", options.profiles_dir);
  if (!loaded.ok()) return "";
  const double job_ms = loaded->MeanMs(StagePhase::kJob);
  if (job_ms <= 0) return "";
  WorkerCpu cpu = WorkersCpu(options, "lesson");
  const int c = options.worker_concurrency;
  double threads_rate = MaxStableRate(c, job_ms, 0, 0);
  double rate = MaxStableRate(c, job_ms, cpu.cpu_ms_per_job, cpu.cores);
  std::string why =
      rate < threads_rate
          ? fmt::format(
                "but its {:g} ms of CPU per job on {} core(s) allow only {:.1f}, so the "
                "cores, not the threads, set the limit",
                cpu.cpu_ms_per_job, cpu.cores, rate)
          : std::string("and the cores are not the limit");
  return fmt::format(
      "Theory: with {} worker threads and a {:g} ms job the queue grows without bound beyond "
      "c ÷ E[S] = {:.1f} jobs/s, {}. Above {:.1f} req/s every step's queue only grows; below it, "
      "constant arrivals wait almost nothing while Poisson ones already queue (the `queueing` "
      "scenario measures how much).\n",
      c, job_ms, threads_rate, why, rate);
}

std::string SaturationIntro(int step_s, const BenchOptions& options, const std::string& placement,
                            const std::string& rows) {
  return fmt::format(
      "The lesson profile at stepped constant rates ({} s per step, a fresh stack for every run). "
      "The "
      "inline variant collapses once its {} threads (and its CPU) are busy; the background variant "
      "keeps answering fast while the queue — and the time until the email arrives — grows once "
      "arrivals exceed what one worker ({} threads) can drain. Inline requests unanswered = still "
      "in "
      "flight or not yet sent (the schedule was behind) when the step ended: the load the inline "
      "variant could not take. Emails not arrived = still queued when the drain window closed. "
      "Placement: {}.\n\n"
      "The last two columns repeat the background run with Poisson arrivals of the same mean "
      "rate (seeded): random arrivals bunch up, so the queue forms and the email waits before "
      "the rate reaches capacity.\n\n"
      "| offered req/s | inline achieved req/s | inline p50 / p99 (ms) | inline requests "
      "unanswered | "
      "background p50 / p99 (ms) | email p50 / p99 (ms) | emails not arrived | max queue depth | "
      "Poisson: email p50 / p99 (ms) | Poisson: max queue depth |\n"
      "|---|---|---|---|---|---|---|---|---|---|\n{}\n",
      step_s, options.web_threads, options.worker_concurrency, placement, rows);
}

double Quantile(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return NAN;
  auto i = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size()))) - 1;
  return static_cast<double>(sorted[std::min(i, sorted.size() - 1)]);
}

void AddScalingStep(const ScalingStep& step, XYPlot* curve, std::string* rows,
                    nlohmann::json* steps) {
  double drain = step.done_ms.empty() ? NAN : static_cast<double>(step.done_ms.back());
  double p50 = Quantile(step.done_ms, 0.5), p99 = Quantile(step.done_ms, 0.99);
  double rate = drain > 0 ? static_cast<double>(step.done_ms.size()) * 1000 / drain : NAN;
  auto missing = static_cast<double>(step.jobs - static_cast<int64_t>(step.done_ms.size()));
  curve->series[0].points.push_back({static_cast<double>(step.workers), drain});
  curve->series[1].points.push_back({static_cast<double>(step.workers), p50});
  *rows += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", step.workers, step.jobs, Ms(p50),
                       Ms(p99), Ms(drain), Rate(rate), Count(missing));
  steps->push_back({{"workers", step.workers},
                    {"jobs", step.jobs},
                    {"email_p50_ms", NumberOrNull(p50)},
                    {"email_p99_ms", NumberOrNull(p99)},
                    {"drain_ms", NumberOrNull(drain)},
                    {"jobs_per_s", NumberOrNull(rate)},
                    {"emails_missing", missing}});
}

std::string ScalingIntro(int64_t burst, int concurrency, const std::string& rows) {
  return fmt::format(
      "`heroku ps:scale worker=N`: a burst of exactly {} lesson jobs is enqueued with no worker "
      "running (the load generator sends {} requests and the scenario waits until all {} jobs "
      "are in the queue), then N worker processes of {} threads each start, not pinned (all "
      "cores). Times count from the workers' start to each email's acceptance, so every row "
      "drains the same work and no worker competes with the load generator. Each job burns "
      "100 ms of CPU and waits 100 ms on the slow mail provider, so more workers help until the "
      "machine's cores are busy.\n\n"
      "| workers | jobs | email p50 (ms) | email p99 (ms) | drain time (ms) | jobs/s | emails "
      "missing |\n|---|---|---|---|---|---|---|\n{}\n",
      burst, burst, burst, concurrency, rows);
}

// The spec of a comparison run: `mode`'s web at a low constant rate, every email joined, the
// queue sampled in the background variant.
LoadgenSpec CompareSpec(const Stack& stack, const std::string& mode, const std::string& label,
                        const BenchOptions& options) {
  const bool q = options.quick;
  LoadgenSpec spec = SpecFor(stack, mode, 10, q ? 3 : 4, q ? 6 : 20, options);
  spec.label = label;
  spec.warmup_s = q ? 1 : 2;
  spec.mail_url = stack.mail_url();
  spec.drain_s = 15;
  spec.redis_url = mode == kModes[1] ? stack.redis_url() : "";
  return spec;
}

HeadlineValues Headline(const RunFigures& f) {
  return {{"p50_ms", f.p50},
          {"p99_ms", f.p99},
          {"enqueue_p50_ms", f.enqueue_p50},
          {"email_p50_ms", f.e2e_p50},
          {"email_p99_ms", f.e2e_p99}};
}

// Runs `modes[0]` and `modes[1]` options.repeat times each on `stack`, interleaved (A B A B …, so
// a drift of the machine hits both), filling `variants` (named already) and `runs`. Returns the
// last run's spec.
Result<LoadgenSpec> RunInterleaved(const Stack& stack, const std::string& run_id,
                                   const std::array<const char*, 2>& modes,
                                   const BenchOptions& options, const std::string& dir,
                                   std::array<VariantRuns, 2>* variants,
                                   std::array<std::vector<RunFigures>, 2>* runs) {
  LoadgenSpec spec;
  for (int r = 0; r < options.repeat; ++r) {
    for (int i = 0; i < 2; ++i) {
      VariantRuns& v = (*variants)[i];
      spec = CompareSpec(stack, modes[i], RunLabel(run_id, v.name, r, options.repeat), options);
      Log("{}: {} run {}/{} at {} req/s for {} s", run_id, v.name, r + 1, options.repeat,
          spec.rate_rps, spec.duration_s);
      std::string json;
      auto run = Measure(spec, options, dir, &json);
      if (!run.ok()) return run.status();
      (*runs)[i].push_back(*run);
      v.reports.push_back(json);
      v.runs.push_back(Headline(*run));
    }
  }
  return spec;
}

// Returns a variant's figures over its runs: the representative run's (stages, max), with the
// headline figures replaced by their medians and the counts summed over the runs.
RunFigures Pooled(const std::vector<RunFigures>& runs, const VariantRuns& v) {
  if (runs.size() == 1) return runs[0];
  RunFigures f = runs[v.Representative()];
  f.p50 = v.Median("p50_ms");
  f.p99 = v.Median("p99_ms");
  f.enqueue_p50 = v.Median("enqueue_p50_ms");
  f.e2e_p50 = v.Median("email_p50_ms");
  f.e2e_p99 = v.Median("email_p99_ms");
  f.requests = f.errors = f.missing = 0;
  for (const RunFigures& r : runs) {
    f.requests += r.requests;
    f.errors += r.errors;
    f.missing += r.missing;
  }
  return f;
}

}  // namespace

// The plots that end a curve scenario's section: an XY curve, then (if `reports` is not empty)
// `fibtastic-report plot` on the runs' reports, of which one image is linked.
struct SectionPlots {
  XYPlot curve;
  std::string curve_file;  // <dir>/<curve_file>.png
  std::string curve_alt;
  std::vector<std::string> reports;
  std::string reports_title;
  std::string reports_image;  // e.g. "plots/queue_depth"
  std::string reports_alt;
};

Scenarios::Scenarios(BenchOptions options, StackWatcher watcher)
    : options_(std::move(options)), watcher_(std::move(watcher)) {}

std::vector<std::string> Scenarios::Builtin() {
  return {"lesson", "fibtastic", "saturation", "scaling", "queueing", "microbench", "heroku"};
}

std::vector<std::string> Scenarios::Names() const {
  std::vector<std::string> names = Builtin();
  for (const auto& p : ListProfiles(options_.profiles_dir)) {
    if (std::find(names.begin(), names.end(), p) == names.end()) names.push_back(p);
  }
  return names;
}

std::string Scenarios::Dir(const std::string& id) const {
  std::string dir = options_.out_dir + "/" + id + options_.id_suffix;
  fs::create_directories(dir + "/logs");
  return dir;
}

Result<Section> Scenarios::Run(const std::string& name) {
  std::string skip = SkipReason(name);
  auto section = skip.empty() ? RunScenario(name)
                              : Result<Section>(SkippedSection(name, options_.stack.name, skip));
  if (!section.ok()) return section;
  section->scenario = name;
  section->stack = options_.stack.name;
  section->id += options_.id_suffix;
  if (!options_.id_suffix.empty()) section->title += " (" + options_.stack.name + " stack)";
  return section;
}

std::string Scenarios::SkipReason(const std::string& name) const {
  return StackSkipReason(options_.stack, name);
}

Result<Section> Scenarios::RunScenario(const std::string& name) {
  if (name == "lesson") return Compare("lesson", "lesson");
  if (name == "fibtastic") return Fibtastic();
  if (name == "saturation") return Saturation();
  if (name == "scaling") return Scaling();
  if (name == "queueing") return Queueing();
  if (name == "microbench") return Microbench();
  if (name == "heroku") return Heroku();
  auto names = Names();
  if (std::find(names.begin(), names.end(), name) != names.end()) return Compare(name, name);
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  return Status::Error("unknown scenario '" + name + "'; available: " + known);
}

Result<std::unique_ptr<Stack>> Scenarios::StartStack(const std::string& id,
                                                     const std::string& profile, int workers,
                                                     int concurrency, bool pin_workers) {
  auto loaded = LoadProfile(profile, options_.profiles_dir);
  if (!loaded.ok()) return loaded.status();
  StackOptions so;
  so.bin_dir = options_.bin_dir;
  so.profiles_dir = options_.profiles_dir;
  so.log_dir = Dir(id) + "/logs";
  so.redis_url = options_.redis_url;
  so.split_placement = options_.split_placement;
  so.web_threads = options_.web_threads;
  // A scenario that fails returns without StopStack: the watcher must not keep a freed stack.
  so.on_destroy = [this] { watcher_(nullptr); };
  so.choice = options_.stack;
  so.rails_dir = options_.rails_dir;
  so.target_urls = options_.targets;
  so.target_mail_url = options_.target_mail_url;
  if (options_.stack.uses_rails()) {
    auto rails_profile = RailsProfile(profile);
    if (!rails_profile.ok()) return rails_profile.status();
    so.profile = *rails_profile;
    so.start_timeout_ms = 90000;  // Rails boots in seconds; more on a busy machine
  }
  auto stack = std::make_unique<Stack>(so);
  watcher_(stack.get());
  if (options_.stack.target()) return stack;  // somebody else's apps: start nothing, stop nothing
  for (Status s : {stack->StartRedis(), stack->StartMailSink(loaded->mail_delay_ms),
                   stack->StartWeb("inline", profile), stack->StartWeb("background", profile),
                   stack->StartWorkers(workers, concurrency, pin_workers)}) {
    if (!s.ok()) {
      watcher_(nullptr);
      return s;
    }
  }
  return stack;
}

Result<std::string> Scenarios::Report(const std::vector<std::string>& args,
                                      const std::string& log_path) {
  std::vector<std::string> argv = {options_.bin_dir + "/fibtastic-report"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto child = ChildProcess::Start({argv, {}, log_path, {}});
  if (!child.ok()) return child.status();
  int code = (*child)->Wait(300000);
  std::string out = ReadFile(log_path);
  if (code != 0) return Status::Error("fibtastic-report " + args[0] + " failed:\n" + out);
  return out;
}

Result<std::string> Scenarios::Plot(const std::vector<std::string>& reports, const std::string& dir,
                                    const std::string& title) {
  std::vector<std::string> args = {"plot"};
  args.insert(args.end(), reports.begin(), reports.end());
  args.insert(args.end(), {"-o", dir + "/plots", "--title", title});
  return Report(args, dir + "/logs/plot.log");
}

void Scenarios::StopStack(std::unique_ptr<Stack>& stack) {
  watcher_(nullptr);
  stack.reset();
}

Section Scenarios::Finish(Section s, const std::string& dir, const SectionPlots& plots) {
  Status curve = PlotXY(plots.curve, dir + "/" + plots.curve_file);
  s.markdown += ImageOrFailure(curve, plots.curve_file, plots.curve_alt);
  if (plots.reports.empty()) return s;
  auto reports = Plot(plots.reports, dir, plots.reports_title);
  if (reports.ok()) s.markdown += Image(plots.reports_image, plots.reports_alt);
  return s;
}

Result<Section> Scenarios::Compare(const std::string& profile, const std::string& id) {
  const std::string run_id = options_.aa ? id + "-aa" : id;
  auto stack = StartStack(run_id, profile, 1, options_.worker_concurrency, true);
  if (!stack.ok()) return stack.status();
  std::string dir = Dir(run_id);
  // A/A: the background variant against itself; otherwise inline against background.
  const std::array<const char*, 2> modes = {options_.aa ? kModes[1] : kModes[0], kModes[1]};
  std::array<VariantRuns, 2> variants;
  variants[0].name = options_.aa ? "A" : kModes[0];
  variants[1].name = options_.aa ? "A2" : kModes[1];
  std::array<std::vector<RunFigures>, 2> runs;
  auto spec = RunInterleaved(**stack, run_id, modes, options_, dir, &variants, &runs);
  if (!spec.ok()) return spec.status();
  std::string placement = (*stack)->placement();
  nlohmann::json rss = RssFigures(**stack);
  const std::string rss_note = options_.stack.target() ? kTargetRssNote : "";
  const std::string mail_url = (*stack)->mail_url(), redis_url = (*stack)->redis_url();
  StopStack(*stack);
  if (options_.aa) {
    auto verdict =
        Report(CompareArgs(variants[0], variants[1], AaCompareFlags()), dir + "/compare.md");
    return AaSection(run_id, profile, *spec, placement, variants, verdict);
  }
  ModeFigures fig = {Pooled(runs[0], variants[0]), Pooled(runs[1], variants[1])};
  std::array<std::string, 2> json = {variants[0].reports[variants[0].Representative()],
                                     variants[1].reports[variants[1].Representative()]};
  auto table =
      Report(options_.repeat == 1
                 ? std::vector<std::string>{"compare", json[0], json[1], "--format", "markdown"}
                 : CompareArgs(variants[0], variants[1], {"--format", "markdown"}),
             dir + "/compare.md");
  auto plots = Plot({json[0], json[1]}, dir, "Profile " + profile + ": inline vs background");
  std::string md = TargetIntro(options_) + CompareIntro(profile, *spec, placement);
  if (options_.repeat > 1)
    md += RepeatIntro(options_.repeat, kModes[0], kModes[1]) +
          IntervalTable(variants[0], variants[1]) + "\n";
  nlohmann::json figures = CompareFigures(profile, *spec, placement, fig);
  nlohmann::json not_measured = NotMeasured(mail_url, redis_url, rss_note, figures);
  md += CompareTable(fig) + RssTable(rss, rss_note) + NotMeasuredMarkdown(not_measured);
  if (table.ok()) md += "Full comparison (`fibtastic-report compare`):\n\n" + *table + "\n";
  md += plots.ok()
            ? Image("plots/latency_percentiles", "percentile spectra, inline vs background") +
                  Image("plots/e2e_latency", "response vs time until the email arrives")
            : "Plots failed: " + plots.message() + "\n\n";
  std::string title = id == "lesson" ? "The lesson: 223 ms vs 24 ms"
                                     : "Profile " + profile + ": inline vs background";
  figures["stack"] = options_.stack.name;
  figures["rss_kb"] = rss;
  figures["not_measured"] = not_measured;
  if (options_.repeat > 1) {
    for (int i = 0; i < 2; ++i) AddIntervals(variants[i], &figures[kModes[i]]);
  }
  md += WaterfallSection(figures);
  if (plots.ok()) {  // fibtastic-report plot drew one waterfall per input report with stages
    for (int i = 0; i < 2; ++i) {
      if (!fig[i].stages["stages"].empty()) {
        md += Image(fmt::format("plots/waterfall_{}", i + 1),
                    fmt::format("{} waterfall: measured p50 bars, p99 whiskers, the lesson's "
                                "figures hatched",
                                kModes[i]));
      }
    }
  }
  return Section{id, title, md, figures};
}

Result<Section> Scenarios::Fibtastic() {
  const bool q = options_.quick;
  std::vector<int> lengths =
      q ? std::vector<int>{5, 15, 22} : std::vector<int>{5, 10, 15, 20, 22, 24, 25, 26, 27};
  auto stack = StartStack("fibtastic", "fibtastic", 1, options_.worker_concurrency, true);
  if (!stack.ok()) return stack.status();
  std::string dir = Dir("fibtastic");
  SectionPlots plots;  // no reports plot: the curve says it all
  plots.curve = {"FibTastic: the exponential job, inline vs background",
                 "sequence_length",
                 "milliseconds (log scale)",
                 false,
                 true,
                 {{"inline response p50", {}},
                  {"background response p50", {}},
                  {"background: time until the email arrives, p50", {}}}};
  plots.curve_file = "fib_curve";
  plots.curve_alt = "response and email time against sequence_length";
  std::string rows;
  nlohmann::json points = nlohmann::json::array();
  for (int n : lengths) {
    ModeFigures fig;
    for (int i = 0; i < 2; ++i) {
      LoadgenSpec spec = SpecFor(**stack, kModes[i], n, 1, q ? 2 : 8, options_);
      spec.label = fmt::format("fib{}-{}", n, kModes[i]);
      spec.mail_url = (*stack)->mail_url();
      spec.drain_s = 20;
      Log("fibtastic: sequence_length {} {}", n, kModes[i]);
      auto run = Measure(spec, options_, dir);
      if (!run.ok()) return run.status();
      fig[i] = *run;
    }
    AddFibtasticPoint(n, fig, &plots.curve, &rows, &points);
  }
  std::string placement = (*stack)->placement();
  StopStack(*stack);
  return Finish({"fibtastic",
                 "FibTastic: the exponential curve",
                 TargetIntro(options_) + FibtasticIntro(placement, rows) + NoInboxNote(options_) +
                     SameWorkCheck(&points),
                 {{"points", points}}},
                dir, plots);
}

Result<Section> Scenarios::Saturation() {
  const bool q = options_.quick;
  std::vector<double> rates = q ? std::vector<double>{4, 16} : std::vector<double>{2, 4, 8, 16, 32};
  std::string dir = Dir("saturation");
  SectionPlots plots{{"Saturation (lesson profile): p99 against offered rate",
                      "offered req/s",
                      "milliseconds (log scale)",
                      true,
                      true,
                      {{"inline response p99", {}},
                       {"background response p99", {}},
                       {"background email p99", {}},
                       {"background email p99, Poisson arrivals", {}}}},
                     "saturation_p99",
                     "p99 against offered rate",
                     {},
                     "Background variant by offered rate",
                     "plots/queue_depth",
                     "queue depth over time"};
  std::string rows, placement;
  nlohmann::json steps = nlohmann::json::array();
  std::vector<SaturationStages> stage_steps;
  for (double rate : rates) {
    // A fresh stack for every run: each starts with an empty queue, and no run shares its cores
    // with the previous one's leftovers (an overloaded inline web goes on answering its backlog
    // after its load generator stops, on the CPU the background web would use next).
    ModeFigures fig;
    RunFigures poisson;
    for (int i = 0; i < 3; ++i) {
      auto stack = StartStack("saturation", "lesson", 1, options_.worker_concurrency, true);
      if (!stack.ok()) return stack.status();
      placement = (*stack)->placement();
      LoadgenSpec spec = SaturationSpec(**stack, std::min(i, 1), rate, q, options_);
      if (i == 2) {  // the background run again with Poisson arrivals of the same mean rate
        spec.label = fmt::format("background-poisson-{}rps", rate);
        spec.arrivals = "poisson";
      }
      Log("saturation: {} at {} req/s{}", kModes[std::min(i, 1)], rate,
          i == 2 ? ", Poisson arrivals" : "");
      std::string json;
      auto run = Measure(spec, options_, dir, &json);
      StopStack(*stack);
      if (!run.ok()) return run.status();
      (i < 2 ? fig[i] : poisson) = *run;
      if (i == 1) plots.reports.push_back(json);
    }
    AddSaturationStep(rate, fig, poisson, &plots.curve, &rows, &steps);
    stage_steps.push_back({rate, fig[1].stages});
    steps.back()["stages"] = fig[1].stages;
  }
  std::string intro = SaturationIntro(q ? 3 : 8, options_, placement, rows) +
                      "Background, where the time goes at each rate (p50 of each stage, joined "
                      "per request from the emails' X-Fib-Timing):\n\n" +
                      SaturationStageTable(stage_steps, JobStageNames(options_, "lesson"),
                                           WorkersCpu(options_, "lesson")) +
                      "\n" + SaturationTheory(options_) + "\n";
  return Finish({"saturation",
                 "Saturation: when work arrives faster than it drains",
                 intro,
                 {{"steps", steps}}},
                dir, plots);
}

Result<Section> Scenarios::Scaling() {
  const bool q = options_.quick;
  std::vector<int> counts = q ? std::vector<int>{1, 2} : std::vector<int>{1, 2, 4};
  const int concurrency = 2;
  const int64_t burst = q ? 40 : 200;
  std::string dir = Dir("scaling");
  SectionPlots plots{{"Scaling workers (heroku ps:scale worker=N): draining a burst",
                      "worker processes",
                      "milliseconds",
                      true,
                      false,
                      {{"drain time (last email − workers' start)", {}}, {"email p50", {}}}},
                     "scaling",
                     "drain time against worker count",
                     {},
                     "Burst drained by N workers",
                     "plots/e2e_latency",
                     "time until the email arrives"};
  std::string rows;
  nlohmann::json steps = nlohmann::json::array();
  for (int workers : counts) {
    auto step = ScalingRun(dir, workers, concurrency, burst);
    if (!step.ok()) return step.status();
    plots.reports.push_back(step->second);
    AddScalingStep(step->first, &plots.curve, &rows, &steps);
  }
  return Finish({"scaling",
                 "Scaling: more workers for a burst",
                 ScalingIntro(burst, concurrency, rows),
                 {{"steps", steps}, {"worker_concurrency", concurrency}, {"burst", burst}}},
                dir, plots);
}

Result<std::pair<ScalingStep, std::string>> Scenarios::ScalingRun(const std::string& dir,
                                                                  int workers, int concurrency,
                                                                  int64_t burst) {
  auto stack = StartStack("scaling", "lesson", 0, concurrency, false);
  if (!stack.ok()) return stack.status();
  LoadgenSpec spec = SpecFor(**stack, "background", 10, 0, 0, options_);
  spec.requests = burst;  // closed loop, exactly `burst` requests
  spec.label = fmt::format("workers-{}", workers);
  spec.mail_url = (*stack)->mail_url();
  spec.drain_s = options_.quick ? 30 : 60;
  spec.redis_url = (*stack)->redis_url();
  Log("scaling: a burst of {} jobs, then {} worker process(es) × {} threads", burst, workers,
      concurrency);
  auto run = StartLoadgen(spec, options_.bin_dir, dir);
  if (!run.ok()) return run.status();
  // Workers start only when the whole burst waits in the queue.
  auto queued = WaitForQueueDepth((*stack)->redis_url(), "default", burst, 60000);
  if (!queued.ok()) return queued.status();
  if (*queued != burst) {
    return Status::Error(
        fmt::format("scaling: {} jobs in the queue, expected exactly {}", *queued, burst));
  }
  int64_t start_us = WallMicros();
  if (Status s = (*stack)->StartWorkers(workers, concurrency, false); !s.ok()) return s;
  auto report = FinishLoadgen(&*run);
  if (!report.ok()) return report.status();
  RunFigures f = Figures(report->report);
  if (f.requests != static_cast<double>(burst) || f.errors != 0) {
    return Status::Error(fmt::format(
        "scaling: the burst was {} requests with {} errors, expected exactly {} accepted; see {}",
        Count(f.requests), Count(f.errors), burst, report->json_path));
  }
  auto received = InboxReceivedTimes((*stack)->mail_url());
  StopStack(*stack);
  if (!received.ok()) return received.status();
  ScalingStep step{workers, burst, {}};
  for (int64_t t : *received) step.done_ms.push_back(std::max<int64_t>(0, t - start_us) / 1000);
  std::sort(step.done_ms.begin(), step.done_ms.end());
  return std::make_pair(std::move(step), report->json_path);
}

}  // namespace fib::bench
