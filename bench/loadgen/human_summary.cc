// HumanSummary (declared in loadgen_outputs.h): the wrk2-like text on stdout.
#include <fmt/format.h>

#include "bench/loadgen/loadgen_outputs.h"
#include "common/build_info.h"

namespace fib {
namespace {

std::string Pretty(double us) {
  if (us < 1000) return fmt::format("{:.2f}us", us);
  if (us < 1'000'000) return fmt::format("{:.2f}ms", us / 1000);
  return fmt::format("{:.2f}s", us / 1e6);
}

std::string ScheduleName(const LoadgenOptions& o) {
  switch (o.arrival_process) {
    case ArrivalProcess::kPoisson:
      return fmt::format("Poisson arrivals, seed {}", o.seed);
    case ArrivalProcess::kBurst:
      return fmt::format("bursts of {} every {:g} s", o.burst_size, o.burst_every_s);
    case ArrivalProcess::kConstant:
      break;
  }
  return "wrk2 schedule, evenly spaced";
}

std::string Header(const LoadgenOptions& o, const RunResult& r) {
  nlohmann::json build = BuildConditions();
  std::string out = fmt::format("Running {} @ {} {} [{}]\n",
                                o.requests > 0 ? fmt::format("{} requests", o.requests)
                                               : fmt::format("{:g}s test", o.duration_s),
                                o.method, o.url, o.label);
  out += fmt::format("  {} threads and {} connections, {}\n", o.threads, o.connections,
                     o.open_loop() ? fmt::format("open loop at {:.2f} req/s ({}, latency from "
                                                 "intended send time)",
                                                 o.rate_rps, ScheduleName(o))
                                   : std::string("closed loop (each connection sends on the "
                                                 "previous response)"));
  out += fmt::format("  {} build, {} cores, fibtastic {}, {}; run id {}, started {}\n",
                     build.value("build_type", "?"), build.value("cores", 0),
                     build.value("project_version", "?"), build.value("compiler", "?"), o.run_id,
                     r.start_time);
  if (build.contains("warning")) out += fmt::format("  {}\n", build["warning"].get<std::string>());
  if (o.warmup_s > 0) {
    out += fmt::format("  warmup {:g}s: {} requests, {} errors, p99 {} (excluded from results)\n",
                       o.warmup_s, r.warmup.requests, r.warmup.total_errors(),
                       Pretty(static_cast<double>(r.warmup.latency.ValueAtPercentile(99))));
  }
  return out;
}

std::string Distribution(const char* title, const HdrHistogram& h) {
  std::string out = fmt::format("  {}\n", title);
  for (double p : {50.0, 75.0, 90.0, 99.0, 99.9, 99.99, 99.999, 100.0}) {
    out += fmt::format("{:7.3f}%  {:>9}\n", p, Pretty(static_cast<double>(h.ValueAtPercentile(p))));
  }
  return out;
}

std::string Counts(const RunResult& r) {
  const RunStats& m = r.measured;
  std::string codes;
  for (const auto& [code, count] : m.status_codes) codes += fmt::format(" {}={}", code, count);
  std::string out = fmt::format("  Status codes:{}\n", codes.empty() ? " none" : codes);
  out += "  Errors:";
  for (int i = 0; i < kErrorKinds; ++i) {
    out += fmt::format(" {} {}{}", ErrorKindName(static_cast<ErrorKind>(i)), m.errors[i],
                       i + 1 < kErrorKinds ? "," : "\n");
  }
  return out;
}

// The waterfall's segments in order, p50 and p99 each (docs/measurement.md).
std::string Stages(const StageJoinResult& stages) {
  if (stages.order.empty()) return "";
  std::string out = "  Stages (request -> email, p50 / p99):\n";
  for (const std::string& name : stages.order) {
    auto it = stages.histograms.find(name);
    if (it == stages.histograms.end()) continue;
    out += fmt::format("    {:<28} {:>9} / {:>9}\n", name,
                       Pretty(static_cast<double>(it->second.ValueAtPercentile(50))),
                       Pretty(static_cast<double>(it->second.ValueAtPercentile(99))));
  }
  return out;
}

std::string LittlesLawLine(const LittlesLaw& l) {
  return fmt::format(
      "  Little's law: λ {:.2f} jobs/s, W {:.2f} ms (mean queue wait), L {:.3f} (mean sampled "
      "depth), L/(λ·W) {:.2f}\n{}",
      l.lambda_per_s, l.w_ms, l.l_mean, l.ratio, l.checked ? "" : "    " + l.note + "\n");
}

std::string QueueingLines(const QueueComparison& q) {
  const QueueMeasurement& m = q.measured;
  std::string out = fmt::format(
      "  Queueing: {} jobs, λ {:.2f} jobs/s (ca² {:.2f}), E[S] {:.2f} ms (cs² {:.2f}{}), mean "
      "queue wait {:.2f} ms{}\n",
      m.jobs, m.lambda_per_s, m.arrival_scv, m.service_mean_ms, m.service_scv,
      m.handoff_pairs > 0 ? fmt::format(", hand-off {:.2f} ms", m.handoff_ms) : "", m.wait_mean_ms,
      m.wait_ci95_ms >= 0 ? fmt::format(" ± {:.2f}", m.wait_ci95_ms) : "");
  if (q.predicted) {
    const QueuePrediction& p = *q.predicted;
    out += fmt::format(
        "    theory: {} with c = {}, thread utilisation ρ {:.2f}, {}: Wq {} (the threads alone "
        "allow {:.1f} jobs/s; a CPU-bound job gets fewer when its cores run out first)\n",
        p.model, q.servers, p.rho, p.formula,
        p.stable ? fmt::format("{:.2f} ms", p.wait_ms) : "grows without bound", p.max_rate_per_s);
  }
  return out + "    " + q.verdict.text + "\n";
}

std::string EndToEnd(const RunResult& r) {
  if (!r.e2e) return "";
  const EmailJoinResult& e = *r.e2e;
  std::string out = Distribution("End-to-end (intended send -> email received)", e.e2e);
  out += fmt::format("  emails: {} expected, {} received, {} missing, {} duplicates\n", e.expected,
                     e.received, e.missing, e.duplicates);
  for (size_t i = 0; i < e.missing_ids.size() && i < 10; ++i) {
    out += fmt::format("    missing {}\n", e.missing_ids[i]);
  }
  return out + Stages(e.stages);
}

}  // namespace

std::string HumanSummary(const LoadgenOptions& o, const RunResult& r) {
  const RunStats& m = r.measured;
  std::string out = Header(o, r);
  out += "  Thread Stats   Avg      Stdev     Max\n";
  out += fmt::format("    Latency   {:>8} {:>8} {:>8}\n", Pretty(m.latency.Mean()),
                     Pretty(m.latency.StdDev()), Pretty(static_cast<double>(m.latency.Max())));
  out += Distribution("Latency Distribution (HdrHistogram - Recorded Latency)", m.latency);
  if (o.latency) {
    out += "\n  Detailed Percentile spectrum:\n";
    out += m.latency.FormatHgrm();
    out += "\n";
    out += Distribution("Uncorrected Latency (measured from actual send)", m.uncorrected_latency);
  } else {
    out += fmt::format("  Uncorrected (from actual send): p50 {}, p99 {}, max {}\n",
                       Pretty(static_cast<double>(m.uncorrected_latency.ValueAtPercentile(50))),
                       Pretty(static_cast<double>(m.uncorrected_latency.ValueAtPercentile(99))),
                       Pretty(static_cast<double>(m.uncorrected_latency.Max())));
  }
  out += fmt::format("  {} requests in {:.2f}s{}\n", m.requests, r.window_s,
                     r.interrupted ? " (interrupted)" : "");
  out += fmt::format("Requests/sec: {:10.2f}{}\n", r.achieved_rps(),
                     o.open_loop() ? fmt::format("  (offered {:.2f})", o.rate_rps) : "");
  out += fmt::format("  Schedule lag p50 {}, p99 {}, max {}; in flight at end {}; never sent {}\n",
                     Pretty(static_cast<double>(m.schedule_lag.ValueAtPercentile(50))),
                     Pretty(static_cast<double>(m.schedule_lag.ValueAtPercentile(99))),
                     Pretty(static_cast<double>(m.schedule_lag.Max())), r.in_flight_at_end,
                     r.unsent_at_end);
  out += Counts(r);
  out += EndToEnd(r);
  if (!r.redis_samples.empty()) {
    int64_t max_depth = 0;
    for (const auto& s : r.redis_samples) max_depth = std::max(max_depth, s.queue_depth);
    out += fmt::format(
        "  Redis: {} samples, max queue depth {}, last: depth {} retry {} dead {} "
        "busy {}\n",
        r.redis_samples.size(), max_depth, r.redis_samples.back().queue_depth,
        r.redis_samples.back().retry, r.redis_samples.back().dead, r.redis_samples.back().busy);
  }
  if (r.littles_law) out += LittlesLawLine(*r.littles_law);
  if (r.queueing) out += QueueingLines(*r.queueing);
  for (const auto& w : r.warnings) out += w + "\n";
  return out;
}

}  // namespace fib
