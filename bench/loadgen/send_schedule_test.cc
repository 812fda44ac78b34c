// SendSchedule: the wrk2 open-loop schedule and its 2x catch-up; seeded Poisson arrivals.
#include "bench/loadgen/send_schedule.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <vector>

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

namespace {
// Returns the first `n` intended starts of a connection that sends each on time.
std::vector<int64_t> IntendedStarts(SendSchedule s, size_t n) {
  std::vector<int64_t> starts;
  int64_t now = 0;
  while (starts.size() < n) {
    now = std::max(now, s.NextSendTime(now));
    starts.push_back(s.IntendedStart(now));
    s.OnSent(now);
  }
  return starts;
}
}  // namespace

TEST_CASE("Poisson arrivals: the same seed gives the same schedule, another seed another",
          "[schedule]") {
  using fib::ArrivalProcess;
  auto a = IntendedStarts(SendSchedule(1'000'000, 50, ArrivalProcess::kPoisson, 7), 500);
  auto b = IntendedStarts(SendSchedule(1'000'000, 50, ArrivalProcess::kPoisson, 7), 500);
  auto c = IntendedStarts(SendSchedule(1'000'000, 50, ArrivalProcess::kPoisson, 8), 500);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(a.front() > 1'000'000);  // one random gap after the origin
  CHECK(std::is_sorted(a.begin(), a.end()));
  CHECK(fib::ConnectionSeed(7, 0) != fib::ConnectionSeed(7, 1));
  CHECK(fib::ConnectionSeed(7, 3) == fib::ConnectionSeed(7, 3));
}

TEST_CASE("Poisson arrivals: mean rate and coefficient of variation of an exponential",
          "[schedule]") {
  // 20000 gaps at 100 req/s: the mean gap's standard error is 1/sqrt(20000) = 0.7% and the
  // CV's about 1%; 5% tolerances hold for any seed.
  for (uint64_t seed : {1ULL, 2ULL, 12345ULL}) {
    auto starts = IntendedStarts(SendSchedule(0, 100, fib::ArrivalProcess::kPoisson, seed), 20001);
    double sum = 0, sum_sq = 0;
    for (size_t i = 1; i < starts.size(); ++i) {
      double gap = static_cast<double>(starts[i] - starts[i - 1]);
      sum += gap;
      sum_sq += gap * gap;
    }
    double n = static_cast<double>(starts.size() - 1);
    double mean = sum / n, cv = std::sqrt(sum_sq / n - mean * mean) / mean;
    INFO("seed " << seed << " mean gap " << mean << " µs, CV " << cv);
    CHECK(mean == Approx(10'000).epsilon(0.05));
    CHECK(cv == Approx(1.0).epsilon(0.05));
  }
  // Constant arrivals: every gap the same.
  auto even = IntendedStarts(SendSchedule(0, 100), 100);
  CHECK(even[99] - even[98] == 10'000);
}

TEST_CASE("Poisson arrivals count the requests not sent by the end", "[schedule]") {
  SendSchedule s(0, 100, fib::ArrivalProcess::kPoisson, 3);
  int64_t unsent = s.Unsent(10'000'000);  // nothing sent in 10 s at 100 req/s
  CHECK(unsent > 900);
  CHECK(unsent < 1100);
  CHECK(s.Unsent(10'000'000) == unsent);  // counting does not move the schedule
}

TEST_CASE(
    "SendSchedule bursts: size requests at one instant every size / rate, shared by the "
    "connections",
    "[schedule]") {
  // 5 per burst at 10 req/s: a burst every 500 ms, over 2 connections.
  std::map<int64_t, int> per_instant;
  for (int i = 0; i < 2; ++i) {
    SendSchedule s = SendSchedule::Burst(1'000'000, 10, 5, i, 2);
    for (int k = 0; k < 10; ++k) {
      int64_t t = s.IntendedStart(0);
      ++per_instant[t];
      s.OnSent(t);
    }
  }
  // 20 requests: bursts at 0, 500, 1000, 1500 ms of 5 each.
  REQUIRE(per_instant.size() == 4);
  for (int b = 0; b < 4; ++b) CHECK(per_instant[1'000'000 + b * 500'000] == 5);
}

TEST_CASE("SendSchedule sends a connection's share of a burst back to back", "[schedule]") {
  SendSchedule s = SendSchedule::Burst(0, 100, 6, 0, 2);  // 3 each, every 60 ms
  CHECK(s.NextSendTime(0) == 0);
  s.OnSent(0);
  // The response came at 4 ms: the next of this burst goes now, its latency counted from 0.
  CHECK(s.NextSendTime(4'000) == 4'000);
  CHECK(s.IntendedStart(4'000) == 0);
  s.OnSent(4'000);
  s.OnSent(6'000);
  // Burst done: wait for the next one.
  CHECK(s.NextSendTime(7'000) == 60'000);
  CHECK(s.Unsent(130'000) == 6);  // bursts at 60 and 120 ms, 3 each
}

TEST_CASE("A late Poisson request goes at once: short gaps are not spaced out", "[schedule]") {
  // 10 req/s: mean gap 100 ms. The connection was busy for 10 mean gaps; every request that fell
  // due meanwhile goes as soon as the connection is free, latency counted from its intended time.
  SendSchedule s(0, 10, fib::ArrivalProcess::kPoisson, 3);
  int64_t now = 1'000'000;
  int overdue = 0;
  while (s.IntendedStart(now) < now) {
    int64_t intended = s.IntendedStart(now);
    CHECK(s.NextSendTime(now) == now);  // the constant schedule would wait half a gap here
    CHECK(intended < now);
    s.OnSent(now);
    now += 100;  // an instant response
    ++overdue;
  }
  CHECK(overdue >= 3);
}
