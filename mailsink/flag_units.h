// Parsers for flag values with units, for the mail sink's --session-timeout and
// --max-store-bytes (text flags converted after parsing). Errors name the flag, the bad text
// and the accepted forms, ready for "exit 2".
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace fib {

// Parses a duration as every duration flag does (common/flags.h ParseDuration: us, ms, s, m or
// min, h; "500ms", "1.5s", "10min"); a bare number is seconds. Returns milliseconds; refuses
// negative values, fractions of a millisecond, unknown units, 0 and anything above `max_ms`.
Result<int64_t> ParseDurationMs(const std::string& text, const std::string& flag, int64_t max_ms);
// Parses a size: a whole number of bytes, or followed by B, KiB, MiB or GiB (1024-based; K, M,
// G are accepted as the same). Refuses negative values, fractions, unknown units and overflow.
Result<int64_t> ParseByteSize(const std::string& text, const std::string& flag);

}  // namespace fib
