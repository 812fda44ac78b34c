#include "bench/orchestrator/scenarios.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench/orchestrator/loadgen_run.h"
#include "bench/orchestrator/xy_plot.h"
#include "common/log.h"
#include "common/process.h"
#include "workers/profiles/profile.h"

namespace fib::bench {
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

// One row of figures for a run, taken from its report's summary.
struct RunFigures {
  double p50 = NAN, p99 = NAN, max = NAN, rps = NAN, offered = NAN;
  double e2e_p50 = NAN, e2e_p99 = NAN, e2e_max = NAN, enqueue_p50 = NAN;
  double errors = NAN, requests = NAN, missing = NAN, max_queue = NAN;
  double unanswered = NAN;  // in flight at the end + never sent (behind schedule)
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
  f.unanswered = SummaryValue(report, "", "in_flight_at_end") + SummaryValue(report, "", "unsent_at_end");
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

// One keep-alive connection per web thread: cpp-httplib (unlike Puma) holds a thread for each
// open connection, so more connections than threads would measure waiting for a thread to free
// up rather than the work. The open-loop schedule still counts any wait from the intended time.
int ConnectionsFor(const BenchOptions& options) { return options.web_threads; }

std::string Count(double v) { return std::isnan(v) ? "—" : fmt::format("{:.0f}", v); }
std::string Rate(double v) { return std::isnan(v) ? "—" : fmt::format("{:.1f}", v); }

nlohmann::json NumberOrNull(double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); }

std::string Image(const std::string& rel_base, const std::string& alt) {
  return fmt::format("![{}]({}.png)\n\n", alt, rel_base);
}

}  // namespace

Scenarios::Scenarios(BenchOptions options, StackWatcher watcher)
    : options_(std::move(options)), watcher_(std::move(watcher)) {}

std::vector<std::string> Scenarios::Builtin() {
  return {"lesson", "fibtastic", "saturation", "scaling", "microbench"};
}

std::vector<std::string> Scenarios::Names() const {
  std::vector<std::string> names = Builtin();
  for (const auto& p : ListProfiles(options_.profiles_dir)) {
    if (std::find(names.begin(), names.end(), p) == names.end()) names.push_back(p);
  }
  return names;
}

std::string Scenarios::Dir(const std::string& id) const {
  std::string dir = options_.out_dir + "/" + id;
  fs::create_directories(dir + "/logs");
  return dir;
}

Result<Section> Scenarios::Run(const std::string& name) {
  if (name == "lesson") return Compare("lesson", "lesson");
  if (name == "fibtastic") return Fibtastic();
  if (name == "saturation") return Saturation();
  if (name == "scaling") return Scaling();
  if (name == "microbench") return Microbench();
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
  auto stack = std::make_unique<Stack>(so);
  watcher_(stack.get());
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

Result<std::string> Scenarios::Plot(const std::vector<std::string>& reports,
                                    const std::string& dir, const std::string& title) {
  std::vector<std::string> args = {"plot"};
  args.insert(args.end(), reports.begin(), reports.end());
  args.insert(args.end(), {"-o", dir + "/plots", "--title", title});
  return Report(args, dir + "/logs/plot.log");
}

Result<Section> Scenarios::Compare(const std::string& profile, const std::string& id) {
  const bool q = options_.quick;
  auto stack = StartStack(id, profile, 1, options_.worker_concurrency, true);
  if (!stack.ok()) return stack.status();
  std::string dir = Dir(id);
  LoadgenSpec spec;
  spec.body = FormBody(10);
  spec.rate_rps = q ? 3 : 4;
  spec.duration_s = q ? 6 : 20;
  spec.warmup_s = q ? 1 : 2;
  spec.connections = ConnectionsFor(options_);
  spec.mail_url = (*stack)->mail_url();
  spec.drain_s = 15;
  RunFigures fig[2];
  std::string json[2];
  const char* modes[2] = {"inline", "background"};
  for (int i = 0; i < 2; ++i) {
    spec.label = id + "-" + modes[i];
    spec.url = (*stack)->web_url(modes[i]) + "/sequences";
    spec.redis_url = i == 1 ? (*stack)->redis_url() : "";
    Log("{}: {} at {} req/s for {} s", id, modes[i], spec.rate_rps, spec.duration_s);
    auto run = RunLoadgen(spec, options_.bin_dir, dir);
    if (!run.ok()) return run.status();
    fig[i] = Figures(run->report);
    json[i] = run->json_path;
  }
  std::string placement = (*stack)->placement();
  watcher_(nullptr);
  stack->reset();

  auto table = Report({"compare", json[0], json[1], "--format", "markdown"}, dir + "/compare.md");
  auto plots = Plot({json[0], json[1]}, dir, "Profile " + profile + ": inline vs background");
  Section s;
  s.id = id;
  s.title = id == "lesson" ? "The lesson: 223 ms vs 24 ms"
                           : "Profile " + profile + ": inline vs background";
  std::string md;
  md += fmt::format(
      "Both variants of the web app run profile `{}` at a constant {} req/s (open loop, "
      "{} connections) for {} s after a {} s warm-up; each request's email is joined back from the "
      "mail sink's inbox by its X-Request-Id. Placement: {}.\n\n",
      profile, spec.rate_rps, spec.connections, spec.duration_s, spec.warmup_s, placement);
  md += "| | inline | background |\n|---|---|---|\n";
  md += fmt::format("| response p50 / p99 (ms) | {} / {} | {} / {} |\n", Ms(fig[0].p50),
                    Ms(fig[0].p99), Ms(fig[1].p50), Ms(fig[1].p99));
  md += fmt::format("| enqueue p50 (ms, web's Server-Timing) | — | {} |\n", Ms(fig[1].enqueue_p50));
  md += fmt::format("| time until the email arrives p50 / p99 (ms) | {} / {} | {} / {} |\n",
                    Ms(fig[0].e2e_p50), Ms(fig[0].e2e_p99), Ms(fig[1].e2e_p50), Ms(fig[1].e2e_p99));
  md += fmt::format("| requests / errors / emails missing | {} / {} / {} | {} / {} / {} |\n\n",
                    Count(fig[0].requests), Count(fig[0].errors), Count(fig[0].missing),
                    Count(fig[1].requests), Count(fig[1].errors), Count(fig[1].missing));
  if (table.ok()) md += "Full comparison (`fibtastic-report compare`):\n\n" + *table + "\n";
  if (plots.ok()) {
    md += Image("plots/latency_percentiles", "percentile spectra, inline vs background");
    md += Image("plots/e2e_latency", "response vs time until the email arrives");
  } else {
    md += "Plots failed: " + plots.message() + "\n\n";
  }
  s.markdown = md;
  s.figures = {{"profile", profile},
               {"rate_rps", spec.rate_rps},
               {"duration_s", spec.duration_s},
               {"placement", placement},
               {"inline", {{"p50_ms", NumberOrNull(fig[0].p50)}, {"p99_ms", NumberOrNull(fig[0].p99)},
                           {"email_p50_ms", NumberOrNull(fig[0].e2e_p50)},
                           {"email_p99_ms", NumberOrNull(fig[0].e2e_p99)},
                           {"requests", NumberOrNull(fig[0].requests)},
                           {"errors", NumberOrNull(fig[0].errors)}}},
               {"background", {{"p50_ms", NumberOrNull(fig[1].p50)}, {"p99_ms", NumberOrNull(fig[1].p99)},
                               {"enqueue_p50_ms", NumberOrNull(fig[1].enqueue_p50)},
                               {"email_p50_ms", NumberOrNull(fig[1].e2e_p50)},
                               {"email_p99_ms", NumberOrNull(fig[1].e2e_p99)},
                               {"requests", NumberOrNull(fig[1].requests)},
                               {"errors", NumberOrNull(fig[1].errors)},
                               {"emails_missing", NumberOrNull(fig[1].missing)}}}};
  return s;
}

Result<Section> Scenarios::Fibtastic() {
  const bool q = options_.quick;
  std::vector<int> lengths = q ? std::vector<int>{5, 15, 22}
                               : std::vector<int>{5, 10, 15, 20, 22, 24, 25, 26, 27};
  auto stack = StartStack("fibtastic", "fibtastic", 1, options_.worker_concurrency, true);
  if (!stack.ok()) return stack.status();
  std::string dir = Dir("fibtastic");
  XYSeries inline_p50{"inline response p50", {}}, bg_p50{"background response p50", {}},
      bg_email{"background: time until the email arrives, p50", {}};
  std::string rows;
  nlohmann::json points = nlohmann::json::array();
  for (int n : lengths) {
    RunFigures fig[2];
    const char* modes[2] = {"inline", "background"};
    for (int i = 0; i < 2; ++i) {
      LoadgenSpec spec;
      spec.label = fmt::format("fib{}-{}", n, modes[i]);
      spec.url = (*stack)->web_url(modes[i]) + "/sequences";
      spec.body = FormBody(n);
      spec.rate_rps = 1;
      spec.duration_s = q ? 2 : 4;
      spec.connections = ConnectionsFor(options_);
      spec.mail_url = (*stack)->mail_url();
      spec.drain_s = 20;
      Log("fibtastic: sequence_length {} {}", n, modes[i]);
      auto run = RunLoadgen(spec, options_.bin_dir, dir);
      if (!run.ok()) return run.status();
      fig[i] = Figures(run->report);
    }
    inline_p50.points.push_back({n, fig[0].p50});
    bg_p50.points.push_back({n, fig[1].p50});
    bg_email.points.push_back({n, fig[1].e2e_p50});
    rows += fmt::format("| {} | {} | {} | {} | {} |\n", n, Ms(fig[0].p50), Ms(fig[1].p50),
                        Ms(fig[1].e2e_p50), Ms(fig[0].e2e_p50));
    points.push_back({{"sequence_length", n},
                      {"inline_p50_ms", NumberOrNull(fig[0].p50)},
                      {"background_p50_ms", NumberOrNull(fig[1].p50)},
                      {"background_email_p50_ms", NumberOrNull(fig[1].e2e_p50)}});
  }
  std::string placement = (*stack)->placement();
  watcher_(nullptr);
  stack->reset();
  Status plotted = PlotXY({"FibTastic: the exponential job, inline vs background", "sequence_length",
                           "milliseconds (log scale)", false, true,
                           {inline_p50, bg_p50, bg_email}},
                          dir + "/fib_curve");
  Section s;
  s.id = "fibtastic";
  s.title = "FibTastic: the exponential curve";
  s.markdown = fmt::format(
      "The real FibTastic job (rec_sequence, about 2^N calls, then an SMTP send) at 1 req/s for each "
      "sequence_length. Inline, the response waits for the whole job; in the background variant the "
      "response stays flat while the time until the email arrives follows the job's exponential "
      "cost. Placement: {}.\n\n"
      "| sequence_length | inline response p50 (ms) | background response p50 (ms) | "
      "background email p50 (ms) | inline email p50 (ms) |\n|---|---|---|---|---|\n{}\n",
      placement, rows);
  s.markdown += plotted.ok() ? Image("fib_curve", "response and email time against sequence_length")
                             : "Plot failed: " + plotted.message() + "\n\n";
  s.figures = {{"points", points}};
  return s;
}

Result<Section> Scenarios::Saturation() {
  const bool q = options_.quick;
  std::vector<double> rates = q ? std::vector<double>{4, 16} : std::vector<double>{2, 4, 8, 16, 32};
  std::string dir = Dir("saturation");
  XYSeries in_p99{"inline response p99", {}}, bg_p99{"background response p99", {}},
      e2e_p99{"background email p99", {}};
  std::string rows;
  std::vector<std::string> bg_jsons;
  nlohmann::json steps = nlohmann::json::array();
  std::string placement;
  for (double rate : rates) {
    // A fresh stack per step, so every step starts with an empty queue.
    auto stack = StartStack("saturation", "lesson", 1, options_.worker_concurrency, true);
    if (!stack.ok()) return stack.status();
    placement = (*stack)->placement();
    RunFigures fig[2];
    const char* modes[2] = {"inline", "background"};
    for (int i = 0; i < 2; ++i) {
      LoadgenSpec spec;
      spec.label = fmt::format("{}-{}rps", modes[i], rate);
      spec.url = (*stack)->web_url(modes[i]) + "/sequences";
      spec.body = FormBody(10);
      spec.rate_rps = rate;
      spec.duration_s = q ? 3 : 8;
      spec.connections = ConnectionsFor(options_);
      spec.timeout_ms = 30000;
      if (i == 1) {
        spec.mail_url = (*stack)->mail_url();
        spec.drain_s = q ? 3 : 8;
        spec.redis_url = (*stack)->redis_url();
      }
      Log("saturation: {} at {} req/s", modes[i], rate);
      auto run = RunLoadgen(spec, options_.bin_dir, dir);
      if (!run.ok()) return run.status();
      fig[i] = Figures(run->report);
      if (i == 1) bg_jsons.push_back(run->json_path);
    }
    watcher_(nullptr);
    stack->reset();
    in_p99.points.push_back({rate, fig[0].p99});
    bg_p99.points.push_back({rate, fig[1].p99});
    e2e_p99.points.push_back({rate, fig[1].e2e_p99});
    rows += fmt::format("| {} | {} | {} / {} | {} | {} / {} | {} / {} | {} | {} |\n", rate,
                        Rate(fig[0].rps), Ms(fig[0].p50), Ms(fig[0].p99), Count(fig[0].unanswered),
                        Ms(fig[1].p50), Ms(fig[1].p99), Ms(fig[1].e2e_p50), Ms(fig[1].e2e_p99),
                        Count(fig[1].missing), Count(fig[1].max_queue));
    steps.push_back({{"offered_rps", rate},
                     {"inline_rps", NumberOrNull(fig[0].rps)},
                     {"inline_p50_ms", NumberOrNull(fig[0].p50)},
                     {"inline_p99_ms", NumberOrNull(fig[0].p99)},
                     {"inline_unanswered", NumberOrNull(fig[0].unanswered)},
                     {"background_p50_ms", NumberOrNull(fig[1].p50)},
                     {"background_p99_ms", NumberOrNull(fig[1].p99)},
                     {"email_p99_ms", NumberOrNull(fig[1].e2e_p99)},
                     {"emails_not_arrived", NumberOrNull(fig[1].missing)},
                     {"max_queue_depth", NumberOrNull(fig[1].max_queue)}});
  }
  Status curve = PlotXY({"Saturation (lesson profile): p99 against offered rate", "offered req/s",
                         "milliseconds (log scale)", true, true, {in_p99, bg_p99, e2e_p99}},
                        dir + "/saturation_p99");
  auto plots = Plot(bg_jsons, dir, "Background variant by offered rate");
  Section s;
  s.id = "saturation";
  s.title = "Saturation: when work arrives faster than it drains";
  s.markdown = fmt::format(
      "The lesson profile at stepped constant rates ({} s per step, a fresh stack each step). The "
      "inline variant collapses once its {} threads (and its CPU) are busy; the background variant "
      "keeps answering fast while the queue — and the time until the email arrives — grows once "
      "arrivals exceed what one worker ({} threads) can drain. Inline requests unanswered = still in "
      "flight or not yet sent (the schedule was behind) when the step ended: the load the inline "
      "variant could not take. Emails not arrived = still queued when the drain window closed. "
      "Placement: {}.\n\n"
      "| offered req/s | inline achieved req/s | inline p50 / p99 (ms) | inline requests unanswered | "
      "background p50 / p99 (ms) | email p50 / p99 (ms) | emails not arrived | max queue depth |\n"
      "|---|---|---|---|---|---|---|---|\n{}\n",
      q ? 3 : 8, options_.web_threads, options_.worker_concurrency, placement, rows);
  s.markdown += curve.ok() ? Image("saturation_p99", "p99 against offered rate")
                           : "Plot failed: " + curve.message() + "\n\n";
  if (plots.ok()) s.markdown += Image("plots/queue_depth", "queue depth over time");
  s.figures = {{"steps", steps}};
  return s;
}

Result<Section> Scenarios::Scaling() {
  const bool q = options_.quick;
  std::vector<int> counts = q ? std::vector<int>{1, 2} : std::vector<int>{1, 2, 4};
  const int concurrency = 2;
  std::string dir = Dir("scaling");
  XYSeries drain{"drain time (last email − first request)", {}}, p50{"email p50", {}};
  std::string rows;
  std::vector<std::string> jsons;
  nlohmann::json steps = nlohmann::json::array();
  double rate = q ? 30 : 50, duration = q ? 1.5 : 4;
  for (int workers : counts) {
    auto stack = StartStack("scaling", "lesson", workers, concurrency, false);
    if (!stack.ok()) return stack.status();
    LoadgenSpec spec;
    spec.label = fmt::format("workers-{}", workers);
    spec.url = (*stack)->web_url("background") + "/sequences";
    spec.body = FormBody(10);
    spec.rate_rps = rate;
    spec.duration_s = duration;
    spec.connections = ConnectionsFor(options_);
    spec.mail_url = (*stack)->mail_url();
    spec.drain_s = q ? 30 : 60;
    spec.redis_url = (*stack)->redis_url();
    Log("scaling: a burst of {:.0f} jobs, {} worker process(es) × {} threads", rate * duration,
        workers, concurrency);
    auto run = RunLoadgen(spec, options_.bin_dir, dir);
    watcher_(nullptr);
    stack->reset();
    if (!run.ok()) return run.status();
    RunFigures f = Figures(run->report);
    jsons.push_back(run->json_path);
    drain.points.push_back({static_cast<double>(workers), f.e2e_max});
    p50.points.push_back({static_cast<double>(workers), f.e2e_p50});
    rows += fmt::format("| {} | {} | {} | {} | {} | {} |\n", workers, Count(f.requests),
                        Ms(f.e2e_p50), Ms(f.e2e_p99), Ms(f.e2e_max), Count(f.missing));
    steps.push_back({{"workers", workers},
                     {"jobs", NumberOrNull(f.requests)},
                     {"email_p50_ms", NumberOrNull(f.e2e_p50)},
                     {"email_p99_ms", NumberOrNull(f.e2e_p99)},
                     {"drain_ms", NumberOrNull(f.e2e_max)},
                     {"emails_missing", NumberOrNull(f.missing)}});
  }
  Status curve = PlotXY({"Scaling workers (heroku ps:scale worker=N): draining a burst",
                         "worker processes", "milliseconds", true, false, {drain, p50}},
                        dir + "/scaling");
  auto plots = Plot(jsons, dir, "Burst drained by N workers");
  Section s;
  s.id = "scaling";
  s.title = "Scaling: more workers for a burst";
  s.markdown = fmt::format(
      "A burst of {:.0f} lesson jobs ({} req/s for {} s) drained by 1, 2{} worker processes of {} "
      "threads each, not pinned (all cores). Each job burns 100 ms of CPU and waits 100 ms on the "
      "slow mail provider, so more workers help until the machine's cores are busy.\n\n"
      "| workers | jobs | email p50 (ms) | email p99 (ms) | drain time (ms) | emails missing |\n"
      "|---|---|---|---|---|---|\n{}\n",
      rate * duration, rate, duration, q ? "" : " and 4", concurrency, rows);
  s.markdown += curve.ok() ? Image("scaling", "drain time against worker count")
                           : "Plot failed: " + curve.message() + "\n\n";
  if (plots.ok()) s.markdown += Image("plots/e2e_latency", "time until the email arrives");
  s.figures = {{"steps", steps}, {"worker_concurrency", concurrency}};
  return s;
}

}  // namespace fib::bench
