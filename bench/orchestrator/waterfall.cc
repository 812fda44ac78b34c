#include "bench/orchestrator/waterfall.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "bench/orchestrator/loadgen_run.h"

namespace fib::bench {
namespace {

double Stage(const nlohmann::json& figures, const std::string& name, const char* key) {
  if (!figures.contains("stages") || !figures["stages"].contains(name)) return NAN;
  const auto& v = figures["stages"][name];
  return v.contains(key) && v[key].is_number() ? v[key].get<double>() : NAN;
}

double Number(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : NAN;
}

// "p50 ms (p99)" of a stage, or of the sum of several (sums of p50s: an approximation).
std::string Measured(const nlohmann::json& figures, const std::vector<std::string>& names) {
  double p50 = 0, p99 = 0;
  for (const auto& name : names) {
    p50 += Stage(figures, name, "p50_ms");
    p99 += Stage(figures, name, "p99_ms");
  }
  if (std::isnan(p50)) return "not measured";
  return fmt::format("{:>7.1f} ms (measured p50; p99 {:.1f})", p50, p99);
}

std::string Line(const std::string& step, double lesson_ms, const std::string& measured) {
  return fmt::format("  {:<44} {:>5} ms (lesson)  {}\n", step, lesson_ms, measured);
}

std::string Response(const nlohmann::json& figures) {
  double p50 = Number(figures, "p50_ms"), p99 = Number(figures, "p99_ms");
  return std::isnan(p50) ? "not measured"
                         : fmt::format("{:>7.1f} ms (measured p50; p99 {:.1f})", p50, p99);
}

}  // namespace

nlohmann::json StageFigures(const nlohmann::json& report) {
  nlohmann::json out = {{"stages", nlohmann::json::object()}};
  if (!report.contains("summary") || !report["summary"].is_object()) return out;
  const auto& s = report["summary"];
  for (const char* section : {"server_timing_ms", "stages_ms"}) {
    if (!s.contains(section) || !s[section].is_object()) continue;
    for (const auto& [name, v] : s[section].items()) {
      out["stages"][name] = {{"p50_ms", Number(v, "p50")}, {"p99_ms", Number(v, "p99")}};
    }
  }
  if (s.contains("stage_order")) out["order"] = s["stage_order"];
  double wait50 = Stage(out, "queue wait", "p50_ms");
  if (!std::isnan(wait50)) {
    out["queue_wait_p50_ms"] = wait50;
    out["queue_wait_p99_ms"] = Stage(out, "queue wait", "p99_ms");
  }
  if (s.contains("littles_law")) out["littles_law"] = s["littles_law"];
  return out;
}

std::string LessonDiagrams(const nlohmann::json& in, const nlohmann::json& bg) {
  const nlohmann::json& is = in.contains("waterfall") ? in["waterfall"] : in;
  const nlohmann::json& bs = bg.contains("waterfall") ? bg["waterfall"] : bg;
  std::string t = "## APP RESPONSE CYCLE (inline)\n";
  t += Line("Load user info from DB", 3, Measured(is, {"load_user"}));
  t += Line("Generate User Recommendations", 100, Measured(is, {"generate recommendations"}));
  t += Line("Send Email via slow 3rd party service", 100, Measured(is, {"smtp"}));
  t += Line("Render HTML Response", 20, Measured(is, {"render"}));
  t += Line("TOTAL (response time)", 223, Response(in));
  t += "\n## APP RESPONSE CYCLE (background)\n";
  t += Line("Load user info from DB", 3, Measured(bs, {"load_user"}));
  t += Line("Queue User Rec Job to Redis", 1, Measured(bs, {"enqueue"}));
  t += Line("Render HTML Response", 20, Measured(bs, {"render"}));
  t += Line("TOTAL (response time)", 24, Response(bg));
  t += "## Worker Activity Cycle\n";
  t += Line("Reads Queued job (queue wait + pickup)", 1, Measured(bs, {"queue wait", "pickup"}));
  t += Line("Generate User Recommendations", 100, Measured(bs, {"generate recommendations"}));
  t += Line("Send Email", 100, Measured(bs, {"smtp"}));
  t += Line(
      "not in the request cycle (sum of the above)", 201,
      Measured(bs, {"queue wait", "pickup", "generate recommendations", "job overhead", "smtp"}));
  double e2e = Number(bg, "email_p50_ms");
  if (!std::isnan(e2e)) {
    t += fmt::format("  {:<44} {:>5}    (lesson)  {:>7.1f} ms (measured p50)\n",
                     "time until the email arrives", "—", e2e);
  }
  return t;
}

std::string StageTable(const nlohmann::json& figures) {
  const nlohmann::json& w = figures.contains("waterfall") ? figures["waterfall"] : figures;
  std::string t = "| stage | p50 ms | p99 ms |\n|---|---|---|\n";
  std::vector<std::string> names;
  if (w.contains("stages")) {
    for (const auto& [name, v] : w["stages"].items()) names.push_back(name);
  }
  if (w.contains("order")) {  // the waterfall's order first, then the web's metrics
    std::vector<std::string> ordered = w["order"].get<std::vector<std::string>>();
    for (const auto& n : names) {
      if (std::find(ordered.begin(), ordered.end(), n) == ordered.end()) ordered.push_back(n);
    }
    names = ordered;
  }
  for (const auto& n : names) {
    t += fmt::format("| {} | {} | {} |\n", n, Ms(Stage(w, n, "p50_ms")), Ms(Stage(w, n, "p99_ms")));
  }
  if (w.contains("littles_law")) {
    const auto& l = w["littles_law"];
    t += fmt::format(
        "\nLittle's law: λ = {:.2f} jobs/s, W = {:.2f} ms (mean queue wait), L = {:.3f} (mean "
        "sampled depth, {} samples), L ÷ (λ·W) = {:.2f}{}; worker utilisation ρ = {}.\n",
        Number(l, "lambda_per_s"), Number(l, "w_ms"), Number(l, "l_mean"), l.value("samples", 0),
        Number(l, "ratio"), l.value("checked", false) ? "" : " — " + l.value("note", std::string()),
        l.contains("rho") && l["rho"].is_number() ? fmt::format("{:.2f}", l["rho"].get<double>())
                                                  : std::string("unknown (no heartbeat)"));
    if (!l.value("warning", std::string()).empty()) {
      t += "\n**" + l["warning"].get<std::string>() + "**\n";
    }
  }
  return t;
}

namespace {

// The sentence's conclusion: the job waited (queue wait grew, its stages did not), or its stages
// grew too and why: the CPU its jobs asked for against the cores its workers run on.
std::string SaturationVerdict(double wait0_ms, double wait1_ms, double most_stage_change_pct,
                              double rate_rps, WorkerCpu cpu) {
  bool waited = wait1_ms > 2 * std::max(wait0_ms, 1.0);
  if (most_stage_change_pct < 25) {
    return waited ? "under load the job did not get slower, it waited."
                  : "neither the queue wait nor the job's own stages grew much.";
  }
  double demand = rate_rps * cpu.cpu_ms_per_job / 1000;
  std::string head = waited ? "the job waited longer and also got slower" : "the job got slower";
  if (cpu.cpu_ms_per_job <= 0) {
    return head + ", though it has no cpu stage: look at the machine's load (conditions above).";
  }
  if (demand > cpu.cores) {
    return fmt::format(
        "{}: at {:.0f} req/s its cpu stages ask for {:.0f} × {:.0f} ms = {:.1f} CPU-seconds per "
        "second, more than the {} core{} its workers run on, so each cpu stage also waits for a "
        "core. A CPU-bound job needs cores, not only worker threads.",
        head, rate_rps, rate_rps, cpu.cpu_ms_per_job, demand, cpu.cores, cpu.cores == 1 ? "" : "s");
  }
  return fmt::format(
      "{}, though its cpu stages ask for only {:.1f} of the {} core{} its workers run on: look at "
      "the machine's load (conditions above).",
      head, demand, cpu.cores, cpu.cores == 1 ? "" : "s");
}

}  // namespace

std::string SaturationStageTable(const std::vector<SaturationStages>& steps,
                                 const std::vector<std::string>& job_stages, WorkerCpu cpu) {
  if (steps.empty()) return "";
  std::vector<std::string> columns = {"queue wait", "pickup"};
  columns.insert(columns.end(), job_stages.begin(), job_stages.end());
  columns.push_back("smtp");
  std::string t = "| offered req/s |";
  for (const auto& c : columns) t += fmt::format(" {} p50 ms |", c);
  t += "\n|---|";
  for (size_t i = 0; i < columns.size(); ++i) t += "---|";
  t += "\n";
  for (const auto& step : steps) {
    t += fmt::format("| {:.0f} |", step.rate_rps);
    for (const auto& c : columns) t += fmt::format(" {} |", Ms(Stage(step.figures, c, "p50_ms")));
    t += "\n";
  }
  const auto& first = steps.front().figures;
  const auto& last = steps.back().figures;
  double wait0 = Stage(first, "queue wait", "p50_ms"), wait1 = Stage(last, "queue wait", "p50_ms");
  double most = 0;
  std::string most_name;
  for (const auto& c : job_stages) {
    double a = Stage(first, c, "p50_ms"), b = Stage(last, c, "p50_ms");
    double change = std::fabs(b - a) / a * 100;
    if (!std::isnan(change) && change >= most) most = change, most_name = c;
  }
  if (std::isnan(wait0) || std::isnan(wait1) || most_name.empty()) return t;
  t += fmt::format(
      "\nFrom {:.0f} to {:.0f} req/s the queue wait p50 went from {:.1f} to {:.1f} ms ({}), while "
      "the job's own stages changed by at most {:.0f}% ({}): {}\n",
      steps.front().rate_rps, steps.back().rate_rps, wait0, wait1,
      wait0 > 0 ? fmt::format("×{:.1f}", wait1 / wait0) : std::string("from zero"), most, most_name,
      SaturationVerdict(wait0, wait1, most, steps.back().rate_rps, cpu));
  return t;
}

}  // namespace fib::bench
