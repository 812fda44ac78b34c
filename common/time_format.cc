#include "common/time_format.h"

#include <time.h>

namespace fib {

std::string FormatUtc(int64_t unix_seconds, const char* format) {
  time_t seconds = static_cast<time_t>(unix_seconds);
  tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  size_t length = strftime(text, sizeof text, format, &utc);
  return std::string(text, length);
}

std::string Rfc5322Date(int64_t unix_seconds) {
  // strftime's %a and %b follow LC_TIME; programs here never call setlocale, so they stay "C".
  return FormatUtc(unix_seconds, "%a, %d %b %Y %H:%M:%S +0000");
}

std::string Iso8601Utc(int64_t unix_seconds) {
  return FormatUtc(unix_seconds, "%Y-%m-%dT%H:%M:%SZ");
}

}  // namespace fib
