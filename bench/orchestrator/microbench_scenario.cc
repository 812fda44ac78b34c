// The microbench scenario: Google Benchmark figures (the fib curve, an SMTP send to the sink,
// enqueue vs a raw LPUSH round trip) run against this run's private Redis and mail sink.
#include <fmt/format.h>

#include <cmath>
#include <fstream>

#include "bench/orchestrator/scenarios.h"
#include "bench/orchestrator/xy_plot.h"
#include "common/log.h"
#include "common/process.h"

namespace fib::bench {
namespace {

// Runs one Google Benchmark program; returns its parsed JSON output.
Result<nlohmann::json> RunGoogleBenchmark(const std::string& program, const std::string& filter,
                                          const std::string& min_time,
                                          const std::map<std::string, std::string>& env,
                                          const std::string& out_base) {
  std::vector<std::string> argv = {
      program, "--benchmark_filter=" + filter, "--benchmark_min_time=" + min_time,
      "--benchmark_out=" + out_base + ".json", "--benchmark_out_format=json"};
  auto child = ChildProcess::Start({argv, env, out_base + ".txt", {}});
  if (!child.ok()) return child.status();
  int code = (*child)->Wait(600000);
  if (code != 0)
    return Status::Error(fmt::format("{} exited with {}; see {}.txt", program, code, out_base));
  std::ifstream in(out_base + ".json");
  nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return Status::Error("no readable JSON from " + program);
  return j;
}

double ToMicros(const nlohmann::json& b, const char* field) {
  double t = b.value(field, NAN);
  std::string unit = b.value("time_unit", "ns");
  if (unit == "ns") return t / 1000;
  if (unit == "ms") return t * 1000;
  if (unit == "s") return t * 1e6;
  return t;
}

}  // namespace

Result<Section> Scenarios::Microbench() {
  StackOptions so;
  so.bin_dir = options_.bin_dir;
  so.profiles_dir = options_.profiles_dir;
  so.log_dir = Dir("microbench") + "/logs";
  so.redis_url = options_.redis_url;
  so.split_placement = false;
  so.on_destroy = [this] { watcher_(nullptr); };
  Stack stack(so);
  watcher_(&stack);
  for (Status s : {stack.StartRedis(), stack.StartMailSink(0)}) {
    if (!s.ok()) {
      watcher_(nullptr);
      return s;
    }
  }
  std::string dir = Dir("microbench");
  std::string min_time = options_.quick ? "0.05" : "0.3";
  std::map<std::string, std::string> env = {{"SMTP_URL", stack.smtp_url()},
                                            {"REDIS_URL", stack.redis_url()}};
  Log("microbench: fib curve, SMTP send, enqueue vs LPUSH");
  auto fib = RunGoogleBenchmark(options_.bin_dir + "/fibtastic-microbench",
                                "BM_(Rec)?Sequence/(5|10|15|20|22|24|25|27)$|BM_SmtpSend", min_time,
                                env, dir + "/microbench");
  auto enqueue = RunGoogleBenchmark(options_.bin_dir + "/fibtastic-enqueue-bench", ".", min_time,
                                    env, dir + "/enqueue_bench");
  watcher_(nullptr);
  stack.StopAll();
  if (!fib.ok()) return fib.status();

  Section s;
  s.id = "microbench";
  s.title = "Microbenchmarks";
  std::string rows;
  XYSeries rec{"rec_sequence (exponential, as the original)", {}}, lin{"sequence (linear)", {}};
  nlohmann::json figures = nlohmann::json::object();
  for (const auto& b : (*fib)["benchmarks"]) {
    std::string name = b.value("name", "");
    double us = ToMicros(b, "real_time");
    figures[name] = us;
    rows += fmt::format("| {} | {:.3f} |\n", name, us);
    auto slash = name.find('/');
    if (slash == std::string::npos) continue;
    std::string arg = name.substr(slash + 1);
    if (arg.find_first_not_of("0123456789") != std::string::npos) continue;
    double n = std::stod(arg);
    if (name.rfind("BM_RecSequence/", 0) == 0) rec.points.push_back({n, us});
    if (name.rfind("BM_Sequence/", 0) == 0) lin.points.push_back({n, us});
  }
  std::string enqueue_rows;
  if (enqueue.ok()) {
    for (const auto& b : (*enqueue)["benchmarks"]) {
      std::string name = b.value("name", "");
      double us = ToMicros(b, "real_time");
      figures[name] = us;
      enqueue_rows += fmt::format("| {} | {:.2f} |\n", name, us);
    }
  } else {
    enqueue_rows = "| (enqueue benchmark failed: " + enqueue.message() + ") | |\n";
  }
  Status plotted = PlotXY({"The exponential method: time per call against sequence_length",
                           "sequence_length",
                           "microseconds (log scale)",
                           false,
                           true,
                           {rec, lin}},
                          dir + "/fib_microbench");
  s.markdown = fmt::format(
      "Google Benchmark (`fibtastic-microbench`, `fibtastic-enqueue-bench`), minimum time {} s "
      "per benchmark; wall-clock time per iteration. Raw output: `microbench/*.json`.\n\n"
      "| benchmark | µs per iteration |\n|---|---|\n{}\n"
      "Enqueue round trip against this run's private Redis (the goal: our Push ≤ 1.5× a raw "
      "LPUSH):\n\n| benchmark | µs per iteration |\n|---|---|\n{}\n",
      min_time, rows, enqueue_rows);
  if (plotted.ok()) s.markdown += fmt::format("![fib curve](fib_microbench.png)\n\n");
  s.figures = figures;
  return s;
}

}  // namespace fib::bench
