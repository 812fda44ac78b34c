// SteadySender: the one load sender of the integration tests. It posts the FibTastic form to a
// fibtastic-web on a steady open-loop schedule (request n is due at n / rate_rps) over several
// keep-alive connections, each request with its own X-Request-Id, and records every request: when
// it was sent, how late against the schedule, how long the answer took, the status and the
// X-Job-Id. Fault tests split the records around an outage; delivery tests check that every
// accepted request got its email; the soak test sums the counts.
// Thread-safety: Start/Stop/Join/accessors from the owner thread; each sending thread owns its
// own records until Stop or Join joins it. No Catch2 macros on the sending threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace fib::test {

struct SteadySenderOptions {
  int port = 0;                      // fibtastic-web on 127.0.0.1
  double rate_rps = 10;              // all connections together; 0 = unpaced (back to back)
  int connections = 1;               // keep-alive connections, each sending every n-th request
  int64_t requests = -1;             // requests in all; -1 = until Stop()
  int sequence_length = 5;           // the form's sequence_length
  std::string id_prefix = "steady";  // X-Request-Id = "<id_prefix>-<n>"
  std::string email_domain = "example.com";  // email = "<X-Request-Id>@<email_domain>"
  int connect_timeout_ms = 5000;
  int timeout_ms = 30000;  // read and write limit per request
};

// One request as the client saw it.
struct SentRequest {
  std::string request_id;
  double sent_s = 0;       // when it was sent, seconds since the sender's epoch
  double lag_ms = 0;       // how late it went out against its due time
  double latency_ms = 0;   // send to complete answer (or to the transport error)
  int status = 0;          // HTTP status; 0 = no answer (timeout, refused, reset)
  bool id_echoed = false;  // the answer carried our X-Request-Id
  std::string job_id;      // X-Job-Id of the answer
  std::string body;        // the first 4000 bytes of a non-2xx answer's body
  std::string error;       // transport error, when status is 0
  double done_s() const { return sent_s + latency_ms / 1000; }
  bool success() const { return status >= 200 && status < 400; }
  // Answered 2xx and echoed its X-Request-Id: the web promised that email.
  bool accepted() const { return status / 100 == 2 && id_echoed; }
};

// Counts over a sender's records.
struct SenderResult {
  int64_t sent = 0;
  std::vector<std::string> accepted_ids;      // SentRequest::accepted(), in send order
  int64_t transport_errors = 0;               // connect/read/write failures, timeouts
  std::map<int, int64_t> rejected_by_status;  // answered, but not accepted (2xx: no echo)
  std::string first_error;                    // the first failure, for the test's message
  std::vector<std::string> failures;          // the first 10 failures, one line each
  int64_t max_lag_ms = 0;                     // worst delay behind the schedule
  int64_t errors() const;
  std::set<std::string> AcceptedIdSet() const;
  // Adds `other`'s counts to this one.
  void Merge(const SenderResult& other);
};

// Returns the counts of `records`.
SenderResult SummarizeRecords(const std::vector<SentRequest>& records);

class SteadySender {
 public:
  explicit SteadySender(SteadySenderOptions options);
  ~SteadySender();  // Stop()
  SteadySender(const SteadySender&) = delete;
  SteadySender& operator=(const SteadySender&) = delete;

  // Sets the epoch to now and starts the sending threads.
  void Start();
  // Waits until every request is sent. REQUIRES: options.requests >= 0.
  void Join();
  // Finishes the requests in flight, sends no more and joins the threads. Idempotent.
  void Stop();
  // Returns seconds since the epoch (for stamping events on the same time line).
  double Now() const;
  // Returns every request, ordered by send time. REQUIRES: joined or stopped.
  std::vector<SentRequest> Records() const;
  // Returns SummarizeRecords(Records()). REQUIRES: joined or stopped.
  SenderResult Result() const { return SummarizeRecords(Records()); }

 private:
  void SendLoop(int connection);
  // Sleeps until `due` in short steps; returns false when Stop came first.
  bool SleepUntil(std::chrono::steady_clock::time_point due) const;

  const SteadySenderOptions options_;
  std::chrono::steady_clock::time_point epoch_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::vector<std::vector<SentRequest>> records_;  // one list per connection
};

// Sends `connections` x `requests_per_connection` POSTs as fast as they are answered, one
// keep-alive connection each, and returns the counts. A warm-up burst: it makes every request
// thread, worker thread and their per-thread connections exist before a soak test takes its
// baseline. `options`' rate, connections and requests are replaced.
SenderResult SendBurst(SteadySenderOptions options, int connections, int requests_per_connection);

}  // namespace fib::test
