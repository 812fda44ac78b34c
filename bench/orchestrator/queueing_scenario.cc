// The queueing scenario (docs/queueing.md): one worker thread, a job of fixed or exponential
// time, constant or Poisson arrivals, at utilisation ρ = 0.5, 0.7 and 0.9, with the textbook
// prediction of the mean queue wait beside each measurement. Even arrivals and fixed job times
// wait (nearly) nothing below capacity; Poisson arrivals and variable job times make waits long
// before the worker is full, as Pollaczek–Khinchine says.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "bench/loadgen/queue_measurement.h"
#include "bench/loadgen/queueing_theory.h"
#include "bench/orchestrator/loadgen_run.h"
#include "bench/orchestrator/scenarios.h"
#include "bench/orchestrator/xy_plot.h"
#include "common/log.h"
#include "workers/profiles/profile.h"

namespace fib::bench {
namespace {

constexpr double kMaxRunS = 60;  // a full run's longest row (ρ 0.9 would need 40 000 jobs)

struct QueueCase {
  std::string profile;  // queue-fixed / queue-exponential
  std::string job;      // how the table names the job time
  std::string arrivals;
};

// The jobs' measured moments and the prediction, from summary.queueing of a loadgen report.
struct QueueRow {
  QueueCase c;
  double rho_target = 0;
  double offered = 0;
  int64_t seed = 0;
  nlohmann::json q;  // summary.queueing, or null
};

std::string Fixed(double v, int digits) {
  return std::isnan(v) ? "—" : fmt::format("{:.{}f}", v, digits);
}

std::string RowMarkdown(const QueueRow& r) {
  const nlohmann::json& q = r.q;
  if (!q.is_object()) {
    return fmt::format("| {} | {} | {} | {:.1f} | — | — | — | — | — | no jobs joined |\n", r.c.job,
                       r.c.arrivals, r.rho_target, r.offered);
  }
  const nlohmann::json p = q.value("predicted", nlohmann::json::object());
  double ci = NumberAt(q, "wait_ci95_ms");
  std::string wait = Fixed(NumberAt(q, "wait_mean_ms"), 2) +
                     (std::isnan(ci) ? std::string() : " ± " + Fixed(ci, 2));
  return fmt::format("| {} | {} | {} | {} | {} | {} ({}) | {}, {} | {} | {} | {} |\n", r.c.job,
                     r.c.arrivals, r.rho_target, Fixed(NumberAt(q, "lambda_per_s"), 1),
                     Fixed(NumberAt(p, "rho"), 2), Fixed(NumberAt(q, "service_mean_ms"), 2),
                     Fixed(NumberAt(q, "service_scv"), 2), p.value("model", "—"),
                     p.value("formula", "—"), Fixed(NumberAt(p, "wait_ms"), 2), wait,
                     q.value("verdict", ""));
}

nlohmann::json RowJson(const QueueRow& r) {
  nlohmann::json j = {{"profile", r.c.profile},   {"job_time", r.c.job},
                      {"arrivals", r.c.arrivals}, {"rho_target", r.rho_target},
                      {"offered_rps", r.offered}, {"seed", r.seed}};
  if (r.q.is_object()) j["measured"] = r.q;
  return j;
}

// Returns the mean time a worker thread spends on a job of `profile` beyond its nominal stages
// (fetch, SMTP send, ack), from a short calibration run; 0 when it cannot be measured.
double CalibratedOverheadMs(const nlohmann::json& queueing, double nominal_ms) {
  double s = NumberAt(queueing, "service_mean_ms");
  return std::isnan(s) ? 0 : std::max(0.0, s - nominal_ms);
}

}  // namespace

Result<Section> Scenarios::Queueing() {
  const bool quick = options_.quick;
  std::vector<QueueCase> cases;
  cases.push_back({"queue-fixed", "fixed", "constant"});
  cases.push_back({"queue-fixed", "fixed", "poisson"});
  if (!quick) cases.push_back({"queue-exponential", "exponential", "constant"});
  cases.push_back({"queue-exponential", "exponential", "poisson"});
  const std::vector<double> rhos =
      quick ? std::vector<double>{0.7} : std::vector<double>{0.5, 0.7, 0.9};
  const double run_s = quick ? 6 : kMaxRunS;  // quick: every run; full: the longest
  std::string dir = Dir("queueing");
  std::vector<QueueRow> rows;
  double overhead_ms = -1;
  double job_ms = NAN;  // the jobs' nominal mean time (every case's profile has the same)
  std::string placement;
  int64_t seed = 1;
  std::string current_profile;
  std::unique_ptr<Stack> stack;
  for (const QueueCase& c : cases) {
    auto profile = LoadProfile(c.profile, options_.profiles_dir);
    if (!profile.ok()) return profile.status();
    const double nominal_ms = profile->MeanMs(StagePhase::kJob);  // E[S] of the stages
    job_ms = nominal_ms;
    if (c.profile != current_profile) {  // one stack per profile: one worker, one thread
      if (stack) StopStack(stack);
      auto started = StartStack("queueing", c.profile, 1, 1, true);
      if (!started.ok()) return started.status();
      stack = std::move(*started);
      placement = stack->placement();
      current_profile = c.profile;
    }
    auto spec_for = [&](double rate, double seconds, const std::string& label) {
      LoadgenSpec spec;
      spec.url = stack->web_url("background") + "/sequences";
      spec.body = "email=user{n}%40example.com&sequence_length=10";
      spec.rate_rps = rate;
      spec.duration_s = seconds;
      spec.warmup_s = 1;
      spec.connections = options_.web_threads;
      spec.label = label;
      spec.mail_url = stack->mail_url();
      spec.drain_s = 20;
      spec.redis_url = stack->redis_url();
      spec.arrivals = c.arrivals;
      return spec;
    };
    if (overhead_ms < 0) {  // calibrate once: what a job costs beyond its stages
      // Poisson arrivals at ρ ≈ 0.5, so jobs sometimes wait and the worker's hand-off between
      // back-to-back jobs is measured too (at a light even load no job ever waits).
      Log("queueing: calibrating the worker's per-job overhead on {}", c.profile);
      LoadgenSpec cal_spec = spec_for(0.5 * 1000 / nominal_ms, quick ? 3 : 5, "calibration");
      cal_spec.arrivals = "poisson";
      auto cal = RunLoadgen(cal_spec, options_.bin_dir, dir);
      if (!cal.ok()) return cal.status();
      overhead_ms = CalibratedOverheadMs(cal->report["summary"].value("queueing", nlohmann::json()),
                                         nominal_ms);
    }
    for (double rho : rhos) {
      QueueRow row{c, rho, rho * 1000 / (nominal_ms + overhead_ms), seed++, nullptr};
      // Long enough to judge the mean wait (JobsToJudge), within the scenario's bounds.
      const double seconds =
          quick ? run_s
                : std::clamp(1.1 * static_cast<double>(JobsToJudge(rho)) / row.offered, 10.0,
                             kMaxRunS);
      LoadgenSpec spec = spec_for(row.offered, seconds,
                                  fmt::format("{}-{}-rho{:.0f}", c.job, c.arrivals, rho * 100));
      spec.seed = row.seed;
      Log("queueing: {} job, {} arrivals, ρ {} ({:.1f} req/s for {:.0f} s)", c.job, c.arrivals, rho,
          row.offered, seconds);
      auto run = RunLoadgen(spec, options_.bin_dir, dir);
      if (!run.ok()) return run.status();
      row.q = run->report["summary"].value("queueing", nlohmann::json());
      rows.push_back(std::move(row));
    }
  }
  if (stack) StopStack(stack);

  // The chart: measured mean wait against measured ρ, with Pollaczek–Khinchine's curves for a
  // fixed and an exponential job of the measured mean time.
  XYPlot plot;
  plot.title = "Queue wait against utilisation, one worker thread";
  plot.x_label = "utilisation ρ";
  plot.y_label = "mean queue wait (ms)";
  const double es = job_ms + overhead_ms;
  for (double cs2 : {0.0, 1.0}) {
    XYSeries theory;
    theory.name =
        cs2 == 0 ? "theory: M/D/1 (Pollaczek–Khinchine)" : "theory: M/M/1 (Pollaczek–Khinchine)";
    for (double rho = 0.05; rho <= 0.951; rho += 0.05) {
      theory.points.emplace_back(rho, PredictQueue({rho * 1000 / es, es, cs2, 1, true, 1}).wait_ms);
    }
    plot.series.push_back(std::move(theory));
  }
  for (const QueueCase& c : cases) {
    XYSeries measured;
    measured.name = fmt::format("measured: {} job, {} arrivals", c.job, c.arrivals);
    for (const QueueRow& r : rows) {
      if (r.c.profile != c.profile || r.c.arrivals != c.arrivals || !r.q.is_object()) continue;
      measured.points.emplace_back(
          NumberAt(r.q.value("predicted", nlohmann::json::object()), "rho"),
          NumberAt(r.q, "wait_mean_ms"));
    }
    plot.series.push_back(std::move(measured));
  }
  Status plotted = PlotXY(plot, dir + "/queue_wait");

  std::string md = fmt::format(
      "One worker process with one thread drains jobs of {:g} ms (plus the worker's own "
      "overhead, {:.2f} ms measured in a calibration run): fixed, or exponential with that mean. "
      "The load generator sends constant (evenly spaced) or Poisson arrivals at the rate that "
      "makes ρ = λ·E[S] what the row says, {} (seeded; the seed is in each run's report). Beside "
      "each measurement, what queueing theory predicts from the *measured* λ, E[S] and cs² (the "
      "squared coefficient of variation of the job time; 0 fixed, 1 exponential): "
      "Pollaczek–Khinchine for Poisson arrivals; for even ones, no wait with a fixed job and "
      "GI/M/1 with an exponential one — all exact. The measured wait is enqueue → start, joined "
      "per job from the emails' X-Fib-Timing, with a 95% interval by batch means. A row is judged "
      "only when it had the 400 / (1 − ρ)² jobs a mean wait at that ρ needs and an interval "
      "narrower than ±15% of the prediction; it disagrees only when the whole interval lies "
      "beyond ±15%. Placement: {}.\n\n"
      "| job time | arrivals | ρ target | λ (jobs/s) | ρ measured | E[S] ms (cs²) | model, formula "
      "| predicted wait (ms) | measured wait (ms) | verdict |\n"
      "|---|---|---|---|---|---|---|---|---|---|\n",
      job_ms, overhead_ms,
      quick ? fmt::format("for {:g} s each (too short to judge a Poisson row)", run_s)
            : fmt::format("for as long as that needs, up to {:g} s", run_s),
      placement);
  for (const QueueRow& r : rows) md += RowMarkdown(r);
  md +=
      "\nThe lesson of the table: with even arrivals and a fixed job the worker never falls "
      "behind below capacity, so nothing waits; random arrivals alone make jobs wait, and a "
      "variable job time doubles it (M/M/1 waits twice M/D/1's), long before the worker is "
      "full. The queue grows without bound beyond c ÷ E[S] jobs/s.\n\n";
  md += plotted.ok()
            ? "![queue wait against utilisation, measured and predicted](queue_wait.png)\n\n"
            : "Plot failed: " + plotted.message() + "\n\n";
  nlohmann::json runs = nlohmann::json::array();
  for (const QueueRow& r : rows) runs.push_back(RowJson(r));
  Section section;
  section.id = "queueing";
  section.title = "Queueing: variability makes waits";
  section.markdown = std::move(md);
  section.figures["runs"] = std::move(runs);
  section.figures["overhead_ms"] = overhead_ms;
  section.figures["run_s"] = run_s;
  return section;
}

}  // namespace fib::bench
