// TokenBucket: the chaos rate limit. Holds up to `burst` tokens, refilled at `rate_per_s`; each
// message takes one. Time is passed in (monotonic microseconds), so tests drive it by hand.
// Thread-safety: none; Chaos calls it under its own lock.
#pragma once

#include <cstdint>

namespace fib {

class TokenBucket {
 public:
  // Starts full at `now_us`. REQUIRES: rate_per_s > 0, burst >= 1.
  TokenBucket(double rate_per_s, int64_t burst, int64_t now_us);

  // Takes one token if there is one at `now_us`; returns whether it did.
  bool TryTake(int64_t now_us);
  // Returns the tokens available at `now_us` (fractional).
  double Available(int64_t now_us);

 private:
  void Refill(int64_t now_us);

  double rate_per_s_;
  double burst_;
  double tokens_;
  int64_t last_us_;
};

}  // namespace fib
