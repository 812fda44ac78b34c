// Little's law on the live system: L = λ·W. λ is the jobs enqueued per second, W the mean queue
// wait the emails' stamps measured (StageJoin), L the mean queue depth the RedisSampler saw. When
// the two sides disagree the instrument is wrong somewhere, and the check names where to look
// (docs/measurement.md#littles-law). Also the workers' utilisation ρ = busy / concurrency.
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/histogram/hdr_histogram.h"
#include "bench/loadgen/redis_sampler.h"

namespace fib {

struct LittlesLawInput {
  int64_t jobs = 0;                          // jobs enqueued in the measured window (2xx responses)
  double window_s = 0;                       // the measured window
  const HdrHistogram* queue_wait = nullptr;  // µs, per joined job
  const std::vector<RedisSample>* samples = nullptr;
  std::string queue;  // the queue the sampler watched
};

struct LittlesLaw {
  double lambda_per_s = 0;  // λ
  double w_ms = 0;          // W: mean queue wait
  double l_mean = 0;        // L: mean sampled depth over the measured window
  double predicted_l = 0;   // λ·W
  double ratio = 0;         // L / (λ·W); 0 when λ·W is 0
  int64_t samples = 0;      // depth samples in the measured window
  double rho = -1;          // mean busy / mean concurrency; -1 without heartbeats
  bool checked = false;     // enough jobs were seen waiting to tell a 10% difference
  std::string note;         // why it was not checked, when it was not
  std::string warning;      // "WARNING: ..." when the sides disagree; "" otherwise
};

// Returns nullopt without samples or queue-wait figures.
std::optional<LittlesLaw> CheckLittlesLaw(const LittlesLawInput& input);

}  // namespace fib
