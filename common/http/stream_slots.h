// Slots for long-lived HTTP streams (Server-Sent Events, long polls): a counter capped at `max`,
// so such streams never hold every connection thread (the caller answers 503 beyond the cap), and
// the guard that gives a slot back when its last owner goes (httplib's content provider outlives
// the handler). Used by the mail sink's /events and /messages/wait and the board's /api/events.
// Thread-safety: any thread (atomics).
#pragma once

#include <atomic>

namespace fib {

// Takes one of `max` slots counted by `count`; false when all are taken.
inline bool TakeSlot(std::atomic<int>& count, int max) {
  if (count.fetch_add(1) < max) return true;
  count.fetch_sub(1);
  return false;
}

// Gives its slot (taken with TakeSlot) back when it goes.
class SlotRelease {
 public:
  explicit SlotRelease(std::atomic<int>* count) : count_(count) {}
  ~SlotRelease() { count_->fetch_sub(1); }
  SlotRelease(const SlotRelease&) = delete;
  SlotRelease& operator=(const SlotRelease&) = delete;

 private:
  std::atomic<int>* count_;
};

}  // namespace fib
