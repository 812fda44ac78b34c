// HTML pages of the inbox: the list (newest first: time, from, to, subject, each a link, and the
// time from the request to the mail when the mail says when its request arrived), kept live by
// InboxScript() (/inbox.js, reading /events), and one message (headers, the body as source, and
// HTML bodies rendered in a sandboxed frame). Everything taken from a message is HTML-escaped.
// Thread-safety: pure functions over immutable messages.
#pragma once

#include <string>
#include <vector>

#include "mailsink/message_store.h"

namespace fib {

// Returns the inbox page listing `newest_first`; `total` and `dropped` are shown in the title
// line so a truncated list is visible as such. The page's script streams messages with ids above
// `last_id` (the store's last id when the list was read: none is missed, duplicates are skipped).
std::string InboxPageHtml(const std::vector<MessageStore::Ptr>& newest_first, size_t total,
                          int64_t dropped, int64_t last_id);
// Returns /inbox.js: adds each message /events announces to the top of the inbox table.
const std::string& InboxScript();
// Returns the page of one message.
std::string MessagePageHtml(const StoredMessage& message);
// Returns "2024-05-01 12:00:00.123 UTC" for a time in microseconds since the epoch.
std::string FormatUtcMicros(int64_t micros);

}  // namespace fib
