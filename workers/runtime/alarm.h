// Alarm: a sleep that ends early on Nudge (work may be waiting) or for good on Stop, for the
// worker's background threads (poller, heartbeat, recovered jobs).
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace fib {

class Alarm {
 public:
  // Sleeps up to `timeout`, or until Stop (or, with `nudgeable`, a Nudge since the last
  // nudgeable Sleep). Returns whether the alarm is stopped.
  template <typename Rep, typename Period>
  bool Sleep(std::chrono::duration<Rep, Period> timeout, bool nudgeable = true) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return stopped_ || (nudgeable && nudged_); });
    if (nudgeable) nudged_ = false;
    return stopped_;
  }
  void Nudge() { Set(&nudged_); }
  // Irreversible: every Sleep from now on returns true at once.
  void Stop() { Set(&stopped_); }
  bool stopped() const {
    std::lock_guard lock(mu_);
    return stopped_;
  }

 private:
  void Set(bool* flag) {
    {
      std::lock_guard lock(mu_);
      *flag = true;
    }
    cv_.notify_all();
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;  // guarded by mu_
  bool nudged_ = false;   // guarded by mu_
};

}  // namespace fib
