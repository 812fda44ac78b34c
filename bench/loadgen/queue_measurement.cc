#include "bench/loadgen/queue_measurement.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cmath>

namespace fib {
namespace {

// Ten long batches rather than many short ones: a queue's waits are correlated over many jobs,
// and short batches are themselves correlated, which makes the interval too narrow.
constexpr int kBatches = 10;
constexpr int kMinPerBatch = 20;
constexpr double kT975With9Df = 2.262;  // Student's t, 97.5th percentile, 9 degrees of freedom

struct Moments {
  double mean = 0, scv = 0;
};

Moments MomentsOf(const std::vector<double>& xs) {
  Moments m;
  if (xs.empty()) return m;
  double sum = 0;
  for (double x : xs) sum += x;
  m.mean = sum / static_cast<double>(xs.size());
  if (xs.size() < 2 || m.mean <= 0) return m;
  double ss = 0;
  for (double x : xs) ss += (x - m.mean) * (x - m.mean);
  m.scv = ss / static_cast<double>(xs.size() - 1) / (m.mean * m.mean);
  return m;
}

// Half-width of the 95% interval of the mean of `xs` (in order) by batch means; -1 when too few.
double BatchMeansHalfWidth(const std::vector<double>& xs) {
  size_t per = xs.size() / kBatches;
  if (per < kMinPerBatch) return -1;
  std::vector<double> means;
  for (int b = 0; b < kBatches; ++b) {
    double sum = 0;
    for (size_t i = b * per; i < (b + 1) * per; ++i) sum += xs[i];
    means.push_back(sum / static_cast<double>(per));
  }
  Moments m = MomentsOf(means);
  double sd = std::sqrt(m.scv) * m.mean;
  return kT975With9Df * sd / std::sqrt(static_cast<double>(kBatches));
}

}  // namespace

std::optional<QueueMeasurement> MeasureQueue(std::vector<JobStamps> jobs, bool single_server) {
  jobs.erase(std::remove_if(jobs.begin(), jobs.end(),
                            [](const JobStamps& j) {
                              return j.enqueued_us <= 0 || j.started_us < j.enqueued_us ||
                                     j.done_us < j.started_us;
                            }),
             jobs.end());
  if (jobs.size() < 3) return std::nullopt;
  QueueMeasurement m;
  m.jobs = static_cast<int64_t>(jobs.size());
  // Hand-off: in start order, the next job was waiting when this one's email was accepted.
  std::sort(jobs.begin(), jobs.end(),
            [](const JobStamps& a, const JobStamps& b) { return a.started_us < b.started_us; });
  if (single_server) {
    double sum = 0;
    for (size_t i = 0; i + 1 < jobs.size(); ++i) {
      const JobStamps &a = jobs[i], &b = jobs[i + 1];
      if (b.enqueued_us < a.done_us && b.started_us >= a.done_us) {
        sum += static_cast<double>(b.started_us - a.done_us) / 1000;
        ++m.handoff_pairs;
      }
    }
    if (m.handoff_pairs > 0) m.handoff_ms = sum / static_cast<double>(m.handoff_pairs);
  }
  std::vector<double> service;
  service.reserve(jobs.size());
  for (const JobStamps& j : jobs) {
    service.push_back(static_cast<double>(j.done_us - j.started_us) / 1000 + m.handoff_ms);
  }
  Moments s = MomentsOf(service);
  m.service_mean_ms = s.mean;
  m.service_scv = s.scv;
  // Arrivals and waits in enqueue order.
  std::sort(jobs.begin(), jobs.end(),
            [](const JobStamps& a, const JobStamps& b) { return a.enqueued_us < b.enqueued_us; });
  std::vector<double> gaps, waits;
  gaps.reserve(jobs.size());
  waits.reserve(jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    waits.push_back(static_cast<double>(jobs[i].started_us - jobs[i].enqueued_us) / 1000);
    if (i > 0) gaps.push_back(static_cast<double>(jobs[i].enqueued_us - jobs[i - 1].enqueued_us));
  }
  Moments g = MomentsOf(gaps);
  m.lambda_per_s = g.mean > 0 ? 1e6 / g.mean : 0;
  m.arrival_scv = g.scv;
  m.wait_mean_ms = MomentsOf(waits).mean;
  m.wait_ci95_ms = BatchMeansHalfWidth(waits);
  return m;
}

QueueVerdict JudgeQueue(const QueueMeasurement& measured, const QueuePrediction& predicted,
                        double tolerance) {
  QueueVerdict v;
  if (!predicted.stable) {
    v.text = fmt::format(
        "ρ = {:.2f} ≥ 1: no steady state; the queue grows for as long as the run lasts (the "
        "measured mean wait, {:.1f} ms, grows with the run's length)",
        predicted.rho, measured.wait_mean_ms);
    return v;
  }
  if (!predicted.exact) {
    v.text = fmt::format("{:.2f} ms measured against an approximation: shown, not judged",
                         measured.wait_mean_ms);
    return v;
  }
  const double floor_ms = 0.1 * measured.service_mean_ms;
  if (predicted.wait_ms == 0) {  // even arrivals, fixed job: judged on an absolute scale
    v.judged = true;
    v.agrees = measured.wait_mean_ms < floor_ms;
    v.text = fmt::format("predicted 0; measured {:.2f} ms: {}", measured.wait_mean_ms,
                         v.agrees ? fmt::format("agrees (under 10% of E[S], {:.2f} ms)", floor_ms)
                                  : "DISAGREES: jobs waited although theory says not");
    return v;
  }
  const double off = measured.wait_mean_ms / predicted.wait_ms - 1;
  const double half = measured.wait_ci95_ms / predicted.wait_ms;  // relative half-width
  const int64_t needed = JobsToJudge(predicted.rho);
  if (measured.jobs < needed || measured.wait_ci95_ms < 0 || half > tolerance) {
    v.text = fmt::format(
        "measured {:+.0f}% from the prediction, but the run was too short to judge: {} jobs of "
        "the {} a mean wait at ρ = {:.2f} needs, 95% interval {} (run longer)",
        off * 100, measured.jobs, needed, predicted.rho,
        measured.wait_ci95_ms < 0 ? std::string("not available")
                                  : fmt::format("±{:.0f}%", 100 * half));
    return v;
  }
  // Disagrees only when the whole interval lies beyond the tolerance (as compare --fail-if).
  v.judged = true;
  v.agrees = std::fabs(off) - half <= tolerance;
  v.text = fmt::format(
      "measured {:+.1f}% from the prediction (95% interval ±{:.0f}%): {}", off * 100, 100 * half,
      v.agrees ? fmt::format("agrees within ±{:.0f}%", tolerance * 100)
               : fmt::format("DISAGREES: the whole interval is beyond ±{:.0f}%", tolerance * 100));
  return v;
}

QueueComparison CompareQueue(const QueueMeasurement& measured, int servers, bool poisson_arrivals) {
  QueueComparison q;
  q.measured = measured;
  q.servers = servers;
  q.poisson_arrivals = poisson_arrivals;
  if (servers <= 0 || measured.service_mean_ms <= 0) {
    q.verdict.text =
        "no prediction: the number of worker threads is unknown (sample the workers' "
        "heartbeats with --redis-url)";
    return q;
  }
  q.predicted = PredictQueue({measured.lambda_per_s, measured.service_mean_ms, measured.service_scv,
                              measured.arrival_scv, poisson_arrivals, servers});
  q.verdict = JudgeQueue(measured, *q.predicted);
  return q;
}

}  // namespace fib
