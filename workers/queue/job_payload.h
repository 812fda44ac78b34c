// JobPayload: a Sidekiq 6.4 job as stored in Redis (docs/sidekiq-format.md#job-payload), plus
// our `request_id` extra key.
// Unknown keys are kept, so a payload read and written again loses nothing Ruby put there.
// Thread-safety: value type.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace fib {

class Clock;

struct JobPayload {
  std::string jid;         // 24 lowercase hex
  std::string class_name;  // "class"
  std::string queue = "default";
  nlohmann::json args = nlohmann::json::array();
  nlohmann::json retry = true;        // true (max 25), false, or an integer max
  double created_at = 0;              // epoch seconds
  std::optional<double> enqueued_at;  // epoch seconds; absent on scheduled jobs
  std::string request_id;             // our extra key; "" = absent
  // Failure bookkeeping (absent until the first failure).
  std::optional<std::string> error_message;
  std::optional<std::string> error_class;
  std::optional<double> failed_at;
  std::optional<double> retried_at;
  std::optional<int> retry_count;
  nlohmann::json extra = nlohmann::json::object();  // every other key, preserved

  // Returns the maximum number of retries this job allows (25 for `true`, 0 for `false`).
  int MaxRetries() const;
};

// Our extra key for the request's arrival at the web (epoch seconds as a float, like
// enqueued_at): the worker puts it into the email's X-Request-Start and X-Fib-Timing headers.
inline constexpr char kRequestStartAtKey[] = "request_start_at";

// Returns a new payload with a random jid and created_at = now.
JobPayload NewJobPayload(std::string class_name, nlohmann::json args, const Clock& clock,
                         std::string queue = "default");

// Returns the JSON text Sidekiq 6.4 writes (float seconds, always with a decimal point).
std::string EncodePayload(const JobPayload& payload);

// Parses what Ruby Sidekiq 6.4, 7 and 8 write: times as float seconds or integer milliseconds.
// Returns an error naming what is wrong (not JSON, nested deeper than kMaxJsonDepth — checked
// before decoding, so no recursive copy can overflow the stack —, not an object, missing/ill-typed
// class/args).
Result<JobPayload> DecodePayload(std::string_view json);

// What can be read from a payload without decoding it: the top-level string values of "jid",
// "class" and "queue" (each cut at 128 bytes, raw JSON string text with escapes left in; "" when
// absent, not a string or not reachable). For payloads the worker refuses to decode (over its size
// limit, nested too deeply): a linear scan that allocates only these three strings.
struct PayloadPeek {
  std::string jid, class_name, queue;
};
PayloadPeek PeekPayload(std::string_view json);

// Returns epoch seconds as Ruby's Float#to_s writes them: shortest round-trip digits, always with
// a decimal point ("1700000000.0", "1700000000.25"), never an exponent.
std::string FormatEpochSeconds(double seconds);

// Returns a JSON time value read as epoch seconds: floats are seconds; integers of 1e11 or more
// are milliseconds (Sidekiq 8 writes integer ms; 1e11 s would be the year 5138).
// Returns nullopt when `value` is not a number.
std::optional<double> EpochSecondsFromJson(const nlohmann::json& value);

}  // namespace fib
