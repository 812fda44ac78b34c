// Queueing theory beside the measurement (docs/queueing.md): what the textbook formulas predict
// for the mean queue wait of a background run, from the arrival rate λ, the number of worker
// threads c and the first two moments of the job's service time, and the arrival rate beyond
// which the queue grows without bound.
//  - Poisson arrivals, c = 1: Pollaczek–Khinchine, exact for M/G/1 (M/D/1 and M/M/1 included):
//    Wq = ρ·E[S]·(1 + cs²) / (2·(1 − ρ)).
//  - Poisson arrivals, c > 1, exponential service: Erlang C, exact for M/M/c:
//    Wq = C(c, a)·E[S] / (c − a), a = λ·E[S].
//  - Even arrivals, c = 1: D/D/1 waits nothing below capacity; D/M/1 (exponential job) is exact
//    as GI/M/1: Wq = E[S]·σ / (1 − σ), σ the root in (0, 1) of σ = exp(−(1 − σ) / ρ).
//  - Otherwise the Allen–Cunneen approximation for G/G/c (Kingman's formula when c = 1):
//    Wq ≈ C(c, a)·E[S] / (c − a) · (ca² + cs²) / 2. An approximation is never judged: for D/M/1
//    at ρ = 0.5 Kingman predicts twice the exact wait.
// cs² and ca² are squared coefficients of variation (variance ÷ mean²) of service and
// inter-arrival times: 0 for fixed, 1 for exponential.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

namespace fib {

// Erlang C: the probability that an arrival waits in an M/M/c queue offered a = λ·E[S] erlangs.
// REQUIRES: c >= 1, 0 <= a < c.
double ErlangC(int servers, double offered_erlangs);

struct QueueModelInput {
  double lambda_per_s = 0;     // arrival rate λ
  double service_mean_ms = 0;  // E[S]
  double service_scv = 0;      // cs²
  double arrival_scv = 1;      // ca² (used only when arrivals are not Poisson)
  bool poisson_arrivals = false;
  int servers = 1;  // c: worker threads taking jobs from the queue
};

struct QueuePrediction {
  std::string model;          // Kendall notation: "M/D/1", "M/M/c", "G/G/1", ...
  std::string formula;        // "Pollaczek–Khinchine (exact for M/G/1)", ...
  bool exact = false;         // the formula is exact for this model (else an approximation)
  double rho = 0;             // utilisation λ·E[S] / c
  bool stable = false;        // ρ < 1: the queue has a steady state
  double wait_ms = 0;         // mean queue wait Wq (infinite when not stable)
  double max_rate_per_s = 0;  // c / E[S]: beyond this arrival rate the queue grows without bound
};

// Returns the prediction for `in`. REQUIRES: servers >= 1, service_mean_ms > 0.
QueuePrediction PredictQueue(const QueueModelInput& in);

// The arrival rate beyond which the queue grows without bound: c / E[S], and, when the job burns
// `cpu_ms_per_job` of CPU on `cores` cores, no more than cores / cpu time (threads without cores
// do not help a CPU-bound job). REQUIRES: service_mean_ms > 0.
double MaxStableRate(int servers, double service_mean_ms, double cpu_ms_per_job, int cores);

// The jobs a run needs before its mean wait at utilisation `rho` is judged: 400 / (1 − ρ)²
// (1 600 at ρ 0.5, 4 445 at 0.7, 40 000 at 0.9). Waits near capacity are long and correlated, and
// a run shorter than this gives a mean whose interval is both wide and too narrow for its error
// (simulated M/D/1: 8 000 jobs at ρ 0.7 land within ±9% of the truth 95% of the time).
inline constexpr double kJobsToJudgeScale = 400;
int64_t JobsToJudge(double rho);

}  // namespace fib
