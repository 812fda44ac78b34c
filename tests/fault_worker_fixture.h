// Helpers for the worker fault tests (tests/fault_worker_test.cc): a background-mode fibtastic-web,
// a sender that posts the form at a steady rate and records which requests the web accepted, and
// percentiles of latency lists. Builds on tests/support/worker_fixture.h.
// Thread-safety: SteadySender's accessors may be called from any thread while it runs; the rest
// belongs to one test thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>


namespace fib::test {

struct SenderOptions {
  int port = 0;                  // the web's port
  int requests = 1000;           // form posts in all
  double rate_rps = 100;         // steady (open-loop) rate: request i is due at i / rate_rps
  int threads = 2;               // connections, each sending every threads-th request
  int sequence_length = 3;       // small: the job is cheap, the test is about delivery
  std::string id_prefix = "fw";  // X-Request-Id = "<prefix>-<i>"
};

// Posts the form at a steady rate from its own threads. A request counts as accepted when the
// web answered 200 and echoed its X-Request-Id: the web promised that email.
class SteadySender {
 public:
  explicit SteadySender(SenderOptions options);
  ~SteadySender();  // Join()
  void Start();
  void Join();
  size_t sent() const { return sent_; }
  size_t accepted() const { return accepted_; }
  // Returns the X-Request-Ids of accepted requests.
  std::set<std::string> AcceptedIds() const;
  // Returns the first few failure descriptions (status or transport error).
  std::vector<std::string> Failures() const;

 private:
  void SendLoop(int thread_index);

  const SenderOptions options_;
  std::chrono::steady_clock::time_point start_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> sent_{0}, accepted_{0};
  mutable std::mutex mu_;
  std::set<std::string> accepted_ids_;
  std::vector<std::string> failures_;
};

// Percentiles of a list of latencies (ms), nearest rank.
struct LatencySummary {
  size_t count = 0;
  double p50_ms = 0, p90_ms = 0, max_ms = 0;
};
LatencySummary Summarize(std::vector<double> latencies_ms);

}  // namespace fib::test
