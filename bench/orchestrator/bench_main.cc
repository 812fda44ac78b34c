// fibtastic-bench: the `make bench` orchestrator. Starts private Redis, the mail sink, both web
// variants and workers per scenario, drives them with fibtastic-loadgen, and writes
// results/runs/<UTC time>/ (JSON, hgrm, CSV, plots, report.md, summary.json) with results/latest.
#include <fmt/format.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <mutex>

#include "bench/orchestrator/machine_load_sampler.h"
#include "bench/orchestrator/report_writer.h"
#include "bench/orchestrator/scenarios.h"
#include "bench/orchestrator/stack_flags.h"
#include "bench/orchestrator/stack_report.h"
#include "bench/orchestrator/waterfall.h"
#include "common/build_info.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/shutdown.h"
#include "common/text.h"
#include "common/time_format.h"

namespace fs = std::filesystem;

namespace {

std::string UtcStamp() { return fib::FormatUtc(time(nullptr), "%Y%m%dT%H%M%SZ"); }

std::string CommandOutput(const std::string& command) {
  std::string out;
  FILE* p = popen((command + " 2>/dev/null").c_str(), "r");
  if (!p) return "";
  char buf[256];
  while (fgets(buf, sizeof buf, p)) out += buf;
  pclose(p);
  return fib::Trim(out);
}

std::vector<std::string> Split(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string item = fib::Trim(list.substr(start, comma - start));
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// Checks that every program a run needs exists before anything starts.
fib::Status CheckPrograms(const std::string& bin_dir, bool need_redis, bool need_rails,
                          const std::string& rails_dir) {
  if (need_rails) {
    for (const char* p : {"bin/web", "bin/worker"}) {
      if (access((rails_dir + "/" + p).c_str(), X_OK) != 0) {
        return fib::Status::Error(rails_dir + "/" + p +
                                  " is missing: the Rails stack needs the Rails app (merge its "
                                  "branch, or give --rails-dir); see docs/targets.md");
      }
    }
  }
  for (const char* p :
       {"fibtastic-web", "fibtastic-worker", "fibtastic-mailsink", "fibtastic-loadgen",
        "fibtastic-report", "fibtastic-microbench", "fibtastic-enqueue-bench"}) {
    if (access((bin_dir + "/" + p).c_str(), X_OK) != 0) {
      return fib::Status::Error(bin_dir + "/" + p + " is missing; build first with `make`");
    }
  }
  if (need_redis && CommandOutput("command -v redis-server").empty()) {
    return fib::Status::Error("redis-server is not installed; run scripts/install-deps");
  }
  if (CommandOutput("command -v gnuplot").empty()) {
    return fib::Status::Error("gnuplot is not installed; run scripts/install-deps (gnuplot-nox)");
  }
  return fib::Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  fib::SetLogProgram("fibtastic-bench");
  fib::bench::BenchOptions options;
  std::string scenario_list = "lesson,fibtastic,saturation,scaling,queueing,microbench";
  std::string results_dir = "results";
  std::string placement = "split";
  options.bin_dir = fs::path(argv[0]).parent_path().string();
  if (options.bin_dir.empty()) options.bin_dir = ".";
  options.profiles_dir = FIB_PROFILES_DIR;
  options.redis_url = fib::EnvOr("REDIS_URL", "");
  fib::FlagSet flags(
      "fibtastic-bench", "[options]",
      "Runs the benchmark scenarios against real processes and writes a report.\n"
      "Scenarios: lesson, fibtastic, saturation, scaling, microbench, heroku (needs root; "
      "docs/heroku.md), or the name of "
      "any profile\nin --profiles-dir (runs the inline-vs-background comparison on it).");
  flags.String("scenario", 's', &scenario_list, "LIST", "comma-separated scenarios to run");
  flags.Bool("quick", 'q', &options.quick, "shorten every scenario (whole run about 2 min)");
  flags.String("results-dir", 0, &results_dir, "DIR",
               "runs go to DIR/runs/<UTC time>, linked as DIR/latest");
  flags.String("placement", 0, &placement, "split|shared",
               "split: web on CPU 0, workers on CPU 1 (like separate dynos); shared: no pinning");
  flags.String(
      "redis-url", 0, &options.redis_url, "URL",
      "use this Redis instead of a private redis-server (env REDIS_URL); it is written to");
  flags.String("bin-dir", 0, &options.bin_dir, "DIR", "where the fibtastic-* programs are");
  flags.String("profiles-dir", 0, &options.profiles_dir, "DIR", "stage profiles (*.toml)");
  flags.Int("web-threads", 0, &options.web_threads, "N", "threads per web process");
  flags.Int("worker-concurrency", 0, &options.worker_concurrency, "N",
            "threads per worker process");
  flags.Int("repeat", 'r', &options.repeat, "N",
            "runs of each variant in the comparison scenarios (lesson, profiles), interleaved; "
            "N > 1 reports medians with bootstrap 95% intervals (3 or more runs), 1 to 100");
  flags.Bool("aa", 0, &options.aa,
             "A/A check: the comparison scenarios run the background variant against itself "
             "--repeat times a side (3 or more) and compare with intervals; nothing should be "
             "flagged (default scenario: lesson)");
  fib::bench::StackFlags stack_flags;
  stack_flags.rails_dir = std::string(FIB_SOURCE_DIR) + "/peers/rails-fibtastic";
  stack_flags.Register(&flags);
  flags.String("heroku-only", 0, &options.heroku_only, "LIST",
               "heroku scenario: run only these parts (lesson, scaling, worker_redis, web_redis, "
               "worker_provider), comma-separated; default: all");
  const std::string all_scenarios = scenario_list;
  flags.ParseOrExit(argc, argv);
  auto stacks = stack_flags.Resolve(&options);
  if (!stacks.ok()) {
    fmt::print(stderr, "fibtastic-bench: {}\n", stacks.message());
    return 2;
  }
  if (options.repeat < 1 || options.repeat > 100) {
    fmt::print(stderr, "fibtastic-bench: --repeat takes 1 to 100, got {}\n", options.repeat);
    return 2;
  }
  if (options.aa && options.repeat < 3) {
    fmt::print(
        stderr,
        "fibtastic-bench: --aa needs --repeat 3 or more (an interval needs 3 runs a side)\n");
    return 2;
  }
  if (options.aa && scenario_list == all_scenarios) scenario_list = "lesson";
  if (placement != "split" && placement != "shared") {
    fmt::print(stderr, "fibtastic-bench: --placement takes split or shared, got '{}'\n", placement);
    return 2;
  }
  options.split_placement = placement == "split" && sysconf(_SC_NPROCESSORS_ONLN) >= 2;

  std::vector<std::string> scenarios = Split(scenario_list);
  if (scenarios.empty()) {
    fmt::print(stderr, "fibtastic-bench: --scenario is empty\n");
    return 2;
  }
  // Unknown names are refused before anything starts.
  fib::bench::Scenarios probe(options, [](fib::bench::Stack*) {});
  auto names = probe.Names();
  const auto builtin = fib::bench::Scenarios::Builtin();
  for (const auto& s : scenarios) {
    if (options.aa && s != "lesson" &&
        std::find(builtin.begin(), builtin.end(), s) != builtin.end()) {
      fmt::print(stderr,
                 "fibtastic-bench: --aa runs comparison scenarios only (lesson or a "
                 "profile name), not '{}'\n",
                 s);
      return 2;
    }
    if (std::find(names.begin(), names.end(), s) == names.end()) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      fmt::print(stderr, "fibtastic-bench: unknown scenario '{}'; available: {}\n", s, known);
      return 2;
    }
  }
  bool need_rails = false;
  for (const auto& st : *stacks) need_rails = need_rails || st.uses_rails();
  fib::Status ready =
      CheckPrograms(options.bin_dir, options.redis_url.empty() && !options.stack.target(),
                    need_rails, options.rails_dir);
  if (!ready.ok()) {
    fmt::print(stderr, "fibtastic-bench: {}\n", ready.message());
    return 1;
  }

  std::string stamp = UtcStamp();
  options.out_dir = results_dir + "/runs/" + stamp;
  fs::create_directories(options.out_dir);

  // Ctrl-C or TERM: kill whatever runs now and leave at once; children die with us (PDEATHSIG).
  std::mutex watched_mu;
  fib::bench::Stack* watched = nullptr;
  fib::ShutdownSignals signals([&](int sig) {
    {
      std::lock_guard<std::mutex> lock(watched_mu);
      if (watched) watched->KillAll();
    }
    fib::Log("interrupted (signal {}); stopped every process this run started", sig);
    _exit(130);
  });
  auto watch = [&](fib::bench::Stack* s) {
    std::lock_guard<std::mutex> lock(watched_mu);
    watched = s;
  };

  nlohmann::json conditions = fib::BuildConditions();
  conditions["date_utc"] = stamp;
  conditions["mode"] = options.quick ? "QUICK=1 (shortened)" : "full";
  conditions["placement"] = options.split_placement ? "split (web CPU 0, workers CPU 1)" : "shared";
  conditions["web_threads"] = options.web_threads;
  conditions["worker_concurrency"] = options.worker_concurrency;
  conditions["redis"] = CommandOutput("redis-server --version");
  conditions["redis_persistence"] =
      options.redis_url.empty()
          ? "none: the private redis-server runs without AOF or snapshots (latency is unaffected; "
            "a Redis crash would lose queued jobs, which no scenario does)"
          : "as configured on the given --redis-url";
  conditions["gnuplot"] = CommandOutput("gnuplot --version");
  conditions["scenarios"] = scenario_list;
  fib::bench::AddStackConditions(*stacks, options, &conditions);
  if (options.repeat > 1) {
    conditions["repeat"] = fmt::format(
        "{} runs of each variant in the comparison scenarios, interleaved; medians with "
        "bootstrap 95% intervals",
        options.repeat);
  }
  if (options.aa) conditions["aa"] = "A/A check: the background variant against itself";
  if (fib::IsDebugBuild()) fib::Log("{}", conditions["warning"].get<std::string>());

  std::vector<fib::bench::Section> sections;
  std::vector<std::string> failures;
  std::vector<std::string> busy_warnings;
  for (size_t k = 0; k < stacks->size(); ++k) {
    fib::bench::Scenarios runner(fib::bench::OptionsForStack(options, *stacks, k), watch);
    for (const auto& scenario : scenarios) {
      const std::string name = scenario + fib::bench::StackSuffix(*stacks, k);
      fib::Log("scenario {} ...", name);
      fib::bench::MachineLoadSampler machine_load;  // "ours": this process and all it starts
      machine_load.Start();
      auto section = runner.Run(scenario);
      fib::bench::MachineLoad load = machine_load.Stop();
      conditions["machine_load_" + name] = fib::bench::MachineLoadCondition(load, name);
      std::string busy = fib::bench::BusyWarning(load, name);
      if (!busy.empty()) {
        fib::Log("{}", busy);
        busy_warnings.push_back(busy);
      }
      if (section.ok()) {
        section->figures["machine_load"] = fib::bench::MachineLoadJson(load);
        if (!busy.empty()) section->markdown = "> **" + busy + "**\n\n" + section->markdown;
        sections.push_back(std::move(*section));
      } else {
        failures.push_back(name + ": " + section.message());
        fib::Log("scenario {} FAILED: {}", name, section.message());
      }
    }
  }
  if (fib::bench::WantsStackComparison(*stacks)) {
    sections.push_back(fib::bench::StackComparison(
        sections, *stacks,
        fib::bench::DrainRatesFor(*stacks, options, std::string(FIB_SOURCE_DIR))));
  }
  fib::Status written = fib::bench::WriteReport(options.out_dir, sections, conditions, failures);
  std::error_code ec;
  fs::remove(results_dir + "/latest", ec);
  fs::create_directory_symlink("runs/" + stamp, results_dir + "/latest", ec);
  for (const auto& s : sections) {
    if (s.figures.contains("verdict"))
      fmt::print("\n{}: {}\n", s.id, s.figures["verdict"].get<std::string>());
    if (s.id != "lesson") continue;
    fmt::print("\n{}\n", fib::bench::HeadlineTable(s.figures));
    fmt::print("Where the time goes (p50 of each step, measured per request):\n\n{}\n",
               fib::bench::LessonDiagrams(s.figures["inline"], s.figures["background"]));
  }
  if (!written.ok()) {
    fmt::print(stderr, "fibtastic-bench: {}\n", written.message());
    return 1;
  }
  for (const auto& w : busy_warnings) fmt::print("{}\n", w);
  fmt::print("Report: {}/report.md (also {}/latest/report.md; report.html beside it)\n",
             options.out_dir, results_dir);
  if (!failures.empty()) {
    for (const auto& f : failures) fmt::print(stderr, "fibtastic-bench: FAILED {}\n", f);
    return 1;
  }
  return 0;
}
