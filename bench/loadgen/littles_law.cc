#include "bench/loadgen/littles_law.h"

#include <fmt/format.h>

#include <cmath>

namespace fib {
namespace {

// Samples see waiting jobs like a Poisson count: with λ·W·samples "job-samples" expected, a
// 10% difference is beyond two standard deviations only from about 400 on; an L of exactly 0 is
// already impossible (e^-20) from 20 on.
constexpr double kJobSamplesToCheck = 400;
constexpr double kJobSamplesForEmpty = 20;
constexpr double kTolerance = 0.10;

void MeanOfWindow(const std::vector<RedisSample>& samples, double window_s, LittlesLaw* law) {
  double depth = 0, busy = 0, concurrency = 0;
  for (const RedisSample& s : samples) {
    if (s.t_s < 0 || s.t_s > window_s) continue;
    ++law->samples;
    depth += static_cast<double>(s.queue_depth);
    busy += static_cast<double>(s.busy);
    concurrency += static_cast<double>(s.concurrency);
  }
  if (law->samples == 0) return;
  law->l_mean = depth / static_cast<double>(law->samples);
  if (concurrency > 0) law->rho = busy / concurrency;
}

std::string Disagreement(const LittlesLawInput& input, const LittlesLaw& law) {
  std::string cause;
  if (law.l_mean == 0) {
    cause = fmt::format(
        "the sampler saw queue:{} always empty: it likely watches the wrong queue "
        "(--queue)",
        input.queue);
  } else if (input.window_s < 10) {
    cause =
        fmt::format("the run ({:.1f} s) is likely too short for a steady state", input.window_s);
  } else {
    cause =
        "the queue was not in a steady state (it grew or drained), or the web's and the "
        "worker's clocks disagree (they must share CLOCK_REALTIME on one machine)";
  }
  return fmt::format(
      "WARNING: Little's law does not hold: L = {:.3f} sampled jobs in queue but "
      "λ·W = {:.2f}/s × {:.1f} ms = {:.3f} (ratio {:.2f}); {}",
      law.l_mean, law.lambda_per_s, law.w_ms, law.predicted_l, law.ratio, cause);
}

}  // namespace

std::optional<LittlesLaw> CheckLittlesLaw(const LittlesLawInput& input) {
  if (!input.samples || input.samples->empty() || !input.queue_wait ||
      input.queue_wait->total_count() == 0 || input.window_s <= 0) {
    return std::nullopt;
  }
  LittlesLaw law;
  law.lambda_per_s = static_cast<double>(input.jobs) / input.window_s;
  law.w_ms = input.queue_wait->Mean() / 1000.0;
  MeanOfWindow(*input.samples, input.window_s, &law);
  law.predicted_l = law.lambda_per_s * law.w_ms / 1000.0;
  law.ratio = law.predicted_l > 0 ? law.l_mean / law.predicted_l : 0;
  double job_samples = law.predicted_l * static_cast<double>(law.samples);
  bool empty_but_busy = law.l_mean == 0 && job_samples >= kJobSamplesForEmpty;
  law.checked = job_samples >= kJobSamplesToCheck || empty_but_busy;
  if (!law.checked) {
    law.note = fmt::format(
        "not checked: λ·W·samples = {:.1f} expected sightings of a waiting job, "
        "too few to tell a {:.0f}% difference",
        job_samples, kTolerance * 100);
  } else if (empty_but_busy || std::fabs(law.ratio - 1) > kTolerance) {
    law.warning = Disagreement(input, law);
  }
  return law;
}

}  // namespace fib
