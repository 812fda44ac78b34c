#include "common/clock.h"

#include <time.h>

namespace fib {
namespace {
int64_t Read(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}
}  // namespace

int64_t SystemClock::NowMicros() const { return Read(CLOCK_REALTIME); }
int64_t SystemClock::MonotonicMicros() const { return Read(CLOCK_MONOTONIC); }

SystemClock* SystemClock::Default() {
  static SystemClock clock;
  return &clock;
}

}  // namespace fib
