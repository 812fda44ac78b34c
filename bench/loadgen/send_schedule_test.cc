// SendSchedule: the wrk2 open-loop schedule and its 2x catch-up.
#include "bench/loadgen/send_schedule.h"

#include <catch2/catch.hpp>

using fib::SendSchedule;

TEST_CASE("SendSchedule paces requests at the per-connection rate", "[schedule]") {
  SendSchedule s(1'000'000, 100);  // 100 req/s: one every 10 ms
  CHECK(s.NextSendTime(1'000'000) == 1'000'000);
  CHECK(s.IntendedStart(1'000'000) == 1'000'000);
  s.OnSent(1'000'000);
  // Response after 2 ms: wait until the next slot, not now.
  CHECK(s.NextSendTime(1'002'000) == 1'010'000);
  CHECK(s.IntendedStart(1'010'000) == 1'010'000);
  s.OnSent(1'010'000);
  CHECK(s.NextSendTime(1'011'000) == 1'020'000);
}

// Sends on every slot the schedule gives, with instant responses, from `now` until the
// schedule is met again. Returns the send times.
std::vector<int64_t> CatchUp(SendSchedule& s, int64_t now) {
  std::vector<int64_t> sends;
  while (s.IntendedStart(now) < now && sends.size() < 1000) {
    now = std::max(now, s.NextSendTime(now));
    s.OnSent(now);
    sends.push_back(now);
  }
  return sends;
}

TEST_CASE("SendSchedule catches up at twice the rate after a stall, not in a burst", "[schedule]") {
  SendSchedule s(0, 100);  // every 10 ms
  s.OnSent(s.NextSendTime(0));
  // The server stalled: the response to request 0 comes at 105 ms. Requests 1..10 are late.
  int64_t now = 105'000;
  CHECK(s.NextSendTime(now) == 10'000);   // in the past: the first late request goes at once
  CHECK(s.IntendedStart(now) == 10'000);  // ...and its latency counts from 10 ms
  s.OnSent(now);
  // The next one (intended 20 ms) waits half an interval: 2x the rate.
  CHECK(s.NextSendTime(now + 1'000) == now + 5'000);
  s.OnSent(now + 5'000);
  CHECK(s.NextSendTime(now + 6'000) == now + 10'000);
  s.OnSent(now + 10'000);
  // Behind by 85 ms, gaining 5 ms per send: on pace again after about 2 x the stall.
  auto sends = CatchUp(s, now + 11'000);
  for (size_t i = 1; i < sends.size(); ++i) CHECK(sends[i] - sends[i - 1] >= 5'000);
  CHECK(sends.size() >= 15);
  CHECK(sends.size() <= 19);
}

TEST_CASE("SendSchedule does not burst after a stall that follows a late timer", "[schedule]") {
  SendSchedule s(0, 100);
  // On pace, but every timer fires 3 µs late (a late send must not anchor a later catch-up).
  for (int k = 0; k < 10; ++k) {
    int64_t due = s.NextSendTime(k * 10'000 - 5'000);
    REQUIRE(due == k * 10'000);
    s.OnSent(due + 3);
  }
  // Then a 1 s stall before the response to request 9.
  auto sends = CatchUp(s, 90'003 + 1'000'000);
  REQUIRE(sends.size() > 100);
  for (size_t i = 1; i < sends.size(); ++i) REQUIRE(sends[i] - sends[i - 1] >= 5'000);
}

TEST_CASE("SendSchedule counts requests never sent", "[schedule]") {
  SendSchedule s(0, 10);  // every 100 ms
  CHECK(s.Unsent(1'000'000) == 10);
  for (int i = 0; i < 4; ++i) s.OnSent(i * 100'000);
  CHECK(s.Unsent(1'000'000) == 6);
  CHECK(s.Unsent(350'000) == 0);
}

TEST_CASE("SendSchedule in closed loop sends at once", "[schedule]") {
  SendSchedule s(0, 0);
  CHECK(s.closed_loop());
  CHECK(s.NextSendTime(12'345) == 12'345);
  CHECK(s.IntendedStart(12'345) == 12'345);
  CHECK(s.Unsent(1'000'000) == 0);
}
