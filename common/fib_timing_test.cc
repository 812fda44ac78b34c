#include "common/fib_timing.h"

#include <catch2/catch.hpp>
#include <string>

namespace fib {
namespace {

FibTiming Background() {
  FibTiming t;
  t.request_start_us = 1700000000000123;
  t.enqueued_us = 1700000000003500;
  t.fetched_us = 1700000000004100;
  t.perform_us = 1700000000004200;
  t.stages = {{"generate recommendations", 100213}, {"a;b=c:d%", 7}};
  t.smtp_start_us = 1700000000104500;
  return t;
}

TEST_CASE("X-Fib-Timing round trips every stamp and stage name", "[fib_timing]") {
  FibTiming t = Background();
  std::string header = FormatFibTiming(t);
  CHECK(header.rfind("v=1; req=1700000000000123; enq=", 0) == 0);
  CHECK(header.find("stage=generate%20recommendations:100213") != std::string::npos);
  CHECK(header.find_first_of("\r\n") == std::string::npos);
  auto parsed = ParseFibTiming(header);
  REQUIRE(parsed.ok());
  CHECK(*parsed == t);
}

TEST_CASE("X-Fib-Timing omits stamps that were not taken (inline, Ruby-enqueued jobs)",
          "[fib_timing]") {
  FibTiming t;
  t.perform_us = 5;
  t.smtp_start_us = 9;
  std::string header = FormatFibTiming(t);
  CHECK(header == "v=1; perform=5; smtp=9");
  auto parsed = ParseFibTiming(header);
  REQUIRE(parsed.ok());
  CHECK(parsed->request_start_us == 0);
  CHECK(parsed->enqueued_us == 0);
  CHECK(*parsed == t);
}

TEST_CASE("X-Fib-Timing parsing ignores unknown keys and blank items", "[fib_timing]") {
  auto parsed = ParseFibTiming(" v=1;; later=xyz ; req = 42 ;");
  REQUIRE(parsed.ok());
  CHECK(parsed->request_start_us == 42);
}

TEST_CASE("X-Fib-Timing parsing refuses hostile or malformed values", "[fib_timing]") {
  CHECK_FALSE(ParseFibTiming("req=1; req=2").ok());
  CHECK_FALSE(ParseFibTiming("req=-5").ok());
  CHECK_FALSE(ParseFibTiming("req=12x").ok());
  CHECK_FALSE(ParseFibTiming("req=99999999999999999999999").ok());
  CHECK_FALSE(ParseFibTiming("v=2").ok());
  CHECK_FALSE(ParseFibTiming("stage=abc").ok());
  CHECK_FALSE(ParseFibTiming("stage=%zz:1").ok());
  CHECK_FALSE(ParseFibTiming("stage=%4:1").ok());
  CHECK_FALSE(ParseFibTiming("stage=:1").ok());
  CHECK_FALSE(ParseFibTiming("stage=" + std::string(81, 'a') + ":1").ok());
  std::string many = "v=1";
  for (size_t i = 0; i <= kMaxFibTimingStages; ++i) many += "; stage=s:1";
  CHECK_FALSE(ParseFibTiming(many).ok());
  CHECK_FALSE(ParseFibTiming(std::string(kMaxFibTimingBytes + 1, ' ')).ok());
  CHECK_FALSE(ParseFibTiming("garbage").ok());
  CHECK(ParseFibTiming("").ok());
}

TEST_CASE("X-Request-Start is epoch milliseconds as digits", "[fib_timing]") {
  CHECK(FormatRequestStart(1700000000123456) == "1700000000123");
}

}  // namespace
}  // namespace fib
