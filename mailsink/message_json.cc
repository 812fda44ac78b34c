#include "mailsink/message_json.h"

#include "common/time_format.h"
#include "mailsink/mime_parts.h"
#include "mailsink/smtp_command.h"

namespace fib {
namespace {

nlohmann::json HeaderOrNull(const MailMessage& parsed, const char* name) {
  auto value = parsed.Header(name);
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// X-Request-Start as epoch milliseconds; null unless plain digits (at most 16: year 2286).
nlohmann::json RequestStartMs(const MailMessage& parsed) {
  auto value = parsed.Header("X-Request-Start");
  if (!value || value->empty() || value->size() > 16 ||
      value->find_first_not_of("0123456789") != std::string::npos) {
    return nullptr;
  }
  return std::stoll(*value);
}

nlohmann::json Bracketed(const std::string& address) { return "<" + address + ">"; }

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
      {"request_start_ms", RequestStartMs(parsed)},
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
  auto start = json.find("request_start_ms");
  json["request_to_mail_ms"] =
      start != json.end() && start->is_number_integer()
          ? nlohmann::json(message.received_at_us / 1000 - start->get<int64_t>())
          : nlohmann::json(nullptr);
  // mailcatcher's names: the envelope in angle brackets, the time as Ruby's DateTime#to_json.
  json["sender"] = Bracketed(message.mail_from);
  nlohmann::json recipients = nlohmann::json::array();
  for (const auto& rcpt : message.rcpt_to) recipients.push_back(Bracketed(rcpt));
  json["recipients"] = std::move(recipients);
  json["created_at"] = FormatUtc(message.received_at_us / 1000000, "%Y-%m-%dT%H:%M:%S+00:00");
  return json;
}

nlohmann::json MessageDetailJson(const StoredMessage& message) {
  nlohmann::json json = MessageSummaryJson(message);
  json["content_type"] = message.parsed.MediaType();
  json["body"] = message.parsed.DecodedBody(message.raw);
  json["helo"] = message.helo;
  json["client"] = message.client;
  json["source"] = message.raw;
  json["type"] = json["content_type"];
  nlohmann::json formats = nlohmann::json::array({"source"});
  for (const char* format : {"html", "plain"}) {
    if (FindTextPart(message.parsed, message.raw, std::string("text/") + format)) {
      formats.push_back(format);
    }
  }
  json["formats"] = std::move(formats);
  json["attachments"] = nlohmann::json::array();
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
