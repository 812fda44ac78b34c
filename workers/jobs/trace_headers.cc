#include "workers/jobs/trace_headers.h"

#include "common/clock.h"

namespace fib {

void AddTraceHeaders(const JobContext& context, Email* email) {
  if (!context.request_id.empty()) email->headers["X-Request-Id"] = context.request_id;
  if (!context.jid.empty()) email->headers["X-Job-Id"] = context.jid;
  if (context.timing.request_start_us > 0) {
    email->headers[kRequestStartHeader] = FormatRequestStart(context.timing.request_start_us);
  }
  FibTiming timing = context.timing;
  const Clock* clock = context.clock ? context.clock : SystemClock::Default();
  timing.smtp_start_us = clock->NowMicros();
  email->headers[kFibTimingHeader] = FormatFibTiming(timing);
}

}  // namespace fib
