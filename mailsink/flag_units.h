// Parsers for flag values with units, for the mail sink's --session-timeout and
// --max-store-bytes (common/flags.h has only plain numbers). Errors name the flag, the bad text
// and the accepted forms, ready for "exit 2".
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace fib {

// Parses a duration: a whole number followed by ms, s, min or h ("500ms", "90s", "10min",
// "1h"); a bare number is seconds. Returns milliseconds; refuses negative values, fractions,
// unknown units and anything above `max_ms`.
Result<int64_t> ParseDurationMs(const std::string& text, const std::string& flag, int64_t max_ms);
// Parses a size: a whole number of bytes, or followed by B, KiB, MiB or GiB (1024-based; K, M,
// G are accepted as the same). Refuses negative values, fractions, unknown units and overflow.
Result<int64_t> ParseByteSize(const std::string& text, const std::string& flag);

}  // namespace fib
