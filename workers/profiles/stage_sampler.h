// StageSampler: the seeded stream a variable cpu/io stage draws its durations from, and the
// distribution maths behind it (docs/profiles.md, "Variable stage times"): the draws, the cap,
// and the mean and variance the queueing formulas need.
// Thread-safety: StageSampler::DrawMs locks a mutex (any thread); the free functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>

#include "workers/profiles/profile.h"

namespace fib {

// Φ⁻¹(0.99): a log-normal's σ = (ln p99 − ln p50) / kNormalZ99.
inline constexpr double kNormalZ99 = 2.3263478740;
// Without max_ms, an exponential or log-normal stage draws at most this many times its mean.
inline constexpr int kDefaultCapFactor = 100;

struct LogNormalParams {
  double mu = 0;     // ln of the median (ms)
  double sigma = 0;  // of ln(duration)
};
// Returns μ = ln p50 and σ = (ln p99 − ln p50) / kNormalZ99. REQUIRES: stage.p99_ms > stage.ms > 0.
LogNormalParams LogNormalOf(const Stage& stage);

// Returns the mean (ms) of a cpu/io stage's distribution before the cap: ms for fixed and
// exponential, exp(μ + σ²/2) for log-normal. The default cap is kDefaultCapFactor times this.
double UncappedMeanMs(const Stage& stage);
// Returns E[S] (ms) and Var[S] (ms²) of a cpu/io stage's duration as drawn, the cap included
// (min(X, max_ms) has a slightly smaller mean and variance than X). Fixed with jitter: the
// discrete uniform on ms ± jitter_ms, variance j(j+1)/3.
double StageMeanMs(const Stage& stage);
double StageVarianceMs2(const Stage& stage);

// A seeded stream of one stage's durations. The same seed gives the same sequence: the n-th
// DrawMs of a stage in a process is fixed by its seed, whichever thread makes it. So with one
// thread running the stage (one worker thread; requests one at a time) the n-th job always gets
// the same duration; with several threads the same values are dealt out in the order the threads
// draw. The draws use only std::mt19937_64 and <cmath>, so they match across standard libraries.
class StageSampler {
 public:
  // Copies the distribution of `stage` (a cpu/io stage). REQUIRES: its fields are validated.
  StageSampler(const Stage& stage, uint64_t seed);

  // Returns the next duration in milliseconds, in [0, cap] (fixed: ms ± jitter_ms, whole ms).
  double DrawMs();
  uint64_t seed() const { return seed_; }

 private:
  double Uniform();  // [0, 1), 53 random bits. REQUIRES: mu_ held.

  StageDistribution distribution_;
  double ms_;
  int jitter_ms_;
  LogNormalParams log_normal_;
  double cap_ms_;
  uint64_t seed_;
  std::mutex mu_;
  std::mt19937_64 engine_;  // guarded by mu_
};

// Returns the seed of the stream of stage `index` (0-based) of `phase`: `seed` (the stage's own,
// else the profile's) mixed with the position, so no two stages share a stream; a random seed
// when `seed` is empty.
uint64_t StreamSeed(std::optional<int64_t> seed, StagePhase phase, size_t index);

}  // namespace fib
