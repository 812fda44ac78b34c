// Unit tests of the mail sink's message handling: header parsing and decoding, the message
// ring, its JSON, the HTML pages and the slow/failing provider. No sockets.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>

#include "mailsink/inbox_page.h"
#include "mailsink/mail_message.h"
#include "mailsink/message_json.h"
#include "mailsink/message_store.h"
#include "mailsink/mime_decode.h"
#include "mailsink/mime_parts.h"
#include "mailsink/provider.h"

namespace fib {
namespace {

StoredMessage Sample(const std::string& subject, const std::string& raw_extra = "") {
  StoredMessage message;
  message.mail_from = "a@x.test";
  message.rcpt_to = {"b@y.test"};
  message.raw = "Subject: " + subject + "\r\nX-Request-Id: req-1\r\n" + raw_extra + "\r\nbody\r\n";
  IndexMessage(&message);
  message.received_at_us = 1700000000123456;
  return message;
}

TEST_CASE("MailMessage unfolds headers and looks them up case-insensitively") {
  std::string raw =
      "Subject: a long\r\n  folded subject\r\nX-REQUEST-ID: r-42\r\nReceived: one\r\n"
      "Received: two\r\n\r\nHello\r\n\r\nWorld\r\n";
  MailMessage m = MailMessage::Parse(raw);
  CHECK(m.Header("subject") == "a long  folded subject");
  CHECK(m.Header("X-Request-Id") == "r-42");
  CHECK(m.Header("received") == "one");
  CHECK_FALSE(m.Header("X-Job-Id").has_value());
  CHECK(m.headers().size() == 4);
  CHECK(m.Body(raw) == "Hello\r\n\r\nWorld\r\n");
  CHECK(m.MediaType() == "text/plain");
}

TEST_CASE("MailMessage treats a non-header line as the start of the body") {
  std::string raw = "Subject: x\nthis is not a header\nmore\n";
  MailMessage m = MailMessage::Parse(raw);
  CHECK(m.headers().size() == 1);
  CHECK(m.Body(raw) == "this is not a header\nmore\n");
  CHECK(MailMessage::Parse("just text\r\n").Body("just text\r\n") == "just text\r\n");
}

TEST_CASE("MailMessage decodes base64 and quoted-printable bodies but keeps multipart raw") {
  std::string b64_raw =
      "Content-Type: TEXT/HTML; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "PGI+aGk8\r\nL2I+\r\n";
  MailMessage b64 = MailMessage::Parse(b64_raw);
  CHECK(b64.MediaType() == "text/html");
  CHECK(b64.DecodedBody(b64_raw) == "<b>hi</b>");
  std::string qp_raw =
      "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9 soft=\r\nbreak\r\n";
  CHECK(MailMessage::Parse(qp_raw).DecodedBody(qp_raw) == "caf\xC3\xA9 softbreak\r\n");
  std::string multipart_body = "--b\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--b--\r\n";
  std::string mp_raw =
      "Content-Type: multipart/alternative; boundary=b\r\nContent-Transfer-Encoding: "
      "base64\r\n\r\n" +
      multipart_body;
  CHECK(MailMessage::Parse(mp_raw).DecodedBody(mp_raw) == multipart_body);
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
  MessageStore store(MessageStoreOptions{.max_messages = 3, .max_bytes = 1 << 20, .parse = {}});
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

TEST_CASE("MessageStore keeps the memory of all messages under max_bytes, oldest dropped first") {
  constexpr size_t kCap = 1 << 20;
  MessageStore store(MessageStoreOptions{.max_messages = 10000, .max_bytes = kCap, .parse = {}});
  const std::string body(100 * 1024, 'b');
  for (int i = 1; i <= 40; ++i) {
    auto stored = store.Add(Sample(fmt::format("m{}", i), "\r\n" + body));
    REQUIRE(stored != nullptr);
    // Counted as it is held: at least the raw text, but the body is not kept a second time.
    CHECK(stored->memory_bytes >= stored->raw.size());
    CHECK(stored->memory_bytes < stored->raw.size() + 8 * 1024);
    CHECK(store.stored_bytes() <= kCap);
  }
  CHECK(store.added() == 40);
  CHECK(store.size() >= 8);
  CHECK(store.size() <= 10);
  CHECK(store.dropped() == 40 - static_cast<int64_t>(store.size()));
  CHECK(store.NewestFirst(1).front()->id == 40);
  CHECK(store.Find(1) == nullptr);
  // A message that alone needs more than the cap is refused, and nothing is dropped for it.
  int64_t dropped = store.dropped();
  CHECK(store.Add(Sample("huge", "\r\n" + std::string(kCap, 'h'))) == nullptr);
  CHECK(store.dropped() == dropped);
  CHECK(store.added() == 40);
  CHECK(store.Clear() > 0);
  CHECK(store.stored_bytes() == 0);
}

TEST_CASE("MessageStore Since, NewestFirst and Find are safe for any id and limit") {
  MessageStore store;
  for (int i = 0; i < 3; ++i) store.Add(Sample("m"));
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr size_t kAll = std::numeric_limits<size_t>::max();
  CHECK(store.Since(kMax, 10).empty());  // since_id + 1 used to overflow and return everything
  CHECK(store.Since(kMax - 1, kAll).empty());
  CHECK(store.Since(kMin, kAll).size() == 3);
  CHECK(store.Since(-1, 2).size() == 2);
  CHECK(store.Since(2, kAll).size() == 1);
  CHECK(store.Since(0, 0).empty());
  CHECK(store.NewestFirst(kAll).size() == 3);
  CHECK(store.Find(kMax) == nullptr);
  CHECK(store.Find(kMin) == nullptr);
}

TEST_CASE("MailMessage keeps at most the header limits, counts the rest and still finds the body") {
  std::string raw = "Subject: kept\r\n";
  for (int i = 0; i < 20000; ++i) raw += fmt::format("X-H-{}: v\r\n", i);
  raw += "\r\nthe body\r\n";
  MailMessage m = MailMessage::Parse(raw);
  CHECK(m.headers().size() == 1000);
  CHECK(m.headers_dropped() == 19001);
  CHECK(m.Subject() == "kept");
  CHECK(m.Body(raw) == "the body\r\n");
  // One field over the byte budget is dropped whole; the next small one is kept.
  std::string big =
      "X-Big: " + std::string(300 * 1024, 'x') + "\r\n continued\r\nX-Small: s\r\n\r\nb";
  MailMessage b = MailMessage::Parse(big);
  CHECK(b.headers_dropped() == 1);
  REQUIRE(b.headers().size() == 1);
  CHECK(b.Header("x-small") == "s");
  CHECK(b.Body(big) == "b");
}

TEST_CASE(
    "Decoding and listing crafted headers is linear: 20000 fields, a 1 MB encoded-word trap") {
  // "=?a?B?x " repeated: every "=?" looks like the start of an encoded word that never closes,
  // which made each one re-scan the rest (tens of seconds for 1 MB).
  std::string trap;
  while (trap.size() < 1024 * 1024) trap += "=?a?B?x ";
  auto start = std::chrono::steady_clock::now();
  CHECK(DecodeEncodedWords(trap) == trap);
  std::string words;
  for (int i = 0; i < 100000; ++i) words += "=?UTF-8?B?" + std::string("eA==") + "?= ";
  CHECK(DecodeEncodedWords(words) == std::string(100000, 'x') + " ");
  double decode_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(decode_s < 2.0);

  StoredMessage message = Sample("=?UTF-8?Q?crafted?=", [] {
    std::string headers;
    for (int i = 0; i < 20000; ++i) headers += fmt::format("X-Header-{}: value {}\r\n", i, i);
    return headers;
  }());
  REQUIRE(message.summary.is_object());
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i) {
    nlohmann::json json = MessageSummaryJson(message);
    REQUIRE(json["headers"].size() == 1000);
  }
  double list_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(list_s < 2.0);  // 200 listings of it; each used to compare every pair of 20000 names
  nlohmann::json json = MessageSummaryJson(message);
  CHECK(json["subject"] == "crafted");
  CHECK(json["headers_dropped"] == 20002 - 1000);
  CHECK(json["request_id"] == "req-1");
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

TEST_CASE("FindTextPart finds single parts and parts of nested multiparts, not attachments") {
  std::string raw =
      "Content-Type: multipart/mixed; boundary=outer\r\n\r\npreamble\r\n--outer\r\n"
      "Content-Type: multipart/alternative; boundary=\"in ner\"\r\n\r\n--in ner\r\n"
      "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n"
      "--in ner\r\nContent-Type: text/html\r\n\r\n<b>hi</b>\r\n--in ner--\r\n--outer\r\n"
      "Content-Type: text/html\r\nContent-Disposition: attachment\r\n\r\nno\r\n--outer--\r\n";
  MailMessage parsed = MailMessage::Parse(raw);
  CHECK(FindTextPart(parsed, raw, "text/plain") == "hello");
  CHECK(FindTextPart(parsed, raw, "text/html") == "<b>hi</b>");
  CHECK_FALSE(FindTextPart(parsed, raw, "text/calendar"));
  std::string single = "Content-Type: text/html\r\n\r\n<p>x</p>";
  CHECK(FindTextPart(MailMessage::Parse(single), single, "text/html") == "<p>x</p>");
  CHECK(MultipartBoundary("multipart/mixed; BOUNDARY=\"a b\"; x=y") == "a b");
  CHECK(MultipartBoundary("text/plain").empty());
}

TEST_CASE("MessageStore finds by request id, removes by id and wakes waiters") {
  MessageStore store;
  store.Add(Sample("one"));  // both carry X-Request-Id: req-1
  store.Add(Sample("two"));
  REQUIRE(store.FindRequest("req-1", 0) != nullptr);
  CHECK(store.FindRequest("req-1", 0)->id == 2);    // the newest
  CHECK(store.FindRequest("req-1", 2) == nullptr);  // only ids above since_id
  CHECK(store.FindRequest("req-2", 0) == nullptr);
  CHECK(store.Remove(2));
  CHECK_FALSE(store.Remove(2));
  CHECK(store.FindRequest("req-1", 0)->id == 1);
  CHECK(store.size() == 1);
  CHECK(store.last_id() == 2);
  auto start = std::chrono::steady_clock::now();
  std::thread adder([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    store.Add(Sample("three"));
  });
  CHECK(store.WaitForNewer(2, start + std::chrono::seconds(10)) == 3);
  adder.join();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  store.StopWaiters();
  CHECK(store.WaitForNewer(3, std::chrono::steady_clock::now() + std::chrono::hours(1)) == 3);
}

TEST_CASE("MessageSummaryJson has mailcatcher's fields and the request-to-mail time") {
  StoredMessage message = Sample("s", "X-Request-Start: 1700000000000\r\n");
  message.mail_from = "a@x.test";
  message.rcpt_to = {"b@x.test", "c@x.test"};
  message.received_at_us = 1700000000250000;
  IndexMessage(&message);
  nlohmann::json json = MessageSummaryJson(message);
  CHECK(json["sender"] == "<a@x.test>");
  CHECK(json["recipients"] == nlohmann::json::array({"<b@x.test>", "<c@x.test>"}));
  CHECK(json["created_at"] == "2023-11-14T22:13:20+00:00");
  CHECK(json["request_start_ms"] == 1700000000000);
  CHECK(json["request_to_mail_ms"] == 250);
  StoredMessage odd = Sample("s", "X-Request-Start: -5\r\n");
  IndexMessage(&odd);
  CHECK(MessageSummaryJson(odd)["request_to_mail_ms"].is_null());
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
  std::string inbox = InboxPageHtml({std::make_shared<const StoredMessage>(message)}, 1, 0, 1);
  CHECK(inbox.find("<script>") == std::string::npos);
  CHECK(inbox.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(inbox.find("<b>") == std::string::npos);
  CHECK(inbox.find("/messages/1/view") != std::string::npos);
  std::string page = MessagePageHtml(message);
  CHECK(page.find("<script>") == std::string::npos);
  CHECK(page.find("<iframe sandbox srcdoc=") != std::string::npos);
  CHECK(FormatUtcMicros(1700000000123456) == "2023-11-14 22:13:20.123 UTC");
}

SmtpEnvelopeMessage Envelope(const std::string& subject) {
  return {"helo.test", "a@x.test", {"b@y.test"}, "Subject: " + subject + "\r\n\r\nhi\r\n"};
}

// A Provider playing the old --delay-ms / --fail-rate flags (now chaos presets).
struct PresetProvider {
  PresetProvider(int64_t delay_ms, double fail_rate, uint64_t seed, const Clock* clock)
      : chaos(ApplyProviderPresets({}, delay_ms, fail_rate).value(), seed, clock),
        provider(&store, &counters, &chaos, clock) {}
  MessageStore store;
  SinkCounters counters;
  Chaos chaos;
  Provider provider;
};

TEST_CASE("Provider stores accepted messages stamped with the clock") {
  ManualClock clock(1700000000000000);
  PresetProvider preset(0, 0, 0, &clock);
  MessageStore& store = preset.store;
  Provider& provider = preset.provider;
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
    PresetProvider preset(0, rate, seed, SystemClock::Default());
    MessageStore& store = preset.store;
    SinkCounters& counters = preset.counters;
    Provider& provider = preset.provider;
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
  PresetProvider preset(50, 0, 1, SystemClock::Default());
  MessageStore& store = preset.store;
  Provider& provider = preset.provider;
  auto start = std::chrono::steady_clock::now();
  CHECK(provider.Deliver(Envelope("slow"), "c", 0).code == 250);
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(50));
  provider.Stop();
  CHECK(provider.Deliver(Envelope("late"), "c", 0).code == 421);
  CHECK(store.size() == 1);
}

TEST_CASE("Clearing the chaos latency releases the messages already held") {
  PresetProvider preset(30000, 0, 1, SystemClock::Default());
  auto start = std::chrono::steady_clock::now();
  std::thread clear([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    preset.chaos.Set(ChaosConfig{});
  });
  SmtpVerdict verdict = preset.provider.Deliver(Envelope("held"), "c", 0);
  clear.join();
  CHECK(verdict.code == 250);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
}

}  // namespace
}  // namespace fib
