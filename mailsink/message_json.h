// JSON views of the inbox for the HTTP API: message summaries (GET /messages), one message with
// its body (GET /messages/{id}) and the counters (GET /stats). Our times are integers,
// microseconds since the Unix epoch; mailcatcher's fields (docs/mail-sink.md) ride alongside.
// Thread-safety: pure functions over immutable messages.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "mailsink/message_store.h"
#include "mailsink/sink_counters.h"

namespace fib {

// Returns the summary fields that come from the headers: subject (decoded), headers (object; for
// a repeated header the first occurrence wins), headers_dropped (fields over MailParseLimits),
// request_id, job_id and message_id (null when absent), request_start_ms (X-Request-Start: the
// request's arrival, epoch ms; null when absent or not plain digits). Linear in the headers;
// computed once per message when it is stored (StoredMessage::summary).
nlohmann::json MessageSummaryFields(const MailMessage& parsed);
// Returns id, from, to (array), received_at, data_end_at, size, request_to_mail_ms (received_at
// minus request_start_ms, in ms; null without X-Request-Start), mailcatcher's sender ("<from>"),
// recipients (["<to>", ...]) and created_at (ISO 8601, UTC), and MessageSummaryFields (the
// stored copy when the message was indexed): a copy, no parsing, so a listing is linear in
// the size of the summaries it returns.
nlohmann::json MessageSummaryJson(const StoredMessage& message);
// Returns the summary plus content_type, body (decoded: the HTML for text/html, raw for
// multipart), helo and client, and mailcatcher's source (raw), type (media type), formats
// (["source", "html", "plain"] as present) and attachments (always empty: not listed).
nlohmann::json MessageDetailJson(const StoredMessage& message);
// Returns stored, stored_bytes, max_messages, max_store_bytes, received, dropped, failed_451,
// rejected, aborted, connection and timeout counters.
nlohmann::json StatsJson(const MessageStore& store, const SinkCounters& counters);
// Serialises `value`; invalid UTF-8 from a message becomes U+FFFD instead of an exception.
std::string DumpJson(const nlohmann::json& value);

}  // namespace fib
