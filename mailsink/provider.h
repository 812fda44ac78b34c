// Provider: plays the third-party mail provider behind the sink. It holds every completed
// message for `delay_ms` (a slow provider), answers a `fail_rate` fraction with 451 (temporary
// failure) and stores the rest in the MessageStore.
// Thread-safety: Deliver may run on many connection threads at once; Stop from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>

#include "common/clock.h"
#include "mailsink/message_store.h"
#include "mailsink/sink_counters.h"
#include "mailsink/smtp_session.h"

namespace fib {

struct ProviderOptions {
  int64_t delay_ms = 0;  // hold each message this long before the final reply
  double fail_rate = 0;  // 0..1: fraction of messages answered 451 4.3.0
  uint64_t seed = 0;     // seeds the failure draws; 0 picks a random seed
};

struct SmtpVerdict {
  int code = 250;
  std::string text;  // reply text after the code, with the enhanced status code
};

class Provider {
 public:
  // `store`, `counters` and `clock` must outlive the Provider.
  Provider(ProviderOptions options, MessageStore* store, SinkCounters* counters,
           const Clock* clock);

  // Waits delay_ms, then fails the message (451) or stores it with received_at = now and
  // returns "250 ... queued as <id>"; a message the store refuses (bigger than its byte cap)
  // gets 552 and counts as rejected. After Stop, returns 421 at once and stores nothing.
  SmtpVerdict Deliver(SmtpEnvelopeMessage message, const std::string& client,
                      int64_t data_end_at_us);
  // Returns true when the next message should fail. Draws are made in call order, so a given
  // seed gives the same sequence of outcomes for messages delivered one after another.
  bool DrawFailure();
  // Wakes every Deliver that is waiting; later calls do not wait.
  void Stop();

 private:
  // Returns false when Stop interrupted the wait.
  bool Wait();

  ProviderOptions options_;
  MessageStore* store_;
  SinkCounters* counters_;
  const Clock* clock_;
  std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::mt19937_64 random_;
};

}  // namespace fib
