// Integration tests of fibtastic-mailsink's SMTP side over raw sockets: garbage and
// out-of-order commands, limits, mid-DATA disconnects, pipelining, the slow provider's delay
// across concurrent clients, idle timeouts. Plus a hidden throughput figure ([.throughput]).
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
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
  CHECK(reply.rfind("421 4.4.2", 0) == 0);
  CHECK(elapsed_s < 1.5);
  CHECK(slow.ClosedByServer(2000));
  CHECK(sink.GetJson("/stats")["idle_timeouts"] == 1);
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
