#include "mailsink/message_json.h"

#include "mailsink/smtp_command.h"

namespace fib {
namespace {

nlohmann::json HeadersObject(const MailMessage& parsed) {
  nlohmann::json headers = nlohmann::json::object();
  std::vector<std::string> seen;
  for (const auto& [name, value] : parsed.headers()) {
    bool repeated = false;
    for (const auto& earlier : seen) repeated = repeated || EqualsIgnoreCase(earlier, name);
    if (repeated) continue;
    seen.push_back(name);
    headers[name] = value;
  }
  return headers;
}

nlohmann::json HeaderOrNull(const MailMessage& parsed, const char* name) {
  auto value = parsed.Header(name);
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json MessageSummaryJson(const StoredMessage& message) {
  const MailMessage& parsed = message.parsed;
  return {
      {"id", message.id},
      {"from", message.mail_from},
      {"to", message.rcpt_to},
      {"subject", parsed.Subject()},
      {"received_at", message.received_at_us},
      {"data_end_at", message.data_end_at_us},
      {"size", message.raw.size()},
      {"headers", HeadersObject(parsed)},
      {"request_id", HeaderOrNull(parsed, "X-Request-Id")},
      {"job_id", HeaderOrNull(parsed, "X-Job-Id")},
      {"message_id", HeaderOrNull(parsed, "Message-ID")},
  };
}

nlohmann::json MessageDetailJson(const StoredMessage& message) {
  nlohmann::json json = MessageSummaryJson(message);
  json["content_type"] = message.parsed.MediaType();
  json["body"] = message.parsed.DecodedBody();
  json["helo"] = message.helo;
  json["client"] = message.client;
  return json;
}

nlohmann::json StatsJson(const MessageStore& store, const SinkCounters& counters) {
  return {
      {"stored", store.size()},
      {"max_messages", store.max_messages()},
      {"received", store.added()},
      {"dropped", store.dropped()},
      {"failed_451", counters.failed_451.load()},
      {"rejected", counters.rejected.load()},
      {"aborted", counters.aborted.load()},
      {"connections_total", counters.connections_total.load()},
      {"connections_active", counters.connections_active.load()},
      {"connections_refused", counters.connections_refused.load()},
      {"idle_timeouts", counters.idle_timeouts.load()},
  };
}

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace fib
