// Trace headers: what every job email carries so a request can be followed to its email —
// X-Request-Id, X-Job-Id, X-Request-Start and X-Fib-Timing (docs/measurement.md).
// Thread-safety: a pure function of its arguments (and the context's clock).
#pragma once

#include "common/smtp/mailer.h"
#include "workers/jobs/job.h"

namespace fib {

// Sets the trace headers on `email` from `context`, stamping X-Fib-Timing's SMTP start as now
// (call it just before the send). Headers whose value is unknown are left out.
void AddTraceHeaders(const JobContext& context, Email* email);

}  // namespace fib
