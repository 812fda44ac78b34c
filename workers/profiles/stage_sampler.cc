#include "workers/profiles/stage_sampler.h"

#include <algorithm>
#include <cmath>

namespace fib {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Standard normal CDF.
double Phi(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

// SplitMix64's finaliser: spreads nearby seeds (1, 2, 3 ...) over unrelated engine states.
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// E[min(X, c)] and E[min(X, c)²] for the stage's X and cap c.
struct Moments {
  double mean = 0;
  double second = 0;
};

Moments ExponentialMoments(double mean_ms, double cap_ms) {
  double tail = std::exp(-cap_ms / mean_ms);  // P(X > c)
  return {mean_ms * (1 - tail), 2 * mean_ms * mean_ms * (1 - tail * (1 + cap_ms / mean_ms))};
}

Moments LogNormalMoments(LogNormalParams p, double cap_ms) {
  double a = (std::log(cap_ms) - p.mu) / p.sigma;
  double above = 1 - Phi(a);  // P(X > c): those draws become c
  double s2 = p.sigma * p.sigma;
  return {std::exp(p.mu + s2 / 2) * Phi(a - p.sigma) + cap_ms * above,
          std::exp(2 * p.mu + 2 * s2) * Phi(a - 2 * p.sigma) + cap_ms * cap_ms * above};
}

Moments CappedMoments(const Stage& stage) {
  switch (stage.distribution) {
    case StageDistribution::kExponential:
      return ExponentialMoments(stage.ms, stage.max_ms);
    case StageDistribution::kLogNormal:
      return LogNormalMoments(LogNormalOf(stage), stage.max_ms);
    case StageDistribution::kFixed:
      break;
  }
  double j = stage.jitter_ms;
  double ms = stage.ms;
  return {ms, ms * ms + j * (j + 1) / 3};
}

}  // namespace

LogNormalParams LogNormalOf(const Stage& stage) {
  double mu = std::log(static_cast<double>(stage.ms));
  return {mu, (std::log(static_cast<double>(stage.p99_ms)) - mu) / kNormalZ99};
}

double UncappedMeanMs(const Stage& stage) {
  if (stage.distribution != StageDistribution::kLogNormal) return stage.ms;
  LogNormalParams p = LogNormalOf(stage);
  return std::exp(p.mu + p.sigma * p.sigma / 2);
}

double StageMeanMs(const Stage& stage) { return CappedMoments(stage).mean; }

double StageVarianceMs2(const Stage& stage) {
  Moments m = CappedMoments(stage);
  return std::max(0.0, m.second - m.mean * m.mean);
}

StageSampler::StageSampler(const Stage& stage, uint64_t seed)
    : distribution_(stage.distribution),
      ms_(stage.ms),
      jitter_ms_(stage.jitter_ms),
      log_normal_(stage.distribution == StageDistribution::kLogNormal ? LogNormalOf(stage)
                                                                      : LogNormalParams{}),
      cap_ms_(stage.max_ms),
      seed_(seed),
      engine_(seed) {}

double StageSampler::Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

double StageSampler::DrawMs() {
  std::lock_guard<std::mutex> lock(mu_);
  switch (distribution_) {
    case StageDistribution::kExponential:
      // Inversion: -mean·ln(1 − U), U in [0, 1), so the log never sees 0.
      return std::min(cap_ms_, -ms_ * std::log1p(-Uniform()));
    case StageDistribution::kLogNormal: {
      // Box–Muller: 1 − U is in (0, 1], so the log is finite.
      double radius = std::sqrt(-2 * std::log(1 - Uniform()));
      double z = radius * std::cos(2 * kPi * Uniform());
      return std::min(cap_ms_, std::exp(log_normal_.mu + log_normal_.sigma * z));
    }
    case StageDistribution::kFixed:
      break;
  }
  // ms ± jitter_ms, each whole millisecond equally likely (jitter_ms <= ms keeps it >= 0).
  int span = 2 * jitter_ms_ + 1;
  int step = std::min(span - 1, static_cast<int>(Uniform() * span));
  return ms_ - jitter_ms_ + step;
}

uint64_t StreamSeed(std::optional<int64_t> seed, StagePhase phase, size_t index) {
  if (!seed) return (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  uint64_t position = (static_cast<uint64_t>(phase) << 32) | index;
  return Mix(static_cast<uint64_t>(*seed) ^ Mix(position));
}

}  // namespace fib
