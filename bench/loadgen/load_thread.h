// LoadThread: one event loop (epoll, µs timers) driving its share of the connections: connects,
// sends on each connection's SendSchedule, parses responses, times out and reconnects with
// backoff, and records everything into its own RunStats and the shared IntervalSeries.
// Thread-safety: Run() on its own thread; the RunPlan's atomics are shared; read the results
// only after Run() returned.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "bench/loadgen/http_connection.h"
#include "bench/loadgen/interval_series.h"
#include "bench/loadgen/loadgen_options.h"
#include "bench/loadgen/request_template.h"
#include "bench/loadgen/run_stats.h"
#include "bench/loadgen/send_schedule.h"

namespace fib {

// What every load thread shares. Times are monotonic µs.
struct RunPlan {
  const LoadgenOptions* options = nullptr;
  const RequestTemplate* request = nullptr;
  IntervalSeries* series = nullptr;
  sockaddr_in address{};
  int64_t start_us = 0;                 // schedules start here (warmup first)
  int64_t measure_start_us = 0;         // start + warmup
  int64_t end_us = 0;                   // end of the measured window (INT64_MAX with --requests)
  std::atomic<int64_t> next_number{1};  // request numbers, for X-Request-Id
  std::atomic<int64_t> measured_budget{0};  // --requests: measured requests left to send
  std::atomic<int64_t> completed{0};        // measured requests completed (progress line)
  std::atomic<int64_t> errors{0};           // measured errors (progress line)
  std::atomic<bool> stop{false};
};

class LoadThread {
 public:
  // Drives connections [first, first + count) of `connections_total`.
  LoadThread(int index, int first, int count, int connections_total, RunPlan* plan);
  ~LoadThread();

  void Run();
  // After Run(): hands the last (partial) seconds to the series, up to `window_end_us`.
  void FlushIntervals(int64_t window_end_us);

  const RunStats& measured() const { return measured_; }
  const RunStats& warmup() const { return warmup_; }
  int64_t in_flight_at_end() const { return in_flight_at_end_; }
  int64_t unsent_at_end() const { return unsent_at_end_; }
  double cpu_fraction() const { return cpu_fraction_; }
  // When the loop stopped sending (monotonic µs).
  int64_t stopped_us() const { return stopped_us_; }

 private:
  enum class State { kClosed, kConnecting, kIdle, kBusy, kDone };
  struct Conn {
    HttpConnection http;
    SendSchedule schedule{0, 0};
    State state = State::kClosed;
    int64_t wake_us = 0;      // kClosed: reconnect; kIdle: may send; else: deadline
    int64_t ready_us = 0;     // when it last became free to send
    int64_t intended_us = 0;  // of the request in flight
    int64_t sent_us = 0;
    int64_t number = 0;
    int failures = 0;  // consecutive, for the backoff
    size_t index = 0;  // in conns_, for epoll's user data
  };

  int64_t Service(Conn& c, int64_t now);
  void Connect(Conn& c, int64_t now);
  void Send(Conn& c, int64_t now, int64_t due_us);
  void OnEvent(size_t index, uint32_t events);
  void OnWritable(Conn& c);
  void OnReadable(Conn& c);
  void OnResponse(Conn& c, int64_t now);
  void Fail(Conn& c, ErrorKind kind, int64_t now, bool request_lost);
  void Reopen(Conn& c, int64_t at_us);
  void Watch(Conn& c, bool want_write);
  void Wait(int64_t timeout_us);
  RunStats& PhaseOf(int64_t intended_us) {
    return intended_us < plan_->measure_start_us ? warmup_ : measured_;
  }
  void NoteMeasured(int64_t done_us, int64_t latency_us, bool error);
  void RollIntervals(int64_t now);

  const int index_;
  RunPlan* plan_;
  std::vector<std::unique_ptr<Conn>> conns_;
  int epoll_fd_ = -1;
  RunStats measured_, warmup_;
  // The current second of the time series.
  int64_t second_ = 0;
  HdrHistogram second_latency_;
  int64_t second_requests_ = 0, second_errors_ = 0;
  int64_t in_flight_at_end_ = 0, unsent_at_end_ = 0;
  double cpu_fraction_ = 0;
  int64_t stopped_us_ = 0;
};

}  // namespace fib
