// JobRunner: turns one fetched payload into an outcome, as Sidekiq's Processor does: decode it,
// run the registered job class, and on failure apply Sidekiq's retry rules (RetryPolicy).
// It never throws and never crashes on bad input: text that is not a JSON object goes to the dead
// set as is; an unknown class or bad args follow the retry rules with an error saying what is
// wrong. Thread-safety: Run may be called from many threads at once if `random` is thread-safe.
#pragma once

#include <string>

#include "common/clock.h"
#include "common/smtp/mailer.h"
#include "workers/jobs/job_registry.h"
#include "workers/queue/job_queue.h"
#include "workers/runtime/queue_selector.h"
#include "workers/runtime/retry_policy.h"

namespace fib {

struct JobOutcome {
  enum class Kind { kDone, kRetry, kDead, kDropped };
  Kind kind = Kind::kDone;
  std::string jid;         // "" when the payload could not be decoded
  std::string class_name;  // "" when the payload could not be decoded
  std::string raw;         // kRetry/kDead: the payload to store, with Sidekiq's failure fields
  double at_seconds = 0;   // kRetry: when it runs again; kDead: the failure time
  double delay_s = 0;      // kRetry: seconds until it runs again
  int retry_count = -1;    // after this failure; -1 when not recorded
  std::string error_class;
  std::string error_message;
  double elapsed_ms = 0;  // time spent in the job itself

  bool failed() const { return kind != Kind::kDone; }
};

// Returns "done", "retry", "dead" or "dropped".
const char* OutcomeName(JobOutcome::Kind kind);
// Returns the per-job log line: class, jid, queue, duration, outcome and, for failures, the error.
std::string DescribeOutcome(const FetchedJob& job, const JobOutcome& outcome);

struct JobRunnerOptions {
  double retry_delay_scale = 1.0;  // multiplies Sidekiq's backoff (tests and demos)
  // Payloads larger than this go straight to the dead set, not run and not retried: every copy
  // of a multi-megabyte value blocks Redis for everyone (each retry would copy it again).
  // 0 = no limit.
  size_t max_payload_bytes = 1 << 20;
};

class JobRunner {
 public:
  // All pointers must outlive the runner. `mailer` may be null (jobs that mail then fail).
  JobRunner(JobRunnerOptions options, const JobRegistry* registry, Mailer* mailer,
            const Clock* clock, RandomFn random);

  // Runs the job in `job.raw` and returns what must happen to it. Exceptions thrown by job code
  // are caught here and become failures (error_class = the exception's type).
  JobOutcome Run(const FetchedJob& job) const;

 private:
  JobOutcome Dead(std::string raw, std::string error_class, std::string message) const;
  // A job that cannot run (undecodable or too large): to dead, with `message` added to the
  // payload when it is a JSON object.
  JobOutcome DeadUnrunnable(const FetchedJob& job, const std::string& message) const;
  // A dead-set stub in place of a payload that must not be decoded (UnreadablePayloadStub).
  JobOutcome DeadStub(const FetchedJob& job, const std::string& message) const;
  JobOutcome RunPayload(const FetchedJob& job, const JobPayload& payload) const;
  JobStatus Perform(const FetchedJob& job, const JobPayload& payload) const;

  JobRunnerOptions options_;
  const JobRegistry* registry_;
  Mailer* mailer_;
  const Clock* clock_;
  RandomFn random_;
};

}  // namespace fib
