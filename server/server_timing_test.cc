#include "server/server_timing.h"

#include <catch2/catch.hpp>

namespace fib {
namespace {

TEST_CASE("Server-Timing lists each metric in milliseconds with µs precision", "[timing]") {
  ServerTiming timing;
  CHECK(timing.HeaderValue().empty());
  timing.Add("load_user", 3000);
  timing.Add("enqueue", 412);
  CHECK(timing.HeaderValue() == "load_user;dur=3.000, enqueue;dur=0.412");
}

TEST_CASE("metric names that are not tokens are made safe", "[timing]") {
  ServerTiming timing;
  timing.Add("send mail;x", 1000);
  timing.Add("", 1);
  CHECK(timing.HeaderValue() == "send_mail_x;dur=1.000, unnamed;dur=0.001");
}

}  // namespace
}  // namespace fib
