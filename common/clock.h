// Clock: where time comes from, so tests can replace it (as LevelDB's Env).
// SystemClock is thread-safe. ManualClock is thread-safe too (atomic), for tests.
#pragma once

#include <atomic>
#include <cstdint>

namespace fib {

class Clock {
 public:
  virtual ~Clock() = default;
  // Returns wall-clock time in microseconds since the Unix epoch.
  virtual int64_t NowMicros() const = 0;
  // Returns a monotonic time in microseconds (arbitrary origin), for durations.
  virtual int64_t MonotonicMicros() const = 0;

  double NowSeconds() const { return static_cast<double>(NowMicros()) / 1e6; }
  int64_t NowMillis() const { return NowMicros() / 1000; }
};

// The real clock (CLOCK_REALTIME / CLOCK_MONOTONIC).
class SystemClock : public Clock {
 public:
  int64_t NowMicros() const override;
  int64_t MonotonicMicros() const override;
  // Returns a process-wide instance.
  static SystemClock* Default();
};

// A clock that moves only when told to. Both readings share one value.
class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t start_micros = 1700000000LL * 1000000) : now_(start_micros) {}
  int64_t NowMicros() const override { return now_.load(); }
  int64_t MonotonicMicros() const override { return now_.load(); }
  void Advance(int64_t micros) { now_ += micros; }
  void Set(int64_t micros) { now_ = micros; }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace fib
