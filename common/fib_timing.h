// FibTiming: the stage timestamps that travel with a job into its email, as the X-Fib-Timing
// header (docs/measurement.md#the-x-fib-timing-header), so the load generator can join them per
// request into a waterfall. Parsing is for untrusted input: bounded, never throws.
// Thread-safety: value type and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace fib {

inline constexpr char kFibTimingHeader[] = "X-Fib-Timing";
inline constexpr char kRequestStartHeader[] = "X-Request-Start";
inline constexpr size_t kMaxFibTimingBytes = 4096;
inline constexpr size_t kMaxFibTimingStages = 32;
inline constexpr size_t kMaxFibTimingStageNameBytes = 80;

// Wall-clock instants (CLOCK_REALTIME, µs since the epoch; 0 = not stamped) and durations (µs).
struct FibTiming {
  int64_t request_start_us = 0;  // the web's handler started (the request's arrival)
  int64_t enqueued_us = 0;       // Sidekiq's enqueued_at (background only)
  int64_t fetched_us = 0;        // the worker moved the job out of its queue
  int64_t perform_us = 0;        // the job's code started
  int64_t smtp_start_us = 0;     // the email was handed to the mailer
  // The job's stages that finished before the SMTP send, in order: name, duration µs.
  std::vector<std::pair<std::string, int64_t>> stages;

  bool operator==(const FibTiming& other) const = default;
};

// Returns the header value, e.g. "v=1; req=1700000000000123; perform=1700000000004000;
// stage=generate%20recommendations:100213; smtp=1700000000104500". Unset stamps are omitted;
// stage names are percent-encoded (bytes outside [A-Za-z0-9_.-]).
std::string FormatFibTiming(const FibTiming& timing);

// Parses a header value. Unknown keys are ignored (later versions may add some); a duplicated
// key, a malformed number, more than kMaxFibTimingStages stages, a stage name over
// kMaxFibTimingStageNameBytes or a value over kMaxFibTimingBytes is an error naming the problem.
Result<FibTiming> ParseFibTiming(std::string_view value);

// Returns the X-Request-Start header value: epoch milliseconds as plain digits.
std::string FormatRequestStart(int64_t request_start_us);

}  // namespace fib
