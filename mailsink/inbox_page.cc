#include "mailsink/inbox_page.h"

#include <fmt/format.h>

#include "common/text.h"
#include "common/time_format.h"

namespace fib {
namespace {

constexpr const char* kStyle =
    "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%}"
    "td,th{border-bottom:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}"
    "tr:hover{background:#f4f4f4}pre{background:#f8f8f8;padding:1em;overflow:auto;"
    "white-space:pre-wrap}iframe{width:100%;height:30em;border:1px solid #ccc}</style>";

std::string Page(const std::string& title, const std::string& content) {
  return fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title>{}</head>"
      "<body>\n{}\n</body></html>\n",
      HtmlEscape(title), kStyle, content);
}

std::string Recipients(const StoredMessage& message) {
  std::string joined;
  for (const auto& rcpt : message.rcpt_to) joined += (joined.empty() ? "" : ", ") + rcpt;
  return joined;
}

std::string Row(const StoredMessage& message) {
  const std::string& subject = message.parsed.Subject();
  return fmt::format(
      "<tr><td>{}</td><td>{}</td><td>{}</td><td><a href=\"/messages/{}.html\">{}</a></td></tr>\n",
      HtmlEscape(FormatUtcMicros(message.received_at_us)), HtmlEscape(message.mail_from),
      HtmlEscape(Recipients(message)), message.id,
      subject.empty() ? "(no subject)" : HtmlEscape(subject));
}

}  // namespace

std::string FormatUtcMicros(int64_t micros) {
  std::string stamp = FormatUtc(micros / 1000000, "%Y-%m-%d %H:%M:%S");
  return fmt::format("{}.{:03d} UTC", stamp, static_cast<int>((micros % 1000000) / 1000));
}

std::string InboxPageHtml(const std::vector<MessageStore::Ptr>& newest_first, size_t total,
                          int64_t dropped) {
  std::string rows;
  for (const auto& message : newest_first) rows += Row(*message);
  std::string note = fmt::format("{} message(s) stored", total);
  if (newest_first.size() < total) note += fmt::format(", newest {} shown", newest_first.size());
  if (dropped > 0) {
    note +=
        fmt::format(", {} older dropped (--max-messages or --max-store-bytes reached)", dropped);
  }
  return Page("fibtastic-mailsink inbox",
              fmt::format("<h1>Inbox</h1><p>{}. JSON: <a href=\"/messages\">/messages</a>, "
                          "<a href=\"/stats\">/stats</a>.</p>\n<table><tr><th>Received</th>"
                          "<th>From</th><th>To</th><th>Subject</th></tr>\n{}</table>",
                          note, rows));
}

std::string MessagePageHtml(const StoredMessage& message) {
  std::string headers;
  for (const auto& [name, value] : message.parsed.headers()) {
    headers +=
        fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", HtmlEscape(name), HtmlEscape(value));
  }
  if (message.parsed.headers_dropped() > 0) {
    headers += fmt::format(
        "<tr><th>(not shown)</th><td>{} more header field(s) over the sink's header limits; "
        "the raw message has them</td></tr>\n",
        message.parsed.headers_dropped());
  }
  std::string body = message.parsed.DecodedBody(message.raw);
  // The sandbox (no scripts, no same-origin) lets us show the HTML without trusting it.
  std::string rendered =
      message.parsed.MediaType() == "text/html"
          ? fmt::format("<h2>Rendered</h2><iframe sandbox srcdoc=\"{}\"></iframe>",
                        HtmlEscape(body))
          : "";
  return Page(
      "Message " + std::to_string(message.id),
      fmt::format("<p><a href=\"/\">&larr; Inbox</a> &middot; <a href=\"/messages/{0}.eml\">raw"
                  "</a> &middot; <a href=\"/messages/{0}\">JSON</a></p>\n<h1>{1}</h1>\n<table>"
                  "<tr><th>Envelope from</th><td>{2}</td></tr><tr><th>Envelope to</th><td>{3}"
                  "</td></tr><tr><th>Received</th><td>{4}</td></tr>\n{5}</table>\n{6}"
                  "<h2>Body</h2><pre>{7}</pre>",
                  message.id, HtmlEscape(message.parsed.Subject()), HtmlEscape(message.mail_from),
                  HtmlEscape(Recipients(message)),
                  HtmlEscape(FormatUtcMicros(message.received_at_us)), headers, rendered,
                  HtmlEscape(body)));
}

}  // namespace fib
