// Integration tests of fibtastic-mailsink's SMTP side over raw sockets: garbage and
// out-of-order commands, limits, mid-DATA disconnects, pipelining, the slow provider's delay
// across concurrent clients, idle timeouts (NOOPs do not hold a session), the session deadline,
// the per-client session cap, and a crafted message that must not slow the inbox down. Plus a
// hidden throughput figure ([.throughput]).
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "common/smtp/smtp_mailer.h"
#include "tests/support/mail_sink.h"
#include "tests/support/raw_smtp.h"

namespace fib::test {
namespace {

using Clock = std::chrono::steady_clock;

// Greets and opens a transaction for one recipient; REQUIREs every step to succeed.
void BeginMessage(RawSmtp& client, const std::string& rcpt = "b@y.test") {
  REQUIRE(client.Code("EHLO raw.test") == 250);
  REQUIRE(client.Code("MAIL FROM:<a@x.test>") == 250);
  REQUIRE(client.Code("RCPT TO:<" + rcpt + ">") == 250);
  REQUIRE(client.Code("DATA") == 354);
}

// Connects and says EHLO `name`; REQUIREs the greeting and the 250.
std::unique_ptr<RawSmtp> GreetedClient(const MailSink& sink, const std::string& name) {
  auto client = std::make_unique<RawSmtp>(sink.smtp_port());
  REQUIRE(client->Reply().rfind("220 ", 0) == 0);
  REQUIRE(client->Code("EHLO " + name) == 250);
  return client;
}

// Checks that `client` was told `reply_prefix` within `max_s` and closed, and that /stats counted
// it once under `counter`.
void CheckClosedBySink(RawSmtp& client, const std::string& reply, const char* reply_prefix,
                       double elapsed_s, double max_s, const MailSink& sink, const char* counter) {
  CHECK(reply.rfind(reply_prefix, 0) == 0);
  CHECK(elapsed_s < max_s);
  CHECK(client.ClosedByServer(2000));
  CHECK(sink.GetJson("/stats")[counter] == 1);
}

TEST_CASE("Garbage and out-of-order commands get 5xx replies and the session lives on") {
  MailSink sink({"--max-recipients", "2"});
  RawSmtp client(sink.smtp_port());
  CHECK(client.Reply().rfind("220 ", 0) == 0);
  CHECK(client.Code("MAIL FROM:<a@x.test>") == 503);
  CHECK(client.Code("GARBAGE \x01\x02\xff") == 500);
  CHECK(client.Code("HELO") == 501);
  CHECK(client.Code("EXPN list") == 502);
  CHECK(client.Code("NOOP " + std::string(2000, 'z')) == 500);
  CHECK(client.Code("HELO raw.test") == 250);
  CHECK(client.Code("RCPT TO:<b@y.test>") == 503);
  CHECK(client.Code("MAIL FROM <a@x.test>") == 501);
  CHECK(client.Code("MAIL FROM:<a@x.test>") == 250);
  CHECK(client.Code("RCPT TO:<1@y.test>") == 250);
  CHECK(client.Code("RCPT TO:<2@y.test>") == 250);
  CHECK(client.Code("RCPT TO:<3@y.test>") == 452);
  CHECK(client.Code("DATA") == 354);
  CHECK(client.Code("Subject: survived\r\n\r\nstill here\r\n.") == 250);
  CHECK(client.Code("QUIT") == 221);
  CHECK(client.ClosedByServer(2000));
  nlohmann::json list = sink.WaitForMessages(1);
  REQUIRE(list.size() == 1);
  CHECK(list[0]["subject"] == "survived");
  CHECK(list[0]["to"] == nlohmann::json::array({"1@y.test", "2@y.test"}));
}

TEST_CASE("An oversize message gets 552 and the session can send the next one") {
  MailSink sink({"--max-message-bytes", "1000"});
  RawSmtp client(sink.smtp_port());
  client.Reply();
  CHECK(client.Command("EHLO raw.test").find("250-SIZE 1000\r\n") != std::string::npos);
  REQUIRE(client.Code("MAIL FROM:<a@x.test>") == 250);
  REQUIRE(client.Code("RCPT TO:<b@y.test>") == 250);
  REQUIRE(client.Code("DATA") == 354);
  std::string line(98, 'x');
  std::string big;
  for (int i = 0; i < 20; ++i) big += line + "\r\n";
  CHECK(client.Code(big + ".") == 552);
  CHECK(client.Code("MAIL FROM:<a@x.test> SIZE=5000") == 552);
  REQUIRE(client.Code("MAIL FROM:<a@x.test>") == 250);
  REQUIRE(client.Code("RCPT TO:<b@y.test>") == 250);
  REQUIRE(client.Code("DATA") == 354);
  CHECK(client.Code("Subject: small\r\n\r\nfits\r\n.") == 250);
  REQUIRE(sink.WaitForMessages(1).size() == 1);
  CHECK(sink.GetJson("/stats")["rejected"] == 2);
}

TEST_CASE("A client that disconnects mid-DATA leaves no partial message") {
  MailSink sink;
  {
    RawSmtp client(sink.smtp_port());
    client.Reply();
    BeginMessage(client);
    client.Send("Subject: half\r\n\r\nthe first half of the body\r\n");
    client.Close();
  }
  nlohmann::json stats;
  for (int i = 0; i < 200; ++i) {
    stats = sink.GetJson("/stats");
    if (stats["aborted"] == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(stats["aborted"] == 1);
  CHECK(stats["received"] == 0);
  CHECK(sink.GetJson("/messages").empty());
}

TEST_CASE("Pipelined commands get their replies in order") {
  MailSink sink;
  RawSmtp client(sink.smtp_port());
  client.Reply();
  REQUIRE(client.Command("EHLO raw.test").find("PIPELINING") != std::string::npos);
  client.Send("MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<>\r\nDATA\r\n");
  CHECK(client.Reply().rfind("250 2.1.0", 0) == 0);
  CHECK(client.Reply().rfind("250 2.1.5", 0) == 0);
  CHECK(client.Reply().rfind("501 ", 0) == 0);
  CHECK(client.Reply().rfind("354 ", 0) == 0);
  client.Send("Subject: piped\r\n\r\nbody\r\n.\r\nMAIL FROM:<c@x.test>\r\nRSET\r\nQUIT\r\n");
  CHECK(client.Reply().rfind("250 2.0.0 Ok: queued as 1", 0) == 0);
  CHECK(client.Reply().rfind("250 2.1.0", 0) == 0);
  CHECK(client.Reply().rfind("250 2.0.0", 0) == 0);
  CHECK(client.Reply().rfind("221 ", 0) == 0);
}

TEST_CASE("--delay-ms holds each message but never blocks another client") {
  MailSink sink({"--delay-ms", "500"});
  RawSmtp first(sink.smtp_port());
  RawSmtp second(sink.smtp_port());
  for (RawSmtp* client : {&first, &second}) {
    client->Reply();
    BeginMessage(*client);
  }
  auto start = Clock::now();
  first.Send("Subject: one\r\n\r\n1\r\n.\r\n");
  second.Send("Subject: two\r\n\r\n2\r\n.\r\n");
  std::string reply_one, reply_two;
  std::thread reader([&] { reply_one = first.Reply(); });
  reply_two = second.Reply();
  reader.join();
  double elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  CHECK(reply_one.rfind("250 ", 0) == 0);
  CHECK(reply_two.rfind("250 ", 0) == 0);
  CHECK(elapsed_s >= 0.5);
  CHECK(elapsed_s < 0.9);  // both held at once, not one after the other
  nlohmann::json list = sink.WaitForMessages(2);
  REQUIRE(list.size() == 2);
  for (const auto& m : list) {
    CHECK(m["received_at"].get<int64_t>() - m["data_end_at"].get<int64_t>() >= 500000);
  }
}

TEST_CASE("--idle-timeout-ms closes a trickling client with 421; others are served meanwhile") {
  MailSink sink({"--idle-timeout-ms", "400"});
  RawSmtp slow(sink.smtp_port());
  slow.Reply();
  REQUIRE(slow.Code("EHLO slow.test") == 250);
  auto start = Clock::now();
  std::atomic<bool> closed{false};
  std::thread trickle([&] {
    // A byte every 50 ms, never a whole line, until the server hangs up.
    for (int i = 0; i < 40 && !closed && slow.TrySend("N"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  RawSmtp quick(sink.smtp_port());
  quick.Reply();
  BeginMessage(quick);
  CHECK(quick.Code("Subject: quick\r\n\r\nhi\r\n.") == 250);
  CHECK(quick.Code("QUIT") == 221);
  std::string reply = slow.Reply();
  closed = true;
  trickle.join();
  double elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  CheckClosedBySink(slow, reply, "421 4.4.2", elapsed_s, 1.5, sink, "idle_timeouts");
}

// Runs `step` (which returns the reply that decides) every `pause_ms` until a reply is not a
// 2xx/3xx one or `limit` passed; returns that last reply and the seconds it took.
std::pair<std::string, double> RepeatUntilRefused(const std::function<std::string()>& step,
                                                  int pause_ms, std::chrono::seconds limit) {
  auto start = Clock::now();
  std::string last;
  while (Clock::now() - start < limit) {
    last = step();
    if (last.empty() || last[0] == '4' || last[0] == '5') break;
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
  }
  return {last, std::chrono::duration<double>(Clock::now() - start).count()};
}

TEST_CASE("NOOP, RSET, HELP and VRFY do not hold an idle session open past --idle-timeout-ms") {
  MailSink sink({"--idle-timeout-ms", "1000"});
  auto idler = GreetedClient(sink, "idler.test");
  // One no-progress command every 250 ms: each used to restart the idle timer, forever.
  const char* commands[] = {"NOOP", "RSET", "HELP", "VRFY someone"};
  int i = 0;
  auto [last, elapsed_s] = RepeatUntilRefused([&] { return idler->Command(commands[i++ % 4]); },
                                              250, std::chrono::seconds(6));
  std::printf(
      "[smtp] a NOOP/RSET/HELP/VRFY every 250 ms, --idle-timeout-ms 1000: closed after %.1f s\n",
      elapsed_s);
  CheckClosedBySink(*idler, last, "421 4.4.2", elapsed_s, 4.0, sink, "idle_timeouts");
}

TEST_CASE("--session-timeout closes even a busy session with 421; it may reconnect") {
  MailSink sink({"--session-timeout", "1500ms"});
  auto busy = GreetedClient(sink, "busy.test");
  int sent = 0;
  auto [last, elapsed_s] = RepeatUntilRefused(
      [&] {
        std::string reply = busy->Command("MAIL FROM:<a@x.test>");
        if (reply.rfind("250", 0) != 0) return reply;
        REQUIRE(busy->Code("RCPT TO:<b@y.test>") == 250);
        REQUIRE(busy->Code("DATA") == 354);
        REQUIRE(busy->Code("Subject: busy\r\n\r\nhi\r\n.") == 250);
        ++sent;
        return reply;
      },
      100, std::chrono::seconds(6));
  std::printf("[smtp] --session-timeout 1500ms: closed after %.1f s and %d messages\n", elapsed_s,
              sent);
  CHECK(sent >= 3);
  CheckClosedBySink(*busy, last, "421 4.4.2 Session time limit", elapsed_s, 4.0, sink,
                    "session_timeouts");
  RawSmtp again(sink.smtp_port());
  CHECK(again.Reply().rfind("220 ", 0) == 0);
}

TEST_CASE("--max-connections-per-client refuses one address's extra sessions, not another's") {
  MailSink sink({"--max-connections-per-client", "3"});
  std::vector<std::unique_ptr<RawSmtp>> held;
  // The start-up probe's connection may still hold a slot for a moment: retry a 421 briefly.
  for (int attempt = 0; attempt < 20 && held.size() < 3; ++attempt) {
    auto client = std::make_unique<RawSmtp>(sink.smtp_port());
    if (client->Reply().rfind("220 ", 0) == 0) {
      held.push_back(std::move(client));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  REQUIRE(held.size() == 3);
  // Refusals of the retries above (on a loaded machine) are not this check's business.
  nlohmann::json before = sink.GetJson("/stats");
  RawSmtp extra(sink.smtp_port());
  std::string refused = extra.Reply();
  std::printf("[smtp] 4th session from 127.0.0.1 (limit 3): %s", refused.c_str());
  CHECK(refused.rfind("421 4.7.0 Too many connections from 127.0.0.1", 0) == 0);
  CHECK(extra.ClosedByServer(2000));
  // Another client address still gets in, and can deliver.
  RawSmtp other(sink.smtp_port(), "127.0.0.2");
  REQUIRE(other.Reply().rfind("220 ", 0) == 0);
  BeginMessage(other);
  CHECK(other.Code("Subject: from another client\r\n\r\nhi\r\n.") == 250);
  nlohmann::json stats = sink.GetJson("/stats");
  CHECK(stats["connections_refused_per_client"].get<int64_t>() -
            before["connections_refused_per_client"].get<int64_t>() ==
        1);
  CHECK(stats["connections_refused"].get<int64_t>() -
            before["connections_refused"].get<int64_t>() ==
        1);
  held.pop_back();  // a slot of 127.0.0.1 frees up
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  RawSmtp back(sink.smtp_port());
  CHECK(back.Reply().rfind("220 ", 0) == 0);
}

TEST_CASE("A crafted message (20000 headers, a 200 KB encoded-word trap) keeps the inbox fast") {
  MailSink sink;
  RawSmtp client(sink.smtp_port());
  client.Reply();
  BeginMessage(client);
  std::string data = "Subject: =?a?B?x";
  // Folded lines of "=?a?B?x" that never close: each "=?" used to re-scan the whole subject.
  for (int line = 0; line < 2500; ++line)
    data += "\r\n " +
            std::string(
                "=?a?B?x =?a?B?x =?a?B?x =?a?B?x =?a?B?x =?a?B?x =?a?B?x =?a?B?x =?a?B?x =?a?B?x");
  data += "\r\nX-Request-Id: crafted\r\n";
  for (int i = 0; i < 20000; ++i) data += "X-Header-" + std::to_string(i) + ": value\r\n";
  data += "\r\nbody\r\n.";
  REQUIRE(client.Code(data) == 250);
  auto start = Clock::now();
  nlohmann::json list;
  for (int i = 0; i < 3; ++i) list = sink.Messages();
  auto page = sink.Get("/");
  double elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("[smtp] 3 x GET /messages + GET / with the crafted message: %.3f s\n", elapsed_s);
  REQUIRE(list.size() == 1);
  CHECK(list[0]["request_id"] == "crafted");
  CHECK(list[0]["headers_dropped"].get<int>() == 20002 - 1000);
  CHECK(list[0]["headers"].size() == 1000);
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(elapsed_s < 2.0);  // seconds per listing before; milliseconds now
}

TEST_CASE("Throughput of SmtpMailer against the sink", "[.throughput]") {
  MailSink sink({"--delay-ms", "0", "--max-messages", "1000"});
  constexpr int kThreads = 4;
  constexpr double kSeconds = 5.0;
  std::atomic<int64_t> sent{0}, failed{0};
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      SmtpMailer mailer(SmtpMailerOptions{.url = sink.smtp_url()});
      Email email;
      email.from = "bench@example.com";
      email.to = "sink@example.com";
      email.subject = "throughput";
      email.html_body = "<p>0, 1, 1, 2, 3, 5, 8, 13, 21, 34</p>\n";
      while (std::chrono::duration<double>(Clock::now() - start).count() < kSeconds) {
        (mailer.Send(email).ok() ? sent : failed)++;
      }
    });
  }
  for (auto& t : threads) t.join();
  double elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  nlohmann::json stats = sink.GetJson("/stats");
  WARN("SmtpMailer -> fibtastic-mailsink, "
       << kThreads << " threads, " << elapsed_s << " s: " << sent << " sent (" << failed
       << " failed), " << static_cast<double>(sent) / elapsed_s
       << " messages/s; SMTP connections: " << stats["connections_total"]);
  CHECK(failed == 0);
  CHECK(stats["received"] == sent.load());
}

}  // namespace
}  // namespace fib::test
