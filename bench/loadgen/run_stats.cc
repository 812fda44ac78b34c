#include "bench/loadgen/run_stats.h"

namespace fib {

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kConnect:
      return "connect";
    case ErrorKind::kRead:
      return "read";
    case ErrorKind::kWrite:
      return "write";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kStatus:
      return "status";
  }
  return "unknown";
}

int64_t RunStats::total_errors() const {
  int64_t sum = 0;
  for (int64_t e : errors) sum += e;
  return sum;
}

void RunStats::Merge(const RunStats& other) {
  latency.Merge(other.latency);
  uncorrected_latency.Merge(other.uncorrected_latency);
  schedule_lag.Merge(other.schedule_lag);
  send_delay.Merge(other.send_delay);
  requests += other.requests;
  for (const auto& [code, count] : other.status_codes) status_codes[code] += count;
  for (int i = 0; i < kErrorKinds; ++i) errors[i] += other.errors[i];
  ok_requests.insert(ok_requests.end(), other.ok_requests.begin(), other.ok_requests.end());
  for (const auto& [name, histogram] : other.server_timing) server_timing[name].Merge(histogram);
}

}  // namespace fib
