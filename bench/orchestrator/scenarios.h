// The `make bench` scenarios. Each starts its own stack (fresh Redis, mail sink, webs, workers),
// drives it with fibtastic-loadgen, and returns a report section: Markdown with tables and plot
// links, and the figures for summary.json.
// Thread-safety: run one scenario at a time from the orchestrator thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "bench/orchestrator/stack.h"
#include "common/status.h"

namespace fib::bench {

struct BenchOptions {
  bool quick = false;  // QUICK=1: every scenario shortened so the whole run takes about 2 min
  std::string bin_dir;
  std::string profiles_dir;
  std::string out_dir;    // results/runs/<UTC time>
  std::string redis_url;  // external Redis; "" = private redis-server per scenario
  bool split_placement = true;
  int web_threads = 5;
  int worker_concurrency = 10;
  // --repeat: runs of each variant in a comparison scenario, interleaved (docs/repeated-runs.md)
  int repeat = 1;
  bool aa = false;        // --aa: comparison scenarios run the background variant against itself
  StackChoice stack;      // --stack: whose web and worker run; "target" for --target
  std::string rails_dir;  // --rails-dir: the Rails peer (bin/web, bin/worker)
  std::map<std::string, std::string> targets;  // --target: mode -> base URL of an app not ours
  std::string target_mail_url;                 // --mail-url: a target's mail sink inbox, or ""
  std::string id_suffix;  // appended to each section's id and folder ("-rails" for a 2nd stack)
  // --heroku-only: the heroku scenario's parts to run (lesson, scaling, worker_redis, web_redis,
  // worker_provider), comma-separated; "" = all
  std::string heroku_only;
};

struct Section {
  std::string id;  // scenario name, also the folder of its files
  std::string title;
  std::string markdown;  // the section body (tables, plot links), without its heading
  nlohmann::json figures = nlohmann::json::object();
  std::string scenario = "";  // the scenario's name (id without the stack's suffix)
  std::string stack = "";     // the stack it ran on (StackChoice::name)
};

// Called with each stack a scenario starts and nullptr when it stops, so Ctrl-C can kill it.
using StackWatcher = std::function<void(Stack*)>;

struct SectionPlots;  // scenarios.cc
struct ScalingStep;   // scenarios.cc

class Scenarios {
 public:
  Scenarios(BenchOptions options, StackWatcher watcher);

  // Returns the names `Run` accepts: the built-in scenarios, then every profile name (which runs
  // the headline inline-vs-background comparison on that profile).
  std::vector<std::string> Names() const;
  static std::vector<std::string> Builtin();
  // Runs scenario `name` on options.stack; a scenario that cannot run there (e.g. saturation on a
  // target, which it cannot restart) returns a section that says it was skipped and why.
  Result<Section> Run(const std::string& name);
  // Returns why scenario `name` cannot run on options.stack, or "" when it can.
  std::string SkipReason(const std::string& name) const;

 private:
  Result<Section> RunScenario(const std::string& name);
  Result<Section> Compare(const std::string& profile, const std::string& id);  // "lesson" etc.
  Result<Section> Fibtastic();
  Result<Section> Saturation();
  Result<Section> Scaling();
  // One step of Scaling: a stack with no worker, a burst of exactly `burst` jobs, then `workers`
  // processes. Returns the step and its load generator report's path.
  Result<std::pair<ScalingStep, std::string>> ScalingRun(const std::string& dir, int workers,
                                                         int concurrency, int64_t burst);
  Result<Section> Queueing();
  Result<Section> Microbench();
  Result<Section> Heroku();  // heroku_scenario.cc

  // Starts Redis, the mail sink (with the profile's delay), both webs and workers.
  Result<std::unique_ptr<Stack>> StartStack(const std::string& id, const std::string& profile,
                                            int workers, int concurrency, bool pin_workers);
  std::string Dir(const std::string& id) const;
  // Runs `fibtastic-report <args>`; returns its stdout.
  Result<std::string> Report(const std::vector<std::string>& args, const std::string& log_path);
  // Runs `fibtastic-report plot` on `reports` into <dir>/plots.
  Result<std::string> Plot(const std::vector<std::string>& reports, const std::string& dir,
                           const std::string& title);

  // Tells the watcher, then stops every process of `stack`.
  void StopStack(std::unique_ptr<Stack>& stack);
  // Returns `s` with its plots appended: the curve's image (or why it failed), then the reports'
  // plot when it was made.
  Section Finish(Section s, const std::string& dir, const SectionPlots& plots);

  BenchOptions options_;
  StackWatcher watcher_;
};

}  // namespace fib::bench
