#include "bench/loadgen/interval_series.h"

namespace fib {

void IntervalSeries::Add(int64_t second, const HdrHistogram& latency, int64_t requests,
                         int64_t errors, double length_s) {
  std::lock_guard<std::mutex> lock(mutex_);
  Pending& p = pending_[second];
  p.latency.Merge(latency);
  p.requests += requests;
  p.errors += errors;
  p.length_s = length_s;
  if (++p.reported < threads_) return;
  IntervalRow row;
  row.t_s = second + 1;
  row.requests = p.requests;
  row.rps = static_cast<double>(p.requests) / (p.length_s > 0 ? p.length_s : 1.0);
  row.p50_ms = static_cast<double>(p.latency.ValueAtPercentile(50)) / 1000.0;
  row.p99_ms = static_cast<double>(p.latency.ValueAtPercentile(99)) / 1000.0;
  row.errors = p.errors;
  rows_.push_back(row);
  pending_.erase(second);
}

std::vector<IntervalRow> IntervalSeries::Rows() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rows_;
}

IntervalRow IntervalSeries::Last() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rows_.empty() ? IntervalRow{} : rows_.back();
}

}  // namespace fib
