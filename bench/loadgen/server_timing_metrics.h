// Reads a Server-Timing response header (W3C: `name;dur=12.3;desc="x", other;dur=0.4`) into
// durations, so the load generator can report what the server says its parts cost — e.g. the web's
// `enqueue` time, which the lesson assumes is 1 ms.
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fib {

// Returns (metric name, duration in µs) for every metric with a valid `dur` parameter (ms).
// Metrics without dur, and malformed entries, are skipped.
std::vector<std::pair<std::string, int64_t>> ParseServerTiming(std::string_view header);

}  // namespace fib
