// IntervalSeries: the per-second time series of the measured window. Each load thread hands in
// its histogram for a finished second; when every thread has handed in second s, the merged
// histogram becomes one row (rate, p50, p99, errors) and is dropped, so memory stays flat.
// Thread-safety: all methods are thread-safe (one mutex; called about once a second per thread).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "bench/histogram/hdr_histogram.h"

namespace fib {

struct IntervalRow {
  int64_t t_s = 0;  // end of the second, counted from the start of the measured window
  int64_t requests = 0;
  double rps = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  int64_t errors = 0;
};

class IntervalSeries {
 public:
  explicit IntervalSeries(int threads) : threads_(threads) {}

  // Adds one thread's figures for second `second` (0-based). Each thread adds each second once,
  // in increasing order, including seconds with nothing in them. `length_s` < 1 for a last,
  // partial second (the rate is requests / length_s).
  void Add(int64_t second, const HdrHistogram& latency, int64_t requests, int64_t errors,
           double length_s = 1.0);
  // Returns the finished rows so far, in time order.
  std::vector<IntervalRow> Rows() const;
  // Returns the last finished row (zeros when none).
  IntervalRow Last() const;

 private:
  struct Pending {
    HdrHistogram latency;
    int64_t requests = 0, errors = 0;
    double length_s = 1.0;
    int reported = 0;
  };
  const int threads_;
  mutable std::mutex mutex_;
  std::map<int64_t, Pending> pending_;
  std::vector<IntervalRow> rows_;
};

}  // namespace fib
