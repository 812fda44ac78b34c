#include "bench/loadgen/send_schedule.h"

#include <algorithm>
#include <cmath>

namespace fib {

SendSchedule::SendSchedule(int64_t origin_us, double rate_rps)
    : origin_us_(origin_us), interval_us_(rate_rps > 0 ? 1e6 / rate_rps : 0) {}

int64_t SendSchedule::StartOf(int64_t k) const {
  return origin_us_ + static_cast<int64_t>(std::llround(static_cast<double>(k) * interval_us_));
}

int64_t SendSchedule::IntendedStart(int64_t now_us) const {
  return closed_loop() ? now_us : StartOf(sent_);
}

int64_t SendSchedule::NextSendTime(int64_t now_us) {
  if (closed_loop()) return now_us;
  int64_t intended = StartOf(sent_);
  if (intended >= now_us) return intended;  // on pace
  // Behind: catch up at twice the rate.
  auto half_interval = static_cast<int64_t>(std::llround(interval_us_ / 2));
  return std::max(intended, last_sent_us_ + half_interval);
}

int64_t SendSchedule::Unsent(int64_t until_us) const {
  if (closed_loop() || until_us <= origin_us_) return 0;
  auto intended =
      static_cast<int64_t>(std::ceil(static_cast<double>(until_us - origin_us_) / interval_us_));
  return intended > sent_ ? intended - sent_ : 0;
}

}  // namespace fib
