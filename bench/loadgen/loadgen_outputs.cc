#include "bench/loadgen/loadgen_outputs.h"

#include <fmt/format.h>

#include <fstream>

#include "common/build_info.h"

namespace fib {
namespace {

double Ms(int64_t us) { return static_cast<double>(us) / 1000.0; }

nlohmann::json Conditions(const LoadgenOptions& o, const RunResult& r) {
  nlohmann::json c = BuildConditions();
  c["command_line"] = o.command_line;
  c["start_time"] = r.start_time;
  c["url"] = o.url;
  c["method"] = o.method;
  c["load_model"] = o.open_loop() ? "open" : "closed";
  c["offered_rps"] = o.rate_rps;
  c["arrivals"] = o.open_loop() ? ArrivalProcessName(o.arrival_process) : "closed loop";
  if (o.open_loop() && o.arrival_process == ArrivalProcess::kPoisson) c["seed"] = o.seed;
  if (o.open_loop() && o.arrival_process == ArrivalProcess::kBurst) {
    c["burst_size"] = o.burst_size;
    c["burst_every_s"] = o.burst_every_s;
  }
  c["connections"] = o.connections;
  c["threads"] = o.threads;
  c["duration_s"] = r.window_s;
  c["requested_duration_s"] = o.requests > 0 ? 0.0 : o.duration_s;
  c["requests_limit"] = o.requests;
  c["warmup_s"] = o.warmup_s;
  c["timeout_ms"] = o.timeout_ms;
  c["run_id"] = o.run_id;
  c["interrupted"] = r.interrupted;
  c["percentiles"] =
      "HdrHistogram, 3 significant digits (<0.1% error), 1 us..1 h; a percentile "
      "is the highest value of its bucket";
  return c;
}

// The waterfall's segments (StageJoin), in order, and what the join could not use.
void AddStages(const StageJoinResult& j, nlohmann::json* s) {
  nlohmann::json stages = nlohmann::json::object();
  for (const auto& [name, h] : j.histograms) stages[name] = LatencySummaryMs(h);
  (*s)["stages_ms"] = stages;
  (*s)["stage_order"] = j.order;
  (*s)["stage_join"] = {
      {"with_timing", j.with_timing},
      {"without_timing", j.without_timing},
      {"unreadable", j.unreadable},
      {"missing_stamps", j.missing},
      {"negative", j.negative},
      {"implausible", j.implausible},
      {"clock", "stamps from the web, worker and mail sink share CLOCK_REALTIME (one machine)"}};
}

nlohmann::json LittlesLawJson(const LittlesLaw& law) {
  nlohmann::json j = {
      {"lambda_per_s", law.lambda_per_s}, {"w_ms", law.w_ms},   {"l_mean", law.l_mean},
      {"predicted_l", law.predicted_l},   {"ratio", law.ratio}, {"samples", law.samples},
      {"checked", law.checked},           {"note", law.note},   {"warning", law.warning}};
  j["rho"] = law.rho >= 0 ? nlohmann::json(law.rho) : nlohmann::json(nullptr);
  return j;
}

nlohmann::json QueueingJson(const QueueComparison& q) {
  const QueueMeasurement& m = q.measured;
  nlohmann::json j = {{"jobs", m.jobs},
                      {"lambda_per_s", m.lambda_per_s},
                      {"arrival_scv", m.arrival_scv},
                      {"service_mean_ms", m.service_mean_ms},
                      {"service_scv", m.service_scv},
                      {"handoff_ms", m.handoff_ms},
                      {"handoff_pairs", m.handoff_pairs},
                      {"wait_mean_ms", m.wait_mean_ms},
                      {"servers", q.servers},
                      {"poisson_arrivals", q.poisson_arrivals},
                      {"judged", q.verdict.judged},
                      {"agrees", q.verdict.agrees},
                      {"verdict", q.verdict.text}};
  j["wait_ci95_ms"] = m.wait_ci95_ms >= 0 ? nlohmann::json(m.wait_ci95_ms) : nlohmann::json();
  if (q.predicted) {
    const QueuePrediction& p = *q.predicted;
    j["predicted"] = {{"model", p.model},
                      {"formula", p.formula},
                      {"rho", p.rho},
                      {"stable", p.stable},
                      {"max_rate_per_s", p.max_rate_per_s}};
    // JSON has no infinity: an unstable queue's wait is null.
    j["predicted"]["wait_ms"] = p.stable ? nlohmann::json(p.wait_ms) : nlohmann::json();
  }
  return j;
}

nlohmann::json Summary(const LoadgenOptions& o, const RunResult& r) {
  const RunStats& m = r.measured;
  nlohmann::json s = {
      {"requests", m.requests},
      {"rps", r.achieved_rps()},
      {"offered_rps", o.rate_rps},
      {"errors", m.total_errors()},
      {"in_flight_at_end", r.in_flight_at_end},
      {"unsent_at_end", r.unsent_at_end},
      {"schedule_lag_ms",
       {{"p50", Ms(m.schedule_lag.ValueAtPercentile(50))},
        {"p99", Ms(m.schedule_lag.ValueAtPercentile(99))},
        {"max", Ms(m.schedule_lag.Max())}}},
      {"send_delay_ms",
       {{"p50", Ms(m.send_delay.ValueAtPercentile(50))},
        {"p99", Ms(m.send_delay.ValueAtPercentile(99))},
        {"max", Ms(m.send_delay.Max())}}},
      {"latency_ms", LatencySummaryMs(m.latency)},
      {"uncorrected_latency_ms", LatencySummaryMs(m.uncorrected_latency)},
      {"warmup",
       {{"requests", r.warmup.requests},
        {"errors", r.warmup.total_errors()},
        {"latency_ms", LatencySummaryMs(r.warmup.latency)}}},
      {"thread_cpu", r.thread_cpu},
      {"warnings", r.warnings},
  };
  if (!m.server_timing.empty()) {
    nlohmann::json st = nlohmann::json::object();
    for (const auto& [name, h] : m.server_timing) st[name] = LatencySummaryMs(h);
    s["server_timing_ms"] = st;
  }
  if (r.e2e) {
    s["e2e_ms"] = LatencySummaryMs(r.e2e->e2e);
    s["e2e"] = {{"expected", r.e2e->expected},
                {"received", r.e2e->received},
                {"missing", r.e2e->missing},
                {"duplicates", r.e2e->duplicates},
                {"before_response", r.e2e->before_response},
                {"missing_ids", r.e2e->missing_ids}};
    AddStages(r.e2e->stages, &s);
  }
  if (r.littles_law) s["littles_law"] = LittlesLawJson(*r.littles_law);
  if (r.queueing) s["queueing"] = QueueingJson(*r.queueing);
  return s;
}

Status WriteFile(const std::string& path, const std::string& text, const char* flag) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Status::Error(fmt::format("{}: cannot write '{}'", flag, path));
  return Status::Ok();
}

}  // namespace

nlohmann::json LatencySummaryMs(const HdrHistogram& h) {
  return {{"p50", Ms(h.ValueAtPercentile(50))},
          {"p75", Ms(h.ValueAtPercentile(75))},
          {"p90", Ms(h.ValueAtPercentile(90))},
          {"p99", Ms(h.ValueAtPercentile(99))},
          {"p99_9", Ms(h.ValueAtPercentile(99.9))},
          {"p99_99", Ms(h.ValueAtPercentile(99.99))},
          {"min", Ms(h.Min())},
          {"max", Ms(h.Max())},
          {"mean", h.Mean() / 1000.0},
          {"stdev", h.StdDev() / 1000.0}};
}

nlohmann::json ReportJson(const LoadgenOptions& o, const RunResult& r) {
  const RunStats& m = r.measured;
  nlohmann::json codes = nlohmann::json::object();
  for (const auto& [code, count] : m.status_codes) codes[std::to_string(code)] = count;
  nlohmann::json errors = nlohmann::json::object();
  for (int i = 0; i < kErrorKinds; ++i)
    errors[ErrorKindName(static_cast<ErrorKind>(i))] = m.errors[i];
  nlohmann::json histograms = {{"latency", m.latency.ToJson()},
                               {"uncorrected_latency", m.uncorrected_latency.ToJson()},
                               {"schedule_lag", m.schedule_lag.ToJson()}};
  if (r.e2e) histograms["e2e"] = r.e2e->e2e.ToJson();
  if (r.e2e) {
    for (const auto& [name, h] : r.e2e->stages.histograms) histograms["stages"][name] = h.ToJson();
  }
  for (const auto& [name, h] : m.server_timing) histograms["server_timing"][name] = h.ToJson();
  nlohmann::json series = nlohmann::json::array();
  for (const auto& row : r.timeseries) {
    series.push_back({{"t_s", row.t_s},
                      {"requests", row.requests},
                      {"rps", row.rps},
                      {"p50_ms", row.p50_ms},
                      {"p99_ms", row.p99_ms},
                      {"errors", row.errors}});
  }
  nlohmann::json report = {{"schema", 1},
                           {"tool", "fibtastic-loadgen"},
                           {"label", o.label},
                           {"conditions", Conditions(o, r)},
                           {"summary", Summary(o, r)},
                           {"status_codes", codes},
                           {"errors", errors},
                           {"histograms", histograms},
                           {"timeseries", series}};
  if (!o.redis_url.empty()) {
    nlohmann::json samples = nlohmann::json::array();
    for (const auto& s : r.redis_samples) {
      samples.push_back({{"t_s", s.t_s},
                         {"queue_depth", s.queue_depth},
                         {"retry", s.retry},
                         {"dead", s.dead},
                         {"busy", s.busy},
                         {"concurrency", s.concurrency}});
    }
    report["redis_samples"] = samples;
  }
  return report;
}

std::string TimeseriesCsv(const RunResult& r) {
  std::string out = "t_s,requests,rps,p50_ms,p99_ms,errors\n";
  for (const auto& row : r.timeseries) {
    out += fmt::format("{},{},{:.3f},{:.3f},{:.3f},{}\n", row.t_s, row.requests, row.rps,
                       row.p50_ms, row.p99_ms, row.errors);
  }
  return out;
}

Status WriteOutputs(const LoadgenOptions& o, const RunResult& r) {
  if (!o.json_path.empty()) {
    if (Status s = WriteFile(o.json_path, ReportJson(o, r).dump(2) + "\n", "--json"); !s.ok()) {
      return s;
    }
  }
  if (!o.hgrm_path.empty()) {
    if (Status s = WriteFile(o.hgrm_path, r.measured.latency.FormatHgrm(), "--hgrm"); !s.ok()) {
      return s;
    }
  }
  if (!o.csv_path.empty()) return WriteFile(o.csv_path, TimeseriesCsv(r), "--csv");
  return Status::Ok();
}

}  // namespace fib
