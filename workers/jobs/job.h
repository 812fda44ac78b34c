// Job: the interface every job type implements, and what a run of it needs (JobContext).
// Both web variants and the worker run jobs through JobRegistry, so they run identical code.
// Thread-safety: Job implementations are stateless; Perform may run on many threads at once.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/fib_timing.h"

namespace fib {

class Clock;
class Mailer;

// The outcome of one run. A failure carries Sidekiq's error_class and error_message.
class [[nodiscard]] JobStatus {
 public:
  static JobStatus Ok() { return JobStatus(); }
  static JobStatus Fail(std::string error_class, std::string message) {
    JobStatus s;
    s.error_class_ = std::move(error_class);
    s.message_ = std::move(message);
    return s;
  }
  bool ok() const { return error_class_.empty(); }
  const std::string& error_class() const { return error_class_; }
  const std::string& message() const { return message_; }

 private:
  std::string error_class_;
  std::string message_;
};

// Error classes used across job types (the names Sidekiq's UI shows).
inline constexpr char kArgumentError[] = "ArgumentError";
inline constexpr char kSmtpError[] = "SmtpError";
inline constexpr char kUnknownJobError[] = "UnknownJobClassError";
inline constexpr char kPayloadError[] = "InvalidPayloadError";

// What a run may use. Owned by the caller; valid for the duration of Perform.
struct JobContext {
  std::string jid;         // Sidekiq job id (empty for inline runs without one)
  std::string request_id;  // the HTTP request that caused the job (X-Request-Id), may be empty
  Mailer* mailer = nullptr;
  const Clock* clock = nullptr;
  // The stamps the email carries as X-Fib-Timing / X-Request-Start (docs/measurement.md): the
  // request's arrival, enqueue, fetch and perform start, and the job stages finished so far.
  FibTiming timing;
};

class Job {
 public:
  virtual ~Job() = default;
  // Runs the job with Sidekiq-style positional JSON args. Returns a failure on bad arguments
  // (ArgumentError) or when the outside world fails (e.g. SmtpError).
  virtual JobStatus Perform(const nlohmann::json& args, const JobContext& context) const = 0;
};

}  // namespace fib
