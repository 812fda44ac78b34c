// Wall-clock times as text, always in UTC: one place for the gmtime_r + strftime dance.
// Thread-safety: every function is safe to call from any thread (gmtime_r, no shared state).
#pragma once

#include <cstdint>
#include <string>

namespace fib {

// Returns `unix_seconds` formatted by strftime `format` in UTC, e.g. FormatUtc(0, "%Y-%m-%d") is
// "1970-01-01". Returns "" if the text would exceed 63 bytes.
std::string FormatUtc(int64_t unix_seconds, const char* format);
// Returns an RFC 5322 Date header value, e.g. "Thu, 01 Jan 1970 00:00:00 +0000".
std::string Rfc5322Date(int64_t unix_seconds);
// Returns ISO 8601 to the second, e.g. "1970-01-01T00:00:00Z".
std::string Iso8601Utc(int64_t unix_seconds);

}  // namespace fib
