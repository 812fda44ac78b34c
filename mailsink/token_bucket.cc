#include "mailsink/token_bucket.h"

#include <algorithm>

#include "common/require.h"

namespace fib {

TokenBucket::TokenBucket(double rate_per_s, int64_t burst, int64_t now_us)
    : rate_per_s_(rate_per_s),
      burst_(static_cast<double>(burst)),
      tokens_(static_cast<double>(burst)),
      last_us_(now_us) {
  FIB_REQUIRE(rate_per_s > 0 && burst >= 1);
}

void TokenBucket::Refill(int64_t now_us) {
  // A clock that stepped back adds nothing (and does not move last_us_ back).
  if (now_us <= last_us_) return;
  tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_us - last_us_) * rate_per_s_ / 1e6);
  last_us_ = now_us;
}

bool TokenBucket::TryTake(int64_t now_us) {
  Refill(now_us);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

double TokenBucket::Available(int64_t now_us) {
  Refill(now_us);
  return tokens_;
}

}  // namespace fib
