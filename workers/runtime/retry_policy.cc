#include "workers/runtime/retry_policy.h"

#include <algorithm>
#include <cmath>

#include "common/require.h"
#include "common/text.h"

namespace fib {

const char* FailureActionName(FailureAction action) {
  switch (action) {
    case FailureAction::kRetry:
      return "retry";
    case FailureAction::kDead:
      return "dead";
    case FailureAction::kDrop:
      return "dropped";
  }
  return "?";
}

namespace {
// Returns the length of the valid UTF-8 sequence starting at text[i], or 0 when it is invalid.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  size_t length = lead < 0x80           ? 1
                  : (lead >> 5) == 0x6  ? 2
                  : (lead >> 4) == 0xE  ? 3
                  : (lead >> 3) == 0x1E ? 4
                                        : 0;
  if (length == 0 || i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  // Overlong forms, surrogates and code points past U+10FFFF are invalid too.
  if (length == 2 && lead < 0xC2) return 0;
  if (length == 3 && lead == 0xE0 && byte(i + 1) < 0xA0) return 0;
  if (length == 3 && lead == 0xED && byte(i + 1) >= 0xA0) return 0;
  if (length == 4 && (lead > 0xF4 || (lead == 0xF0 && byte(i + 1) < 0x90) ||
                      (lead == 0xF4 && byte(i + 1) >= 0x90))) {
    return 0;
  }
  return length;
}
}  // namespace

std::string TruncateErrorMessage(std::string_view message) {
  // Sidekiq scrubs the message to valid UTF-8 and keeps the first 10,000 characters.
  std::string out;
  out.reserve(std::min(message.size(), kMaxErrorMessageChars));
  size_t chars = 0;
  for (size_t i = 0; i < message.size() && chars < kMaxErrorMessageChars; ++chars) {
    size_t length = Utf8SequenceLength(message, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      out.append(message.substr(i, length));
      i += length;
    }
  }
  return out;
}

int MaxRetriesFor(const nlohmann::json& retry) {
  if (retry.is_number_integer()) {
    int64_t n = retry.get<int64_t>();
    return static_cast<int>(std::clamp<int64_t>(n, -1, 1000000));
  }
  return kDefaultMaxRetries;
}

double RetryDelaySeconds(int retry_count, int jitter_0_to_9, double scale) {
  FIB_REQUIRE(0 <= jitter_0_to_9 && jitter_0_to_9 <= 9);
  double count = retry_count;
  double seconds = std::pow(count, 4) + 15 + static_cast<double>(jitter_0_to_9) * (count + 1);
  return seconds * scale;
}

int RecordFailure(JobPayload* payload, const std::string& error_class, const std::string& message,
                  double now_seconds) {
  auto retry_queue = payload->extra.find("retry_queue");
  if (retry_queue != payload->extra.end() && retry_queue->is_string() &&
      !retry_queue->get<std::string>().empty()) {
    payload->queue = retry_queue->get<std::string>();
  }
  payload->error_message = TruncateErrorMessage(message);
  payload->error_class = error_class;
  if (payload->retry_count) {
    payload->retried_at = now_seconds;
    payload->retry_count = *payload->retry_count + 1;
  } else {
    payload->failed_at = now_seconds;
    payload->retry_count = 0;
  }
  return *payload->retry_count;
}

namespace {
// Sidekiq: `retry: false` (and a missing/nil retry) means no retry at all; every other value,
// including 0, goes through attempt_retry.
bool RetryDisabled(const nlohmann::json& retry) {
  return retry.is_null() || (retry.is_boolean() && !retry.get<bool>());
}

bool DeadDisabled(const JobPayload& payload) {
  auto dead = payload.extra.find("dead");
  return dead != payload.extra.end() && dead->is_boolean() && !dead->get<bool>();
}
}  // namespace

FailureDecision DecideFailure(JobPayload payload, const std::string& error_class,
                              const std::string& message, double now_seconds, int jitter_0_to_9,
                              double delay_scale) {
  FailureDecision decision;
  decision.at_seconds = now_seconds;
  if (RetryDisabled(payload.retry)) {
    decision.action = FailureAction::kDrop;
    decision.raw = EncodePayload(payload);
    return decision;
  }
  int count = RecordFailure(&payload, error_class, message, now_seconds);
  decision.retry_count = count;
  decision.raw = EncodePayload(payload);
  if (count < MaxRetriesFor(payload.retry)) {
    decision.action = FailureAction::kRetry;
    decision.delay_s = RetryDelaySeconds(count, jitter_0_to_9, delay_scale);
    decision.at_seconds = now_seconds + decision.delay_s;
  } else {
    decision.action = DeadDisabled(payload) ? FailureAction::kDrop : FailureAction::kDead;
  }
  return decision;
}

std::string MarkUndecodableObject(nlohmann::json object, const std::string& error_class,
                                  const std::string& message, double now_seconds) {
  object["error_message"] = TruncateErrorMessage(message);
  object["error_class"] = error_class;
  auto count = object.find("retry_count");
  if (count != object.end() && count->is_number_integer()) {
    object["retried_at"] = now_seconds;
    object["retry_count"] = count->get<int64_t>() + 1;
  } else {
    object["failed_at"] = now_seconds;
    object["retry_count"] = 0;
  }
  // Invalid UTF-8 in the original text must not make the dead-set entry unwritable.
  return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {
// A peeked field is raw JSON string text (escapes in, maybe cut mid-escape): decode it when it
// is a whole string, otherwise keep only its printable ASCII.
std::string PeekedText(const std::string& raw) {
  nlohmann::json value = nlohmann::json::parse("\"" + raw + "\"", nullptr, false);
  if (value.is_string()) return value.get<std::string>();
  std::string text;
  for (char c : raw) {
    if (c >= 0x20 && c < 0x7f && c != '\\') text += c;
  }
  return text;
}
}  // namespace

std::string UnreadablePayloadStub(std::string_view raw, const std::string& error_class,
                                  const std::string& message, double now_seconds) {
  PayloadPeek peek = PeekPayload(raw);
  std::string class_name = PeekedText(peek.class_name), jid = PeekedText(peek.jid);
  std::string queue = PeekedText(peek.queue);
  nlohmann::json stub = {
      {"class", class_name.empty() ? "UnreadablePayload" : class_name},
      {"args", nlohmann::json::array()},
      {"queue", queue.empty() ? "default" : queue},
      {"jid", jid.empty() ? RandomHex(24) : jid},
      {"retry", false},
      {"created_at", now_seconds},
      {"original_bytes", raw.size()},
  };
  return MarkUndecodableObject(std::move(stub), error_class,
                               message + " (the original was discarded; this entry is a stub)",
                               now_seconds);
}

}  // namespace fib
