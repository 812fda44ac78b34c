// Hostile SMTP sessions against a real fibtastic-mailsink, beyond mailsink_smtp_integration_test:
// out-of-order commands, a 10,000-byte command line, binary junk, bare LF, dot-stuffing edge
// cases, pipelined junk, a disconnect right before the final dot and idle connections past
// --max-connections. Each exchange prints one line; the sink must keep serving after each.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/mail_sink.h"
#include "tests/support/printable.h"
#include "tests/support/raw_smtp.h"

namespace fib::test {
namespace {

int inputs_tried = 0;

std::string Shown(const std::string& bytes, size_t max = 60) { return Printable(bytes, max); }

// Sends `line` + CRLF, prints the exchange, returns the reply code.
int Say(RawSmtp& client, const std::string& line) {
  std::string reply = client.Command(line);
  std::printf("[smtp] sent %-64s -> %s\n", Shown(line).c_str(), Shown(reply, 90).c_str());
  ++inputs_tried;
  return reply.size() >= 3 ? std::atoi(reply.substr(0, 3).c_str()) : 0;
}

// A fresh session that sends one good message must still work.
void CheckStillServes(MailSink& sink, size_t expect_messages) {
  RawSmtp client(sink.smtp_port());
  REQUIRE(client.Reply().rfind("220 ", 0) == 0);
  REQUIRE(client.Code("HELO ok.test") == 250);
  REQUIRE(client.Code("MAIL FROM:<a@x.test>") == 250);
  REQUIRE(client.Code("RCPT TO:<b@y.test>") == 250);
  REQUIRE(client.Code("DATA") == 354);
  REQUIRE(client.Code("Subject: still serving\r\n\r\nok\r\n.") == 250);
  CHECK(sink.WaitForMessages(expect_messages).size() == expect_messages);
  CHECK(sink.process().running());
}

TEST_CASE("hostile SMTP sessions get clear replies and the sink keeps serving", "[hostile][smtp]") {
  MailSink sink({"--max-connections", "8", "--idle-timeout-ms", "3000"});
  RawSmtp client(sink.smtp_port());
  client.Reply();
  CHECK(Say(client, "RCPT TO:<b@y.test>") == 503);
  CHECK(Say(client, "DATA") == 503);
  CHECK(Say(client, "NOOP " + std::string(10000, 'n')) == 500);
  CHECK(Say(client, std::string(10000, 'x')) == 500);
  std::string junk;
  for (int i = 0; i < 4096; ++i)
    junk += static_cast<char>((i * 131 + 7) % 256 == '\n' ? 0 : (i * 131 + 7) % 256);
  CHECK(Say(client, junk) == 500);
  CHECK(Say(client, std::string("\0\0\0HELO x", 9)) == 500);
  CHECK(Say(client, "HELO hostile.test") == 250);
  CHECK(Say(client, "DATA") == 503);  // no MAIL yet
  CHECK(Say(client, "MAIL FROM:<a@x.test>") == 250);
  CHECK(Say(client, "DATA") == 503);                      // MAIL but no RCPT
  CHECK(Say(client, "MAIL FROM:<again@x.test>") == 503);  // nested MAIL
  // A CRLF inside a command is just two commands: the header-like second line is refused.
  CHECK(Say(client, "RCPT TO:<b@y.test>\r\nBcc: evil@y.test") == 250);
  std::string second = client.Reply();
  std::printf("[smtp]   ...second line of it -> %s\n", Shown(second, 90).c_str());
  CHECK(second.rfind("500 ", 0) == 0);
  CHECK(Say(client, "DATA") == 354);
  // Dot-stuffing: "..x" is ".x", "..." is "..", ". " is " "; only a lone "." ends the message.
  CHECK(Say(client, "Subject: dots\r\n\r\n..x\r\n...\r\n. \r\n.") == 250);
  CHECK(Say(client, "QUIT") == 221);
  nlohmann::json list = sink.WaitForMessages(1);
  REQUIRE(list.size() == 1);
  auto eml = sink.Get("/messages/" + std::to_string(list[0]["id"].get<int64_t>()) + ".eml");
  REQUIRE(eml);
  INFO(eml->body);
  CHECK(eml->body.find("\r\n.x\r\n..\r\n \r\n") != std::string::npos);
  CHECK(list[0]["to"] == nlohmann::json::array({"b@y.test"}));
  CheckStillServes(sink, 2);
}

TEST_CASE("bare LF, pipelined junk and a cut before the final dot", "[hostile][smtp]") {
  MailSink sink;
  {
    RawSmtp lf(sink.smtp_port());
    lf.Reply();
    lf.Send("HELO lf.test\nMAIL FROM:<a@x.test>\nRCPT TO:<b@y.test>\nDATA\n");
    std::string replies;
    for (int i = 0; i < 4; ++i) replies += lf.Reply();
    std::printf("[smtp] sent %-64s -> %s\n", "bare-LF commands", Shown(replies, 90).c_str());
    ++inputs_tried;
    CHECK(replies.find("354 ") != std::string::npos);
    lf.Send("Subject: bare lf\n\nline\n.\n");
    std::string end = lf.Reply();
    std::printf("[smtp] sent %-64s -> %s\n", "bare-LF body and dot", Shown(end, 90).c_str());
    ++inputs_tried;
    CHECK(end.rfind("250 ", 0) == 0);
  }
  {
    RawSmtp piped(sink.smtp_port());
    piped.Reply();
    static constexpr char kPipelined[] =
        "NOOP\r\n\x00\xff junk\r\nVRFY\r\nRCPT TO:<x@y>\r\nHELO p.test\r\nQUIT\r\n";
    piped.Send(std::string(kPipelined, sizeof kPipelined - 1));  // with the NUL byte inside
    std::vector<std::string> expect = {"250", "500", "50", "503", "250", "221"};
    std::string replies;
    for (const std::string& code : expect) {
      std::string reply = piped.Reply();
      replies += reply;
      CHECK(reply.rfind(code, 0) == 0);
    }
    std::printf("[smtp] sent %-64s -> %s\n", "pipelined junk", Shown(replies, 90).c_str());
    ++inputs_tried;
    CHECK(piped.ClosedByServer(2000));
  }
  {
    RawSmtp cut(sink.smtp_port());
    cut.Reply();
    REQUIRE(cut.Code("HELO cut.test") == 250);
    REQUIRE(cut.Code("MAIL FROM:<a@x.test>") == 250);
    REQUIRE(cut.Code("RCPT TO:<b@y.test>") == 250);
    REQUIRE(cut.Code("DATA") == 354);
    cut.Send("Subject: cut\r\n\r\nalmost\r\n.");  // no CRLF after the dot: not finished
    cut.Close();
    std::printf("[smtp] sent %-64s -> (closed)\n", "DATA ending in '.' without CRLF, then close");
    ++inputs_tried;
  }
  CheckStillServes(sink, 2);  // the bare-LF message and this one; never the cut one
  nlohmann::json list = sink.GetJson("/messages");
  for (const auto& m : list) CHECK(m["subject"] != "cut");
}

TEST_CASE("idle connections beyond --max-connections get 421, others are served",
          "[hostile][smtp]") {
  constexpr int kMax = 5;
  MailSink sink({"--max-connections", std::to_string(kMax)});
  std::vector<std::unique_ptr<RawSmtp>> idle;
  // The start-up probe's connection may still hold a slot for a moment: retry a 421 briefly.
  for (int attempt = 0; attempt < 20 && static_cast<int>(idle.size()) < kMax; ++attempt) {
    auto client = std::make_unique<RawSmtp>(sink.smtp_port());
    if (client->Reply().rfind("220 ", 0) == 0) {
      idle.push_back(std::move(client));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  REQUIRE(static_cast<int>(idle.size()) == kMax);
  int refused = 0;
  for (int i = 0; i < 10; ++i) {
    RawSmtp extra(sink.smtp_port());
    std::string reply = extra.Reply();
    if (reply.rfind("421 ", 0) == 0) ++refused;
  }
  std::printf(
      "[smtp] %d idle sessions open (--max-connections %d); 10 more connections: %d got "
      "421\n",
      kMax, kMax, refused);
  inputs_tried += 10;
  CHECK(refused == 10);
  idle.pop_back();  // one slot frees up
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CheckStillServes(sink, 1);
  std::printf("[smtp] inputs tried so far: %d\n", inputs_tried);
}

}  // namespace
}  // namespace fib::test
