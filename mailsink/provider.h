// Provider: plays the third-party mail provider behind the sink. It holds every completed
// message for the chaos latency (a slow provider; --delay-ms), fails it when the chaos data_end
// fault says so (--fail-rate: 451) and stores the rest in the MessageStore.
// Thread-safety: Deliver may run on many connection threads at once; Stop from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include "common/clock.h"
#include "mailsink/chaos.h"
#include "mailsink/message_store.h"
#include "mailsink/sink_counters.h"
#include "mailsink/smtp_session.h"

namespace fib {

struct SmtpVerdict {
  int code = 250;
  std::string text;  // reply text after the code, with the enhanced status code
};

class Provider {
 public:
  // The pointers must outlive the Provider.
  Provider(MessageStore* store, SinkCounters* counters, Chaos* chaos, const Clock* clock);

  // Waits the chaos latency (cut short when the settings change to a shorter one), then fails the
  // message as the chaos data_end fault says (a 451 also counts in failed_451) or stores it with
  // received_at = now and returns "250 ... queued as <id>"; a message the store refuses (bigger
  // than its byte cap) gets 552 and counts as rejected. After Stop, returns 421 at once and stores
  // nothing.
  SmtpVerdict Deliver(SmtpEnvelopeMessage message, const std::string& client,
                      int64_t data_end_at_us);
  // The failures this provider plays (also asked by the SMTP side at each step).
  Chaos* chaos() const { return chaos_; }
  // Wakes every Deliver that is waiting; later calls do not wait.
  void Stop();

 private:
  // Returns false when Stop interrupted the wait.
  bool Wait();

  MessageStore* store_;
  SinkCounters* counters_;
  Chaos* chaos_;
  const Clock* clock_;
  std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
};

}  // namespace fib
