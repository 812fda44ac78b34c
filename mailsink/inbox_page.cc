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

// "1234 ms" from the request's arrival (X-Request-Start) to the mail's, or "" without it.
std::string RequestToMail(const StoredMessage& message) {
  auto start = message.summary.find("request_start_ms");
  if (start == message.summary.end() || !start->is_number_integer()) return "";
  return fmt::format("{} ms", message.received_at_us / 1000 - start->get<int64_t>());
}

std::string Row(const StoredMessage& message) {
  const std::string& subject = message.parsed.Subject();
  return fmt::format(
      "<tr id=\"m{}\"><td>{}</td><td>{}</td><td>{}</td><td><a href=\"/messages/{}/view\">{}</a>"
      "</td><td>{}</td></tr>\n",
      message.id, HtmlEscape(FormatUtcMicros(message.received_at_us)),
      HtmlEscape(message.mail_from), HtmlEscape(Recipients(message)), message.id,
      subject.empty() ? "(no subject)" : HtmlEscape(subject), RequestToMail(message));
}

// The live list. Text goes in with textContent only, never as HTML.
constexpr const char* kInboxScript = R"js('use strict';
(function () {
  var table = document.getElementById('inbox');
  var state = document.getElementById('live');
  if (!table || !window.EventSource) return;
  var source = new EventSource('/events?since_id=' + encodeURIComponent(table.dataset.lastId));
  source.onopen = function () { state.textContent = 'live'; };
  source.onerror = function () { state.textContent = 'reconnecting'; };
  function cell(row, text) { row.insertCell().textContent = text; }
  function utc(micros) {
    return new Date(Math.floor(micros / 1000)).toISOString().replace('T', ' ').replace('Z', ' UTC');
  }
  source.addEventListener('message', function (event) {
    var m = JSON.parse(event.data);
    if (document.getElementById('m' + m.id)) return;
    var row = table.insertRow(1);
    row.id = 'm' + m.id;
    cell(row, utc(m.received_at));
    cell(row, m.from);
    cell(row, m.to.join(', '));
    var link = document.createElement('a');
    link.href = '/messages/' + m.id + '/view';
    link.textContent = m.subject || '(no subject)';
    row.insertCell().appendChild(link);
    cell(row, m.request_to_mail_ms === null ? '' : m.request_to_mail_ms + ' ms');
  });
})();
)js";

}  // namespace

std::string FormatUtcMicros(int64_t micros) {
  std::string stamp = FormatUtc(micros / 1000000, "%Y-%m-%d %H:%M:%S");
  return fmt::format("{}.{:03d} UTC", stamp, static_cast<int>((micros % 1000000) / 1000));
}

const std::string& InboxScript() {
  static const std::string script = kInboxScript;
  return script;
}

std::string InboxPageHtml(const std::vector<MessageStore::Ptr>& newest_first, size_t total,
                          int64_t dropped, int64_t last_id) {
  std::string rows;
  for (const auto& message : newest_first) rows += Row(*message);
  std::string note = fmt::format("{} message(s) stored", total);
  if (newest_first.size() < total) note += fmt::format(", newest {} shown", newest_first.size());
  if (dropped > 0) {
    note +=
        fmt::format(", {} older dropped (--max-messages or --max-store-bytes reached)", dropped);
  }
  return Page("fibtastic-mailsink inbox",
              fmt::format("<h1>Inbox</h1><p>{}; new mail appears below (<span id=\"live\">"
                          "reload for new mail</span>). JSON: <a href=\"/messages\">/messages</a>,"
                          " <a href=\"/stats\">/stats</a>.</p>\n<table id=\"inbox\" "
                          "data-last-id=\"{}\"><tr><th>Received</th><th>From</th><th>To</th>"
                          "<th>Subject</th><th>Request to mail</th></tr>\n{}</table>\n"
                          "<script src=\"/inbox.js\"></script>",
                          note, last_id, rows));
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
                  "</a> &middot; <a href=\"/messages/{0}.json\">JSON</a></p>\n<h1>{1}</h1>\n<table>"
                  "<tr><th>Envelope from</th><td>{2}</td></tr><tr><th>Envelope to</th><td>{3}"
                  "</td></tr><tr><th>Received</th><td>{4}</td></tr>\n{5}</table>\n{6}"
                  "<h2>Body</h2><pre>{7}</pre>",
                  message.id, HtmlEscape(message.parsed.Subject()), HtmlEscape(message.mail_from),
                  HtmlEscape(Recipients(message)),
                  HtmlEscape(FormatUtcMicros(message.received_at_us)), headers, rendered,
                  HtmlEscape(body)));
}

}  // namespace fib
