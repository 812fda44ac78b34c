#include "bench/loadgen/queueing_theory.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace fib {
namespace {

// Service times this close to fixed or to exponential get the exact model's name.
constexpr double kScvTolerance = 0.1;

std::string Kendall(bool poisson, double service_scv, int servers) {
  std::string service = service_scv < kScvTolerance                  ? "D"
                        : std::fabs(service_scv - 1) < kScvTolerance ? "M"
                                                                     : "G";
  return std::string(poisson ? "M" : "G") + "/" + service + "/" +
         (servers == 1 ? std::string("1") : std::string("c"));
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
  p.model = Kendall(in.poisson_arrivals, in.service_scv, in.servers);
  if (in.poisson_arrivals && in.servers == 1) {
    p.formula = "Pollaczek–Khinchine (exact for M/G/1)";
  } else if (in.poisson_arrivals && std::fabs(in.service_scv - 1) < kScvTolerance) {
    p.formula = "Erlang C (exact for M/M/c)";
  } else {
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
  } else if (in.poisson_arrivals && std::fabs(in.service_scv - 1) < kScvTolerance) {
    p.wait_ms = mmc_wait;
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

}  // namespace fib
