// RunStats: what one load thread measured in one phase (warmup or measured window), merged
// across threads at the end. Histograms, not sample lists, so memory stays flat.
// Thread-safety: none; one writer (its thread); Merge after the threads have stopped.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/histogram/hdr_histogram.h"

namespace fib {

enum class ErrorKind { kConnect = 0, kRead, kWrite, kTimeout, kStatus };
inline constexpr int kErrorKinds = 5;
// Returns "connect", "read", "write", "timeout" or "status".
const char* ErrorKindName(ErrorKind kind);

// One request that got a 2xx, kept only for the end-to-end join (--mail).
struct SentRequest {
  int64_t number = 0;
  int64_t intended_wall_us = 0;  // intended send time, µs since the epoch
  int64_t response_us = 0;       // corrected response latency
};

struct RunStats {
  HdrHistogram latency;              // done - intended start (µs)
  HdrHistogram uncorrected_latency;  // done - actual send (µs)
  HdrHistogram schedule_lag;         // actual send - when the schedule said to send (µs)
  HdrHistogram send_delay;           // actual send - intended start (µs): how far behind
  int64_t requests = 0;              // completed, including errors and timeouts
  std::map<int, int64_t> status_codes;
  std::array<int64_t, kErrorKinds> errors{};
  std::vector<SentRequest> ok_requests;  // only with --mail
  // Durations the server reported in its Server-Timing header, by metric name (µs).
  std::map<std::string, HdrHistogram> server_timing;

  void CountError(ErrorKind kind) { ++errors[static_cast<int>(kind)]; }
  int64_t total_errors() const;
  // Adds everything in `other`.
  void Merge(const RunStats& other);
};

}  // namespace fib
