// SendSchedule: when one connection sends its next request (wrk2's open-loop schedule).
// Request k is intended to start at origin + k / rate. When the connection falls behind (the
// server was slow), it catches up at twice its rate instead of bursting: a late request goes no
// sooner than half an interval after the previous send. Latency is always measured from the
// intended start, so the wait counts. Rate 0 means closed loop: send at once.
// (wrk2 anchors catch-up at the first late send; a timer firing a microsecond late then leaves a
// stale anchor that lets the next stall end in a burst. Spacing from the last send cannot.)
// Thread-safety: none; owned by one connection on one thread. Times are monotonic µs.
#pragma once

#include <cstdint>

namespace fib {

class SendSchedule {
 public:
  // `rate_rps` is this connection's share of the offered rate (0 = closed loop).
  SendSchedule(int64_t origin_us, double rate_rps);

  // Returns when the next request may be sent, given that it is `now_us` and the connection is
  // free: its intended start when on pace, else the next catch-up slot (2x rate). The result
  // is <= now_us when it may be sent now.
  int64_t NextSendTime(int64_t now_us);
  // Returns the intended start of the next request (for the latency clock). Closed loop:
  // `now_us`.
  int64_t IntendedStart(int64_t now_us) const;
  // Marks the next request as sent at `now_us`.
  void OnSent(int64_t now_us) {
    ++sent_;
    last_sent_us_ = now_us;
  }
  // Returns how many requests were intended to start before `until_us` but not sent yet.
  int64_t Unsent(int64_t until_us) const;

  int64_t sent() const { return sent_; }
  bool closed_loop() const { return interval_us_ <= 0; }

 private:
  int64_t StartOf(int64_t k) const;

  int64_t origin_us_;
  double interval_us_;  // 1e6 / rate
  int64_t sent_ = 0;
  int64_t last_sent_us_ = INT64_MIN / 2;
};

}  // namespace fib
