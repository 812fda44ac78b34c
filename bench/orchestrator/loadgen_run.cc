#include "bench/orchestrator/loadgen_run.h"

#include <fmt/format.h>

#include <cmath>
#include <fstream>

#include "common/process.h"

namespace fib::bench {

Result<RunningLoadgen> StartLoadgen(const LoadgenSpec& spec, const std::string& bin_dir,
                                    const std::string& out_dir) {
  std::string stem = out_dir + "/" + spec.label;
  std::vector<std::string> argv = {
      bin_dir + "/fibtastic-loadgen",
      "--url",
      spec.url,
      "--method",
      "POST",
      "-H",
      "Content-Type: application/x-www-form-urlencoded",
      "--body",
      spec.body,
      "--rate",
      fmt::format("{}", spec.rate_rps),
      "--duration",
      fmt::format("{}", spec.duration_s),
      "--warmup",
      fmt::format("{}", spec.warmup_s),
      "--connections",
      std::to_string(spec.connections),
      "--threads",
      "1",
      "--timeout",
      std::to_string(spec.timeout_ms),
      "--label",
      spec.label,
      "--json",
      stem + ".json",
      "--hgrm",
      stem + ".hgrm",
      "--csv",
      stem + ".csv",
  };
  if (!spec.mail_url.empty()) {
    argv.insert(argv.end(), {"--mail", spec.mail_url, "--drain", fmt::format("{}", spec.drain_s)});
  }
  if (!spec.redis_url.empty()) argv.insert(argv.end(), {"--redis-url", spec.redis_url});
  if (spec.requests > 0) argv.insert(argv.end(), {"--requests", std::to_string(spec.requests)});
  if (spec.arrivals != "constant") argv.insert(argv.end(), {"--arrivals", spec.arrivals});
  if (spec.arrivals == "poisson") argv.insert(argv.end(), {"--seed", std::to_string(spec.seed)});
  auto child = ChildProcess::Start({argv, {}, stem + ".txt", {}});
  if (!child.ok()) return child.status();
  return RunningLoadgen{std::move(*child), stem, spec.label};
}

Result<LoadgenResult> FinishLoadgen(RunningLoadgen* run) {
  const std::string& stem = run->stem;
  int code = run->child->Wait(24 * 3600 * 1000);
  if (code != 0) {
    return Status::Error(
        fmt::format("fibtastic-loadgen ({}) exited with {}; see {}.txt", run->label, code, stem));
  }
  std::ifstream in(stem + ".json");
  nlohmann::json report = nlohmann::json::parse(in, nullptr, false);
  if (report.is_discarded() || !report.is_object()) {
    return Status::Error("fibtastic-loadgen wrote no readable report at " + stem + ".json");
  }
  return LoadgenResult{stem + ".json", std::move(report)};
}

Result<LoadgenResult> RunLoadgen(const LoadgenSpec& spec, const std::string& bin_dir,
                                 const std::string& out_dir) {
  auto run = StartLoadgen(spec, bin_dir, out_dir);
  if (!run.ok()) return run.status();
  return FinishLoadgen(&*run);
}

nlohmann::json NumberOrNull(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

double NumberAt(const nlohmann::json& object, const char* key) {
  return object.is_object() && object.contains(key) && object[key].is_number()
             ? object[key].get<double>()
             : std::nan("");
}

double SummaryValue(const nlohmann::json& report, const std::string& section,
                    const std::string& key) {
  const nlohmann::json* node = &report;
  for (const std::string& k : {std::string("summary"), section, key}) {
    if (k.empty()) continue;
    if (!node->is_object() || !node->contains(k)) return std::nan("");
    node = &(*node)[k];
  }
  return node->is_number() ? node->get<double>() : std::nan("");
}

std::string Ms(double value) {
  if (std::isnan(value)) return "—";
  if (value >= 100) return fmt::format("{:.0f}", value);
  if (value >= 10) return fmt::format("{:.1f}", value);
  return fmt::format("{:.2f}", value);
}

}  // namespace fib::bench
