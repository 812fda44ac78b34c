#include "bench/loadgen/queueing_theory.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>

namespace fib {
namespace {

// Service times this close to fixed or to exponential get the exact model's name.
constexpr double kScvTolerance = 0.1;

std::string Letter(double scv) {
  return scv < kScvTolerance ? "D" : std::fabs(scv - 1) < kScvTolerance ? "M" : "G";
}

// D/M/1 as GI/M/1: σ = A*(μ(1 − σ)) with A*(s) = exp(−s/λ) for even arrivals, so
// σ = exp(−(1 − σ)/ρ); the root in (0, 1) by fixed-point iteration (a contraction there).
double DM1Sigma(double rho) {
  double sigma = 0.5;
  for (int i = 0; i < 100000; ++i) {
    double next = std::exp(-(1 - sigma) / rho);
    if (std::fabs(next - sigma) < 1e-12) return next;
    sigma = next;
  }
  return sigma;
}

}  // namespace

double ErlangC(int servers, double offered_erlangs) {
  // Erlang B by its stable recurrence B(k) = a·B(k−1) / (k + a·B(k−1)), then C from B.
  double b = 1;
  for (int k = 1; k <= servers; ++k) b = offered_erlangs * b / (k + offered_erlangs * b);
  double c = servers;
  return c * b / (c - offered_erlangs * (1 - b));
}

QueuePrediction PredictQueue(const QueueModelInput& in) {
  QueuePrediction p;
  const double c = in.servers;
  const double a = in.lambda_per_s * in.service_mean_ms / 1000;  // offered load, erlangs
  p.rho = a / c;
  p.max_rate_per_s = c * 1000 / in.service_mean_ms;
  const bool even_arrivals = !in.poisson_arrivals && in.arrival_scv < kScvTolerance;
  const bool fixed_job = in.service_scv < kScvTolerance;
  const bool exponential_job = std::fabs(in.service_scv - 1) < kScvTolerance;
  p.model = (in.poisson_arrivals ? std::string("M") : Letter(in.arrival_scv)) + "/" +
            Letter(in.service_scv) + "/" + (in.servers == 1 ? "1" : "c");
  p.exact = true;
  if (in.poisson_arrivals && in.servers == 1) {
    p.formula = "Pollaczek–Khinchine (exact for M/G/1)";
  } else if (in.poisson_arrivals && exponential_job) {
    p.formula = "Erlang C (exact for M/M/c)";
  } else if (even_arrivals && fixed_job && in.servers == 1) {
    p.formula = "none needed: even arrivals and a fixed job never wait below capacity (exact)";
  } else if (even_arrivals && exponential_job && in.servers == 1) {
    p.formula = "GI/M/1 (exact for D/M/1)";
  } else {
    p.exact = false;
    p.formula = in.servers == 1 ? "Kingman (Allen–Cunneen for c = 1, an approximation)"
                                : "Allen–Cunneen (an approximation)";
  }
  p.stable = p.rho < 1;
  if (!p.stable) {
    p.wait_ms = std::numeric_limits<double>::infinity();
    return p;
  }
  if (a <= 0) return p;  // no arrivals, no wait
  double mmc_wait = ErlangC(in.servers, a) * in.service_mean_ms / (c - a);
  if (in.poisson_arrivals && in.servers == 1) {
    p.wait_ms = mmc_wait * (1 + in.service_scv) / 2;  // = P-K: ρ·E[S]·(1 + cs²) / (2(1 − ρ))
  } else if (in.poisson_arrivals && exponential_job) {
    p.wait_ms = mmc_wait;
  } else if (even_arrivals && fixed_job && in.servers == 1) {
    p.wait_ms = 0;
  } else if (even_arrivals && exponential_job && in.servers == 1) {
    double sigma = DM1Sigma(p.rho);
    p.wait_ms = in.service_mean_ms * sigma / (1 - sigma);
  } else {
    double ca2 = in.poisson_arrivals ? 1.0 : std::max(0.0, in.arrival_scv);
    p.wait_ms = mmc_wait * (ca2 + std::max(0.0, in.service_scv)) / 2;
  }
  return p;
}

double MaxStableRate(int servers, double service_mean_ms, double cpu_ms_per_job, int cores) {
  double rate = servers * 1000 / service_mean_ms;
  if (cpu_ms_per_job > 0 && cores > 0) rate = std::min(rate, cores * 1000 / cpu_ms_per_job);
  return rate;
}

int64_t JobsToJudge(double rho) {
  if (rho >= 1) return INT64_MAX;
  return static_cast<int64_t>(std::ceil(kJobsToJudgeScale / ((1 - rho) * (1 - rho)) - 1e-6));
}

}  // namespace fib
