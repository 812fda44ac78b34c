// Monotonic and wall-clock microseconds for the hot path (clock_gettime via the vDSO), and the
// mapping between them, so intended send times can be compared with the mail sink's wall clock.
// Thread-safety: pure functions.
#pragma once

#include <time.h>

#include <cstdint>

namespace fib {

inline int64_t MonoMicros() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000LL + ts.tv_nsec / 1000;
}

inline int64_t WallMicros() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1'000'000LL + ts.tv_nsec / 1000;
}

// Returns the wall-clock time of monotonic time `mono_us` (offset taken at the first call).
inline int64_t WallFromMono(int64_t mono_us) {
  static const int64_t offset = WallMicros() - MonoMicros();
  return mono_us + offset;
}

}  // namespace fib
