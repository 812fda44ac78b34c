// TimedSender: posts the FibTastic form to a fibtastic-web at a steady rate over several
// keep-alive connections, with a short per-request timeout, and records every request: when it
// was sent, how long the answer took (client side), the status and the X-Job-Id. Fault tests
// use the records to split requests into before / during / after an outage.
// Thread-safety: Start/Stop/records from the owner thread; each sending thread owns its own
// records until Stop joins it. No Catch2 macros on the sending threads.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace fib::test {

struct TimedSenderOptions {
  int port = 0;                     // fibtastic-web on 127.0.0.1
  double rate_rps = 75;             // intended requests per second, all connections together
  int connections = 4;              // keep-alive connections, each sending every n-th request
  int timeout_ms = 1000;            // connect, read and write limit per request
  int sequence_length = 5;          // small: the job is cheap, the test is about delivery
  std::string id_prefix = "timed";  // X-Request-Id = "<prefix>-<n>"
};

// One request as the client saw it.
struct TimedRequest {
  std::string request_id;
  double sent_s = 0;      // when it was sent, seconds since the sender's epoch
  double latency_ms = 0;  // send to complete answer (or to the transport error)
  int status = 0;         // HTTP status; 0 = no answer (timeout, refused, reset)
  std::string job_id;     // X-Job-Id of a success
  double done_s() const { return sent_s + latency_ms / 1000; }
  bool success() const { return status >= 200 && status < 400; }
};

class TimedSender {
 public:
  explicit TimedSender(TimedSenderOptions options);
  ~TimedSender();  // Stop()
  TimedSender(const TimedSender&) = delete;
  TimedSender& operator=(const TimedSender&) = delete;

  // Sets the epoch to now and starts the sending threads.
  void Start();
  // Finishes the requests in flight and joins the threads. Idempotent.
  void Stop();
  // Returns seconds since the epoch (for stamping events on the same time line).
  double Now() const;
  // Returns every request, ordered by send time. REQUIRES: stopped.
  std::vector<TimedRequest> Records() const;

 private:
  void SendLoop(int connection);

  const TimedSenderOptions options_;
  std::chrono::steady_clock::time_point epoch_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::vector<std::vector<TimedRequest>> records_;  // one list per connection
};

}  // namespace fib::test
