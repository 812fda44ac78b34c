#include "mailsink/message_json.h"

#include "mailsink/smtp_command.h"

namespace fib {
namespace {

nlohmann::json HeaderOrNull(const MailMessage& parsed, const char* name) {
  auto value = parsed.Header(name);
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json MessageSummaryFields(const MailMessage& parsed) {
  nlohmann::json headers = nlohmann::json::object();
  for (size_t index : parsed.first_of_each_name()) {
    const auto& [name, value] = parsed.headers()[index];
    headers[name] = value;
  }
  return {
      {"subject", parsed.Subject()},
      {"headers", std::move(headers)},
      {"headers_dropped", parsed.headers_dropped()},
      {"request_id", HeaderOrNull(parsed, "X-Request-Id")},
      {"job_id", HeaderOrNull(parsed, "X-Job-Id")},
      {"message_id", HeaderOrNull(parsed, "Message-ID")},
  };
}

nlohmann::json MessageSummaryJson(const StoredMessage& message) {
  nlohmann::json json =
      message.summary.is_object() ? message.summary : MessageSummaryFields(message.parsed);
  json["id"] = message.id;
  json["from"] = message.mail_from;
  json["to"] = message.rcpt_to;
  json["received_at"] = message.received_at_us;
  json["data_end_at"] = message.data_end_at_us;
  json["size"] = message.raw.size();
  return json;
}

nlohmann::json MessageDetailJson(const StoredMessage& message) {
  nlohmann::json json = MessageSummaryJson(message);
  json["content_type"] = message.parsed.MediaType();
  json["body"] = message.parsed.DecodedBody(message.raw);
  json["helo"] = message.helo;
  json["client"] = message.client;
  return json;
}

nlohmann::json StatsJson(const MessageStore& store, const SinkCounters& counters) {
  return {
      {"stored", store.size()},
      {"max_messages", store.max_messages()},
      {"stored_bytes", store.stored_bytes()},
      {"max_store_bytes", store.max_bytes()},
      {"received", store.added()},
      {"dropped", store.dropped()},
      {"failed_451", counters.failed_451.load()},
      {"rejected", counters.rejected.load()},
      {"aborted", counters.aborted.load()},
      {"connections_total", counters.connections_total.load()},
      {"connections_active", counters.connections_active.load()},
      {"connections_refused", counters.connections_refused.load()},
      {"connections_refused_per_client", counters.connections_refused_per_client.load()},
      {"idle_timeouts", counters.idle_timeouts.load()},
      {"session_timeouts", counters.session_timeouts.load()},
      {"tls_handshakes", counters.tls_handshakes.load()},
      {"tls_handshake_failures", counters.tls_handshake_failures.load()},
      {"auth_failures", counters.auth_failures.load()},
      {"starttls_injections", counters.starttls_injections.load()},
  };
}

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace fib
