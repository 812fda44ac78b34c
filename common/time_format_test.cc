#include "common/time_format.h"

#include <catch2/catch.hpp>
#include <string>

// 2026-12-04 13:53:08 UTC, a Friday.
constexpr int64_t kFriday = 1796392388;

TEST_CASE("FormatUtc formats in UTC with any strftime format", "[time_format]") {
  CHECK(fib::FormatUtc(0, "%Y-%m-%d %H:%M:%S") == "1970-01-01 00:00:00");
  CHECK(fib::FormatUtc(kFriday, "%Y%m%dT%H%M%SZ") == "20261204T135308Z");
  CHECK(fib::FormatUtc(kFriday, "%Y-%m-%d") == "2026-12-04");
}

TEST_CASE("FormatUtc returns \"\" rather than cut text short", "[time_format]") {
  CHECK(fib::FormatUtc(kFriday, std::string(70, 'x').c_str()).empty());
}

TEST_CASE("Rfc5322Date and Iso8601Utc have their standard shapes", "[time_format]") {
  CHECK(fib::Rfc5322Date(kFriday) == "Fri, 04 Dec 2026 13:53:08 +0000");
  CHECK(fib::Rfc5322Date(0) == "Thu, 01 Jan 1970 00:00:00 +0000");
  CHECK(fib::Iso8601Utc(kFriday) == "2026-12-04T13:53:08Z");
}
