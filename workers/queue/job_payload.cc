#include "workers/queue/job_payload.h"

#include <charconv>
#include <cmath>

#include "common/clock.h"
#include "common/json_depth.h"
#include "common/text.h"

namespace fib {
namespace {

using Json = nlohmann::json;

constexpr int kDefaultMaxRetries = 25;
constexpr double kMillisecondsThreshold = 1e11;

// Keys with a typed field in JobPayload; every other key lives in `extra`.
const char* const kKnownKeys[] = {"class",         "args",        "queue",       "retry",
                                  "jid",           "created_at",  "enqueued_at", "request_id",
                                  "error_message", "error_class", "failed_at",   "retried_at",
                                  "retry_count"};

bool IsKnownKey(const std::string& key) {
  for (const char* known : kKnownKeys) {
    if (key == known) return true;
  }
  return false;
}

std::string JsonText(const Json& value) {
  // Replace invalid UTF-8 rather than throw: encoding must not fail on odd job arguments.
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void AppendKey(std::string* out, const char* key) {
  if (out->size() > 1) out->push_back(',');
  out->push_back('"');
  out->append(key);
  out->append("\":");
}

void AppendString(std::string* out, const char* key, const std::string& value) {
  AppendKey(out, key);
  out->append(JsonText(Json(value)));
}

void AppendSeconds(std::string* out, const char* key, double seconds) {
  AppendKey(out, key);
  out->append(FormatEpochSeconds(seconds));
}

Status FieldError(const std::string& key, const std::string& expected, const Json& got) {
  return Status::Error("job payload's \"" + key + "\" must be " + expected + ", got " +
                       got.type_name());
}

// Reads an optional string field; null counts as absent.
Status ReadString(const Json& object, const char* key, std::optional<std::string>* out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Status::Ok();
  if (!it->is_string()) return FieldError(key, "a string", *it);
  *out = it->get<std::string>();
  return Status::Ok();
}

// Reads an optional time field (float seconds or integer milliseconds); null counts as absent.
Status ReadTime(const Json& object, const char* key, std::optional<double>* out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Status::Ok();
  *out = EpochSecondsFromJson(*it);
  if (!*out) return FieldError(key, "a number (epoch seconds or milliseconds)", *it);
  return Status::Ok();
}

Status ReadRequired(const Json& object, JobPayload* payload) {
  auto cls = object.find("class");
  if (cls == object.end() || !cls->is_string() || cls->get_ref<const std::string&>().empty()) {
    return Status::Error(
        "job payload has no \"class\" (a non-empty string naming the job type, e.g. "
        "\"SequenceEmailWorker\")");
  }
  payload->class_name = cls->get<std::string>();
  auto args = object.find("args");
  if (args == object.end()) {
    return Status::Error("job payload has no \"args\" (a JSON array of the job's arguments)");
  }
  if (!args->is_array()) return FieldError("args", "a JSON array", *args);
  payload->args = *args;
  return Status::Ok();
}

Status ReadOptional(const Json& object, JobPayload* payload) {
  std::optional<std::string> text;
  Status status = ReadString(object, "queue", &text);
  if (status.ok() && text) payload->queue = *text;
  if (status.ok()) status = ReadString(object, "jid", &text);
  if (status.ok() && text) payload->jid = *text;
  if (status.ok()) status = ReadString(object, "request_id", &text);
  if (status.ok() && text) payload->request_id = *text;
  if (status.ok()) status = ReadString(object, "error_message", &payload->error_message);
  if (status.ok()) status = ReadString(object, "error_class", &payload->error_class);
  std::optional<double> created_at;
  if (status.ok()) status = ReadTime(object, "created_at", &created_at);
  payload->created_at = created_at.value_or(0);
  if (status.ok()) status = ReadTime(object, "enqueued_at", &payload->enqueued_at);
  if (status.ok()) status = ReadTime(object, "failed_at", &payload->failed_at);
  if (status.ok()) status = ReadTime(object, "retried_at", &payload->retried_at);
  return status;
}

Status ReadRetry(const Json& object, JobPayload* payload) {
  auto retry = object.find("retry");
  if (retry != object.end()) payload->retry = *retry;  // Ruby: true, false, an Integer (or nil)
  auto count = object.find("retry_count");
  if (count == object.end() || count->is_null()) return Status::Ok();
  if (!count->is_number_integer()) return FieldError("retry_count", "an integer", *count);
  payload->retry_count = count->get<int>();
  return Status::Ok();
}

// PeekPayload's state: where the scan is in the top-level object.
struct PeekState {
  int depth = 0;
  bool expect_key = false;  // at depth 1, the next string is a key
  std::string_view key;     // the last top-level key read
  size_t string_start = 0;  // first byte inside the string being read
};

void KeepPeeked(std::string_view key, std::string_view value, PayloadPeek* peek) {
  constexpr size_t kMaxPeek = 128;
  std::string* out = key == "jid"     ? &peek->jid
                     : key == "class" ? &peek->class_name
                     : key == "queue" ? &peek->queue
                                      : nullptr;
  if (out && out->empty()) out->assign(value.substr(0, kMaxPeek));
}

// One structural byte of PeekPayload's scan: nesting, and whether a key or a value comes next.
void PeekStructural(char c, PeekState* st) {
  switch (c) {
    case '{':
    case '[':
      if (++st->depth == 1) st->expect_key = c == '{';
      break;
    case '}':
    case ']':
      if (st->depth > 0) --st->depth;
      break;
    case ',':
      if (st->depth == 1) st->expect_key = true;
      break;
    case ':':
      if (st->depth == 1) st->expect_key = false;
      break;
    case ' ':
    case '\t':
    case '\r':
    case '\n':
      break;
    default:
      if (st->depth == 1 && !st->expect_key) st->key = {};  // a number, true, false or null
      break;
  }
}

}  // namespace

PayloadPeek PeekPayload(std::string_view json) {
  PayloadPeek peek;
  PeekState st;
  JsonStringTracker strings;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    JsonStringTracker::Byte kind = strings.Step(c);
    if (kind == JsonStringTracker::Byte::kOpenQuote) st.string_start = i + 1;
    if (kind == JsonStringTracker::Byte::kCloseQuote && st.depth == 1) {
      std::string_view text = json.substr(st.string_start, i - st.string_start);
      if (st.expect_key) {
        st.key = text;
        st.expect_key = false;
      } else {
        KeepPeeked(st.key, text, &peek);
      }
    }
    if (kind == JsonStringTracker::Byte::kStructural) PeekStructural(c, &st);
  }
  return peek;
}

int JobPayload::MaxRetries() const {
  if (retry.is_boolean()) return retry.get<bool>() ? kDefaultMaxRetries : 0;
  if (retry.is_number_integer()) return std::max<int64_t>(0, retry.get<int64_t>());
  return kDefaultMaxRetries;  // as Sidekiq: anything else means "the default"
}

JobPayload NewJobPayload(std::string class_name, nlohmann::json args, const Clock& clock,
                         std::string queue) {
  JobPayload payload;
  payload.jid = RandomHex(24);
  payload.class_name = std::move(class_name);
  payload.args = std::move(args);
  payload.queue = std::move(queue);
  payload.created_at = clock.NowSeconds();
  return payload;
}

std::string FormatEpochSeconds(double seconds) {
  if (!std::isfinite(seconds)) return "0.0";
  // Plain std::to_chars picks "1.7e+09" for 1700000000.0 (shorter); `fixed` without a precision
  // gives the shortest digits that round-trip, never an exponent.
  char buffer[400];
  auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof(buffer), seconds, std::chars_format::fixed);
  std::string text(buffer, ec == std::errc() ? end : buffer);
  if (text.find('.') == std::string::npos) text += ".0";
  return text;
}

std::optional<double> EpochSecondsFromJson(const nlohmann::json& value) {
  if (!value.is_number()) return std::nullopt;
  double number = value.get<double>();
  // Only integers can be milliseconds: we (and Sidekiq 6/7) write float seconds, so a float
  // read back must stay seconds or a re-pushed job's times would shift (found by payload_fuzz).
  bool milliseconds = value.is_number_integer() && std::fabs(number) >= kMillisecondsThreshold;
  return milliseconds ? number / 1000.0 : number;
}

std::string EncodePayload(const JobPayload& payload) {
  std::string out = "{";
  out.reserve(256);
  AppendString(&out, "class", payload.class_name);
  AppendKey(&out, "args");
  out.append(JsonText(payload.args));
  AppendString(&out, "queue", payload.queue);
  AppendKey(&out, "retry");
  out.append(JsonText(payload.retry));
  AppendString(&out, "jid", payload.jid);
  AppendSeconds(&out, "created_at", payload.created_at);
  if (payload.enqueued_at) AppendSeconds(&out, "enqueued_at", *payload.enqueued_at);
  if (!payload.request_id.empty()) AppendString(&out, "request_id", payload.request_id);
  if (payload.error_message) AppendString(&out, "error_message", *payload.error_message);
  if (payload.error_class) AppendString(&out, "error_class", *payload.error_class);
  if (payload.failed_at) AppendSeconds(&out, "failed_at", *payload.failed_at);
  if (payload.retried_at) AppendSeconds(&out, "retried_at", *payload.retried_at);
  if (payload.retry_count) {
    AppendKey(&out, "retry_count");
    out.append(std::to_string(*payload.retry_count));
  }
  if (payload.extra.is_object()) {
    for (const auto& [key, value] : payload.extra.items()) {
      if (IsKnownKey(key)) continue;  // typed fields win; never write a key twice
      out.push_back(',');
      out.append(JsonText(Json(key)));
      out.push_back(':');
      out.append(JsonText(value));
    }
  }
  out.push_back('}');
  return out;
}

Result<JobPayload> DecodePayload(std::string_view json) {
  if (Status deep = CheckJsonDepth(json, "job payload"); !deep.ok()) return deep;
  Json object;
  try {
    object = Json::parse(json);
  } catch (const Json::exception& e) {
    // Not only parse_error: a number too large for a double ("1e400") throws out_of_range.
    return Status::Error("job payload is not JSON (" + std::string(e.what()) + ")");
  }
  if (!object.is_object()) {
    return Status::Error(std::string("job payload must be a JSON object, got ") +
                         object.type_name());
  }
  JobPayload payload;
  Status status = ReadRequired(object, &payload);
  if (status.ok()) status = ReadOptional(object, &payload);
  if (status.ok()) status = ReadRetry(object, &payload);
  if (!status.ok()) return status;
  for (auto& [key, value] : object.items()) {
    if (!IsKnownKey(key)) payload.extra[key] = value;
  }
  return payload;
}

}  // namespace fib
