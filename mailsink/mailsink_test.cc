// Unit tests of the mail sink's message handling: header parsing and decoding, the message
// ring, its JSON, the HTML pages and the slow/failing provider. No sockets.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <string>

#include "mailsink/inbox_page.h"
#include "mailsink/mail_message.h"
#include "mailsink/message_json.h"
#include "mailsink/message_store.h"
#include "mailsink/mime_decode.h"
#include "mailsink/provider.h"

namespace fib {
namespace {

StoredMessage Sample(const std::string& subject, const std::string& raw_extra = "") {
  StoredMessage message;
  message.mail_from = "a@x.test";
  message.rcpt_to = {"b@y.test"};
  message.raw = "Subject: " + subject + "\r\nX-Request-Id: req-1\r\n" + raw_extra + "\r\nbody\r\n";
  message.parsed = MailMessage::Parse(message.raw);
  message.received_at_us = 1700000000123456;
  return message;
}

TEST_CASE("MailMessage unfolds headers and looks them up case-insensitively") {
  MailMessage m = MailMessage::Parse(
      "Subject: a long\r\n  folded subject\r\nX-REQUEST-ID: r-42\r\nReceived: one\r\n"
      "Received: two\r\n\r\nHello\r\n\r\nWorld\r\n");
  CHECK(m.Header("subject") == "a long  folded subject");
  CHECK(m.Header("X-Request-Id") == "r-42");
  CHECK(m.Header("received") == "one");
  CHECK_FALSE(m.Header("X-Job-Id").has_value());
  CHECK(m.headers().size() == 4);
  CHECK(m.body() == "Hello\r\n\r\nWorld\r\n");
  CHECK(m.MediaType() == "text/plain");
}

TEST_CASE("MailMessage treats a non-header line as the start of the body") {
  MailMessage m = MailMessage::Parse("Subject: x\nthis is not a header\nmore\n");
  CHECK(m.headers().size() == 1);
  CHECK(m.body() == "this is not a header\nmore\n");
  CHECK(MailMessage::Parse("just text\r\n").body() == "just text\r\n");
}

TEST_CASE("MailMessage decodes base64 and quoted-printable bodies but keeps multipart raw") {
  MailMessage b64 = MailMessage::Parse(
      "Content-Type: TEXT/HTML; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "PGI+aGk8\r\nL2I+\r\n");
  CHECK(b64.MediaType() == "text/html");
  CHECK(b64.DecodedBody() == "<b>hi</b>");
  MailMessage qp = MailMessage::Parse(
      "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 soft=\r\nbreak\r\n");
  CHECK(qp.DecodedBody() == "caf\xC3\xA9 softbreak\r\n");
  std::string multipart_body = "--b\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--b--\r\n";
  MailMessage mp = MailMessage::Parse(
      "Content-Type: multipart/alternative; boundary=b\r\nContent-Transfer-Encoding: "
      "base64\r\n\r\n" +
      multipart_body);
  CHECK(mp.DecodedBody() == multipart_body);
}

TEST_CASE("DecodeEncodedWords decodes RFC 2047 subjects") {
  CHECK(DecodeEncodedWords("=?UTF-8?B?SGVsbG8gV29ybGQ=?=") == "Hello World");
  CHECK(DecodeEncodedWords("Re: =?utf-8?q?caf=C3=A9_time?= ok") == "Re: caf\xC3\xA9 time ok");
  CHECK(DecodeEncodedWords("=?UTF-8?Q?a?= =?UTF-8?Q?b?=") == "ab");
  CHECK(DecodeEncodedWords("plain =? not encoded") == "plain =? not encoded");
  CHECK(DecodeBase64("Zm9vYmFy") == "foobar");
  CHECK(DecodeQuotedPrintable("a=3Db=\nc =ZZ") == "a=bc =ZZ");
}

TEST_CASE("MessageStore keeps the newest messages in a ring and counts the dropped") {
  MessageStore store(MessageStoreOptions{3});
  for (int i = 1; i <= 5; ++i) CHECK(store.Add(Sample(fmt::format("m{}", i)))->id == i);
  CHECK(store.size() == 3);
  CHECK(store.added() == 5);
  CHECK(store.dropped() == 2);
  CHECK(store.Find(2) == nullptr);
  REQUIRE(store.Find(4) != nullptr);
  CHECK(store.Find(4)->parsed.Subject() == "m4");
  auto newest = store.NewestFirst(2);
  REQUIRE(newest.size() == 2);
  CHECK(newest[0]->id == 5);
  CHECK(newest[1]->id == 4);
  auto page = store.Since(3, 10);
  REQUIRE(page.size() == 2);
  CHECK(page[0]->id == 4);
  CHECK(store.Since(0, 1).front()->id == 3);
  CHECK(store.Since(5, 10).empty());
}

TEST_CASE("MessageStore Clear empties the inbox but never reuses ids") {
  MessageStore store;
  store.Add(Sample("one"));
  store.Add(Sample("two"));
  CHECK(store.Clear() == 2);
  CHECK(store.size() == 0);
  CHECK(store.Find(1) == nullptr);
  CHECK(store.Add(Sample("three"))->id == 3);
}

TEST_CASE("MessageSummaryJson has the fields the load generator joins on") {
  StoredMessage message =
      Sample("=?UTF-8?Q?Fib_=E2=9C=93?=", "X-Job-Id: j-9\r\nx-request-id: dup\r\n");
  message.id = 7;
  message.data_end_at_us = 1700000000000001;
  nlohmann::json json = MessageSummaryJson(message);
  CHECK(json["id"] == 7);
  CHECK(json["from"] == "a@x.test");
  CHECK(json["to"] == nlohmann::json::array({"b@y.test"}));
  CHECK(json["subject"] == "Fib \xE2\x9C\x93");
  CHECK(json["received_at"].is_number_integer());
  CHECK(json["received_at"] == 1700000000123456);
  CHECK(json["data_end_at"] == 1700000000000001);
  CHECK(json["size"] == message.raw.size());
  CHECK(json["headers"]["X-Request-Id"] == "req-1");  // the first of a repeated header wins
  CHECK_FALSE(json["headers"].contains("x-request-id"));
  CHECK(json["request_id"] == "req-1");
  CHECK(json["job_id"] == "j-9");
  CHECK(json["message_id"].is_null());
  nlohmann::json detail = MessageDetailJson(message);
  CHECK(detail["body"] == "body\r\n");
  CHECK(detail["content_type"] == "text/plain");
}

TEST_CASE("DumpJson survives invalid UTF-8 in a message") {
  StoredMessage message = Sample("bad \xff\xfe bytes");
  std::string text = DumpJson(MessageSummaryJson(message));
  CHECK(nlohmann::json::parse(text)["subject"] == "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
}

TEST_CASE("Inbox pages escape everything taken from a message") {
  StoredMessage message = Sample("<script>alert(1)</script>", "Content-Type: text/html\r\n");
  message.mail_from = "\"<b>\"@x.test";
  message.id = 1;
  std::string inbox = InboxPageHtml({std::make_shared<const StoredMessage>(message)}, 1, 0);
  CHECK(inbox.find("<script>") == std::string::npos);
  CHECK(inbox.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(inbox.find("<b>") == std::string::npos);
  CHECK(inbox.find("/messages/1.html") != std::string::npos);
  std::string page = MessagePageHtml(message);
  CHECK(page.find("<script>") == std::string::npos);
  CHECK(page.find("<iframe sandbox srcdoc=") != std::string::npos);
  CHECK(FormatUtcMicros(1700000000123456) == "2023-11-14 22:13:20.123 UTC");
}

SmtpEnvelopeMessage Envelope(const std::string& subject) {
  return {"helo.test", "a@x.test", {"b@y.test"}, "Subject: " + subject + "\r\n\r\nhi\r\n"};
}

TEST_CASE("Provider stores accepted messages stamped with the clock") {
  MessageStore store;
  SinkCounters counters;
  ManualClock clock(1700000000000000);
  Provider provider(ProviderOptions{}, &store, &counters, &clock);
  SmtpVerdict verdict = provider.Deliver(Envelope("hello"), "127.0.0.1:5000", 1699999999000000);
  CHECK(verdict.code == 250);
  CHECK(verdict.text == "2.0.0 Ok: queued as 1");
  auto stored = store.Find(1);
  REQUIRE(stored);
  CHECK(stored->received_at_us == 1700000000000000);
  CHECK(stored->data_end_at_us == 1699999999000000);
  CHECK(stored->client == "127.0.0.1:5000");
  CHECK(stored->parsed.Subject() == "hello");
}

TEST_CASE("Provider fails the configured fraction with 451, reproducibly for a seed") {
  auto run = [](double rate, uint64_t seed) {
    MessageStore store;
    SinkCounters counters;
    Provider provider(ProviderOptions{0, rate, seed}, &store, &counters, SystemClock::Default());
    std::string outcomes;
    for (int i = 0; i < 400; ++i) {
      SmtpVerdict v = provider.Deliver(Envelope("m"), "c", 0);
      outcomes += v.code == 451 ? 'F' : 'A';
      if (v.code == 451) CHECK(v.text.rfind("4.3.0", 0) == 0);
    }
    CHECK(counters.failed_451 ==
          static_cast<int64_t>(store.size() == 400 ? 0 : 400 - store.size()));
    return outcomes;
  };
  std::string half = run(0.5, 42);
  CHECK(half == run(0.5, 42));
  CHECK(half != run(0.5, 43));
  auto failures = std::count(half.begin(), half.end(), 'F');
  CHECK(failures > 140);
  CHECK(failures < 260);
  CHECK(run(1.0, 1) == std::string(400, 'F'));
  CHECK(run(0.0, 1) == std::string(400, 'A'));
}

TEST_CASE("Provider holds a message for delay_ms, and Stop cuts the hold short with 421") {
  MessageStore store;
  SinkCounters counters;
  Provider provider(ProviderOptions{50, 0, 1}, &store, &counters, SystemClock::Default());
  auto start = std::chrono::steady_clock::now();
  CHECK(provider.Deliver(Envelope("slow"), "c", 0).code == 250);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(50));
  provider.Stop();
  CHECK(provider.Deliver(Envelope("late"), "c", 0).code == 421);
  CHECK(store.size() == 1);
}

}  // namespace
}  // namespace fib
