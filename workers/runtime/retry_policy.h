// RetryPolicy: Sidekiq 6.4's failure handling (JobRetry#attempt_retry) as pure functions over
// JobPayload: which fields a failed run writes, how long the next retry waits, and whether the
// job is retried, sent to the dead set or dropped.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "workers/queue/job_payload.h"

namespace fib {

inline constexpr int kDefaultMaxRetries = 25;           // Sidekiq's max_retries
inline constexpr size_t kMaxErrorMessageChars = 10000;  // Sidekiq keeps message[0, 10_000]

enum class FailureAction {
  kRetry,  // ZADD retry <at_seconds>
  kDead,   // ZADD dead <now> (+ trims)
  kDrop,   // `retry: false` (or `dead: false` once retries are exhausted): the job is gone
};

const char* FailureActionName(FailureAction action);  // "retry", "dead", "dropped"

struct FailureDecision {
  FailureAction action = FailureAction::kDead;
  double at_seconds = 0;  // kRetry: when the job runs again; otherwise the failure time
  double delay_s = 0;     // kRetry: at_seconds - now
  int retry_count = -1;   // retry_count written by this failure; -1 when none was (retry: false)
  std::string raw;        // the payload to store, with the failure fields written
};

// Returns `message` with invalid UTF-8 replaced by U+FFFD (Ruby's scrub!) and cut to at most
// 10,000 characters, counting code points as Ruby does and never splitting a character.
std::string TruncateErrorMessage(std::string_view message);

// Returns the retry limit Sidekiq uses for a `retry` value: an integer is the limit itself,
// anything else (true, a string, ...) is 25.
int MaxRetriesFor(const nlohmann::json& retry);

// Returns Sidekiq's backoff, count^4 + 15 + jitter * (count + 1) seconds, times `scale`.
// REQUIRES: 0 <= jitter_0_to_9 <= 9.
double RetryDelaySeconds(int retry_count, int jitter_0_to_9, double scale = 1.0);

// Writes the bookkeeping of one failed run: error_message (truncated), error_class, and the first
// time failed_at = now and retry_count = 0, later retried_at = now and retry_count + 1.
// A `retry_queue` key, when present, becomes the queue (as Sidekiq). Returns the new retry_count.
int RecordFailure(JobPayload* payload, const std::string& error_class, const std::string& message,
                  double now_seconds);

// Records the failure and decides what happens: `retry: false` drops; while retry_count < max the
// job is retried after RetryDelaySeconds(count, jitter, scale); otherwise it goes to the dead set
// (or is dropped when the payload says `dead: false`).
FailureDecision DecideFailure(JobPayload payload, const std::string& error_class,
                              const std::string& message, double now_seconds, int jitter_0_to_9,
                              double delay_scale);

// For a JSON object that is not a usable job (no class, args not an array, ...): writes the same
// failure fields into the object, keeping every other key, and returns its JSON text for the
// dead set. Retrying could never succeed, so such a payload is not retried.
std::string MarkUndecodableObject(nlohmann::json object, const std::string& error_class,
                                  const std::string& message, double now_seconds);

// For a payload the worker refuses to decode at all (over --max-payload-bytes, nested too deeply):
// a small dead-set entry in place of the original, which is never parsed or copied — "class",
// "jid" and "queue" as PeekPayload reads them ("UnreadablePayload" / a new jid when absent), empty
// args, `retry: false`, the failure fields, and "original_bytes".
std::string UnreadablePayloadStub(std::string_view raw, const std::string& error_class,
                                  const std::string& message, double now_seconds);

}  // namespace fib
