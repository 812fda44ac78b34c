// SteadySender: drives one fibtastic-web at a steady rate from its own thread — POST /sequences
// over one keep-alive connection, each request with its own X-Request-Id — and remembers which
// requests were accepted (2xx), so a test can check that each of them got its email.
// Thread-safety: Start/Stop/result from the owner thread; the sending thread owns all state
// until Stop joins it. No Catch2 macros on the sending thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/build_info.h"

namespace httplib {
class Client;
}

namespace fib::test {

struct SteadySenderOptions {
  int port = 0;                    // fibtastic-web on 127.0.0.1
  double rate_rps = 10;            // intended requests per second (paced from the start time)
  std::string id_prefix = "soak";  // X-Request-Id is "<id_prefix>-<n>"
  // The form's sequence_length. Sanitizer builds run the exponential job 10-50x slower; the
  // soak is about memory and fds, so there it uses a cheap length that still keeps the rate.
  int sequence_length = kSanitizedBuild ? 12 : 20;
  int read_timeout_s = 30;  // generous: a shared CI box may stall for seconds
};

struct SenderResult {
  int64_t sent = 0;
  std::vector<std::string> accepted_ids;      // answered 2xx
  int64_t transport_errors = 0;               // connect/read/write failures, timeouts
  std::map<int, int64_t> rejected_by_status;  // non-2xx answers
  std::string first_error;                    // the first failure, for the test's message
  int64_t max_lag_ms = 0;                     // worst delay behind the intended schedule
  int64_t errors() const;
  // Adds `other`'s counts to this one.
  void Merge(const SenderResult& other);
};

// Sends `connections` x `requests_per_connection` POSTs as fast as they are answered, one thread
// and keep-alive connection each (ids "<id_prefix>-<connection>-<n>"). A warm-up burst: it
// makes every request thread, worker thread and their per-thread connections exist before a
// soak test takes its baseline. Returns the merged counts.
SenderResult SendBurst(const SteadySenderOptions& options, int connections,
                       int requests_per_connection);

class SteadySender {
 public:
  explicit SteadySender(SteadySenderOptions options) : options_(std::move(options)) {}
  ~SteadySender() { Stop(); }
  SteadySender(const SteadySender&) = delete;
  SteadySender& operator=(const SteadySender&) = delete;

  // Sends at rate_rps on a new thread until Stop.
  void Start();
  // Sends `requests` back to back on the calling thread (no pacing). REQUIRES: not started.
  void SendUnpaced(int requests);
  // Stops after the request in flight and joins. Idempotent.
  void Stop();
  // Returns the counts. REQUIRES: stopped.
  const SenderResult& result() const { return result_; }

 private:
  void Loop();
  void ConfigureClient(httplib::Client* client);
  // Posts one form with X-Request-Id `id` and records the outcome.
  void SendOne(httplib::Client* client, const std::string& id);

  SteadySenderOptions options_;
  SenderResult result_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace fib::test
