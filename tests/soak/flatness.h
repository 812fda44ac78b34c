// Flatness: the soak test's verdict on one process's memory and file descriptors — after a
// warm-up, do RSS and the fd count stay within a bound of their post-warm-up baseline? Plus the
// table the test prints.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/soak/process_sampler.h"

namespace fib::test {

struct FlatnessLimits {
  double warmup_s = 12;                   // samples before this are warm-up, not judged
  double max_rss_growth_fraction = 0.10;  // max RSS after warm-up <= baseline * (1 + this)
  double max_fd_growth_fraction = 0.10;   // max fds after warm-up <= baseline + max(this*baseline,
  int64_t fd_slack = 3;                   //                                           fd_slack)
};

struct Flatness {
  std::string name;
  bool judged = false;     // false: no sample after the warm-up (run too short, process died)
  ProcessSample baseline;  // first sample at or after warm-up end
  ProcessSample end;       // last sample
  int64_t max_rss_kb = 0;  // over samples from the baseline on
  int64_t max_fds = 0;
  int64_t fd_limit = 0;  // largest fd count that still counts as flat
  int64_t rss_limit_kb = 0;
  bool rss_flat = false;
  bool fds_flat = false;
  int64_t read_errors = 0;
};

// Judges one process's samples against `limits`. Shrinking never fails: only growth is a leak.
Flatness AssessFlatness(const ProcessSeries& series, const FlatnessLimits& limits);
// Returns (value - base) / base in percent; 0 when base is 0.
double GrowthPercent(int64_t base, int64_t value);
// Returns a fixed-width table: per process RSS and fds at warm-up end, at the end, max, delta %.
std::string FlatnessTable(const std::vector<Flatness>& rows);

}  // namespace fib::test
