// JobDispatcher: what POST /sequences does with a validated job — the one seam between the two
// web variants. InlineDispatcher runs the job now (in the request); QueueDispatcher enqueues it
// for a worker. The variant is chosen once at start-up; handlers never ask which one they have.
// Thread-safety: implementations must allow Dispatch from many request threads at once.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace fib {

// How a dispatch ended, in terms the HTTP layer maps to a status code.
enum class DispatchOutcome {
  kOk,                // inline: the job ran and succeeded; background: the job is in the queue
  kInvalidJob,        // the job refused its arguments (ArgumentError, unknown class) -> 422/500
  kMailFailed,        // inline: the SMTP provider failed -> 502 Bad Gateway
  kQueueUnavailable,  // background: the queue store (Redis) did not take the job -> 503
};

struct DispatchResult {
  DispatchOutcome outcome = DispatchOutcome::kOk;
  std::string message;  // for a person, when outcome != kOk
  std::string jid;      // the job id (background); empty for inline runs
  // What was timed and for how long, for Server-Timing ("job" inline, "enqueue" background).
  std::string timing_name;
  int64_t duration_us = 0;

  bool ok() const { return outcome == DispatchOutcome::kOk; }
};

class JobDispatcher {
 public:
  virtual ~JobDispatcher() = default;
  // Runs or enqueues job `class_name` with Sidekiq-style positional `args`, tagged with the
  // HTTP request's id and its arrival time (wall clock µs, 0 = unknown), which travel into the
  // email. Never throws; failures are in the result.
  virtual DispatchResult Dispatch(const std::string& class_name, const nlohmann::json& args,
                                  const std::string& request_id, int64_t request_start_us) = 0;
  // Returns the variant's name as shown to users: "inline" or "background".
  virtual std::string ModeName() const = 0;
  // Returns one sentence about where the job goes, for the form page.
  virtual std::string Describe() const = 0;
};

}  // namespace fib
