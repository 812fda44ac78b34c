// Unit tests of the SMTP state machine (SmtpSession) and its command parsing: no sockets.
#include "mailsink/smtp_session.h"

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "mailsink/flag_units.h"
#include "mailsink/smtp_command.h"

namespace fib {
namespace {

// Feeds `bytes`; returns the replies. Stops feeding while a message awaits its verdict.
std::string Send(SmtpSession& session, std::string_view bytes, size_t* consumed = nullptr) {
  size_t used = session.Feed(bytes);
  if (consumed) *consumed = used;
  return session.TakeReplies();
}

// Opens a session that has said EHLO.
SmtpSession Greeted(SmtpSessionOptions options = {}) {
  SmtpSession session(std::move(options));
  Send(session, "EHLO client.test\r\n");
  return session;
}

// Returns the reply codes in `replies`, one per final line ("250-..." continuation lines skipped).
std::vector<int> Codes(const std::string& replies) {
  std::vector<int> codes;
  size_t start = 0;
  while (start < replies.size()) {
    size_t end = replies.find("\r\n", start);
    if (replies[start + 3] == ' ') codes.push_back(std::stoi(replies.substr(start, 3)));
    start = end + 2;
  }
  return codes;
}

TEST_CASE("SmtpSession greets and advertises SIZE, 8BITMIME and PIPELINING on EHLO") {
  SmtpSession session(SmtpSessionOptions{.hostname = "sink.test", .max_message_bytes = 4096});
  CHECK(session.Greeting().rfind("220 sink.test ESMTP", 0) == 0);
  std::string reply = Send(session, "EHLO client.test\r\n");
  CHECK(reply.rfind("250-sink.test Hello client.test\r\n", 0) == 0);
  CHECK(reply.find("250-SIZE 4096\r\n") != std::string::npos);
  CHECK(reply.find("8BITMIME") != std::string::npos);
  CHECK(reply.find("PIPELINING") != std::string::npos);
  CHECK(Codes(reply) == std::vector<int>{250});
  CHECK(Send(session, "HELO other\r\n") == "250 sink.test\r\n");
}

TEST_CASE("SmtpSession happy path delivers a message with envelope and dot-unstuffed data") {
  SmtpSession session = Greeted();
  CHECK(Send(session, "MAIL FROM:<a@x.test>\r\n") == "250 2.1.0 Ok\r\n");
  CHECK(Send(session, "RCPT TO:<b@y.test>\r\n") == "250 2.1.5 Ok\r\n");
  CHECK(Send(session, "RCPT TO:<c@y.test>\r\n") == "250 2.1.5 Ok\r\n");
  CHECK(Codes(Send(session, "DATA\r\n")) == std::vector<int>{354});
  Send(session, "Subject: hi\r\n\r\n..leading dot\r\nnot the end\r\n");
  CHECK(Send(session, "..\r\n.\r\n").empty());
  REQUIRE(session.state() == SmtpSession::State::kAwaitingVerdict);
  SmtpEnvelopeMessage message = session.TakeMessage();
  CHECK(message.helo == "client.test");
  CHECK(message.mail_from == "a@x.test");
  CHECK(message.rcpt_to == std::vector<std::string>{"b@y.test", "c@y.test"});
  CHECK(message.data == "Subject: hi\r\n\r\n.leading dot\r\nnot the end\r\n.\r\n");
  session.FinishMessage(250, "2.0.0 Ok: queued as 1");
  CHECK(session.TakeReplies() == "250 2.0.0 Ok: queued as 1\r\n");
  CHECK(session.state() == SmtpSession::State::kReady);
}

TEST_CASE("SmtpSession stops feeding at a finished message and resumes with the rest") {
  SmtpSession session = Greeted();
  std::string stream =
      "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nfirst\r\n.\r\n"
      "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\nsecond\r\n.\r\nQUIT\r\n";
  size_t used = 0;
  CHECK(Codes(Send(session, stream, &used)) == std::vector<int>{250, 250, 354});
  CHECK(session.TakeMessage().data == "first\r\n");
  session.FinishMessage(451, "4.3.0 try later");
  std::string rest = stream.substr(used);
  CHECK(Codes(Send(session, rest, &used)) == std::vector<int>{451, 250, 250, 354});
  SmtpEnvelopeMessage second = session.TakeMessage();
  CHECK(second.mail_from == "c@x");
  CHECK(second.data == "second\r\n");
  session.FinishMessage(250, "2.0.0 Ok");
  CHECK(Codes(Send(session, rest.substr(used))) == std::vector<int>{250, 221});
  CHECK(session.closed());
}

TEST_CASE("SmtpSession gives the same result however the stream is split") {
  std::string stream =
      "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nline one\r\n..two\r\n.\r\n";
  SmtpSession session;
  std::string replies;
  for (char c : stream) replies += Send(session, std::string_view(&c, 1));
  REQUIRE(session.state() == SmtpSession::State::kAwaitingVerdict);
  CHECK(session.TakeMessage().data == "line one\r\n.two\r\n");
  CHECK(Codes(replies) == std::vector<int>{250, 250, 250, 354});
}

TEST_CASE("SmtpSession answers commands out of order with 503 and stays usable") {
  SmtpSession session;
  CHECK(Send(session, "MAIL FROM:<a@x>\r\n").rfind("503 5.5.1", 0) == 0);
  Send(session, "HELO c\r\n");
  CHECK(Send(session, "RCPT TO:<b@y>\r\n").rfind("503 5.5.1", 0) == 0);
  CHECK(Send(session, "DATA\r\n").rfind("503 5.5.1", 0) == 0);
  Send(session, "MAIL FROM:<a@x>\r\n");
  CHECK(Send(session, "DATA\r\n").rfind("503 5.5.1 Error: need RCPT", 0) == 0);
  CHECK(Send(session, "MAIL FROM:<a@x>\r\n").rfind("503 5.5.1 Error: nested MAIL", 0) == 0);
  CHECK(Send(session, "RCPT TO:<b@y>\r\n") == "250 2.1.5 Ok\r\n");
  CHECK(Codes(Send(session, "DATA\r\n")) == std::vector<int>{354});
}

TEST_CASE("SmtpSession answers unknown commands with 500 and unimplemented ones with 502") {
  SmtpSession session = Greeted();
  CHECK(Send(session, "FROBNICATE now\r\n").rfind("500 5.5.2", 0) == 0);
  CHECK(Send(session, "\r\n").rfind("500 5.5.2", 0) == 0);
  CHECK(Send(session, "EXPN staff\r\n").rfind("502 5.5.1", 0) == 0);
  CHECK(Send(session, "STARTTLS\r\n").rfind("502 5.5.1", 0) == 0);
  CHECK(Send(session, "VRFY someone\r\n").rfind("252 ", 0) == 0);
  CHECK(Send(session, "help\r\n").rfind("214 ", 0) == 0);
  CHECK(Send(session, "noop\r\n") == "250 2.0.0 Ok\r\n");
  CHECK(Send(session, "mail from:<a@x>\r\n") == "250 2.1.0 Ok\r\n");  // verbs are case-blind
}

TEST_CASE("SmtpSession answers bad syntax with 501 and bad parameters with 555") {
  SmtpSession session = Greeted();
  CHECK(Send(session, "HELO\r\n").rfind("501 5.5.4", 0) == 0);
  CHECK(Send(session, "MAIL TO:<a@x>\r\n").rfind("501 5.5.4", 0) == 0);
  CHECK(Send(session, "MAIL FROM:<a@x\r\n").rfind("501 5.5.4", 0) == 0);
  CHECK(Send(session, "MAIL FROM:<a b@x>\r\n").rfind("501 5.5.4", 0) == 0);
  CHECK(Send(session, "MAIL FROM:<a@x> SIZE=abc\r\n").rfind("501 5.5.4", 0) == 0);
  CHECK(Send(session, "MAIL FROM:<a@x> NOTIFY=NEVER\r\n").rfind("555 5.5.4", 0) == 0);
  CHECK(Send(session, "MAIL FROM:<> BODY=8BITMIME SIZE=100\r\n") == "250 2.1.0 Ok\r\n");
  CHECK(Send(session, "RCPT TO:<>\r\n").rfind("501 5.1.3", 0) == 0);
  CHECK(Send(session, "RCPT TO: <b@y>\r\n") == "250 2.1.5 Ok\r\n");  // lenient space
  CHECK(Send(session, "DATA now\r\n").rfind("501 5.5.4", 0) == 0);
  CHECK(Send(session, "QUIT now\r\n").rfind("501 5.5.4", 0) == 0);
  CHECK_FALSE(session.closed());
}

TEST_CASE("SmtpSession refuses an oversize message with 552 and the session lives on") {
  SmtpSession session = Greeted(SmtpSessionOptions{.max_message_bytes = 100});
  CHECK(Send(session, "MAIL FROM:<a@x> SIZE=101\r\n").rfind("552 5.3.4", 0) == 0);
  Send(session, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
  std::string line(48, 'x');
  std::string replies = Send(session, line + "\r\n" + line + "\r\n");  // 100 bytes: fits
  replies += Send(session, "y\r\n.\r\n");                              // 103 bytes: too big
  CHECK(replies.rfind("552 5.3.4", 0) == 0);
  CHECK(session.state() == SmtpSession::State::kReady);
  CHECK(session.messages_rejected() == 2);
  Send(session, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
  CHECK(Send(session, line + "\r\n" + line + "\r\n.\r\n").empty());
  CHECK(session.state() == SmtpSession::State::kAwaitingVerdict);
}

TEST_CASE("SmtpSession answers recipients beyond the limit with 452 and keeps the rest") {
  SmtpSession session = Greeted(SmtpSessionOptions{.max_recipients = 2});
  Send(session, "MAIL FROM:<a@x>\r\n");
  CHECK(Codes(Send(session, "RCPT TO:<1@y>\r\nRCPT TO:<2@y>\r\nRCPT TO:<3@y>\r\n")) ==
        std::vector<int>{250, 250, 452});
  Send(session, "DATA\r\nhi\r\n.\r\n");
  CHECK(session.TakeMessage().rcpt_to == std::vector<std::string>{"1@y", "2@y"});
}

TEST_CASE("SmtpSession answers an overlong command line with 500 without buffering it") {
  SmtpSession session = Greeted(SmtpSessionOptions{.max_command_line_bytes = 64});
  std::string reply = Send(session, "NOOP " + std::string(10000, 'a'));
  CHECK(reply.empty());  // nothing to say until the line ends
  CHECK(Send(session, std::string(10000, 'b') + "\r\n").rfind("500 5.5.2 Line too long", 0) == 0);
  CHECK(Send(session, "NOOP " + std::string(57, 'c') + "\r\n") == "250 2.0.0 Ok\r\n");  // 64
  CHECK(Send(session, "NOOP " + std::string(58, 'c') + "\r\n").rfind("500", 0) == 0);   // 65
}

TEST_CASE("SmtpSession refuses a message with an overlong text line after the final dot") {
  SmtpSession session = Greeted(SmtpSessionOptions{.max_text_line_bytes = 20});
  Send(session, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
  CHECK(Send(session, std::string(30, 'x') + "\r\nshort\r\n").empty());
  CHECK(Send(session, ".\r\n").rfind("552 5.6.0", 0) == 0);
  CHECK(session.state() == SmtpSession::State::kReady);
}

TEST_CASE("SmtpSession RSET drops the transaction but keeps the greeting") {
  SmtpSession session = Greeted();
  Send(session, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n");
  CHECK(Send(session, "RSET\r\n") == "250 2.0.0 Ok\r\n");
  CHECK(Send(session, "DATA\r\n").rfind("503", 0) == 0);
  CHECK(Send(session, "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nDATA\r\nbody\r\n.\r\n").find("354") !=
        std::string::npos);
  SmtpEnvelopeMessage message = session.TakeMessage();
  CHECK(message.mail_from == "c@x");
  CHECK(message.rcpt_to == std::vector<std::string>{"d@y"});
}

TEST_CASE("SmtpSession accepts bare LF line ends and QUIT closes") {
  SmtpSession session;
  CHECK(Codes(Send(session, "HELO c\nMAIL FROM:<a@x>\nRCPT TO:<b@y>\nDATA\nhi\n.\n")) ==
        std::vector<int>{250, 250, 250, 354});
  CHECK(session.TakeMessage().data == "hi\r\n");
  session.FinishMessage(250, "2.0.0 Ok");
  size_t used = 0;
  CHECK(Codes(Send(session, "QUIT\r\nNOOP\r\n", &used)) == std::vector<int>{250, 221});
  CHECK(used == 6);
  CHECK(session.closed());
}

TEST_CASE("SmtpSession counts only lines that move towards a message as progress") {
  SmtpSession session;
  Send(session, "EHLO client.test\r\n");
  uint64_t after_helo = session.progress_lines();
  CHECK(after_helo == 1);
  // What an idle client can repeat forever: none of it is progress.
  Send(session, "NOOP\r\nRSET\r\nHELP\r\nVRFY someone\r\nEHLO again\r\nBOGUS\r\nDATA\r\n");
  Send(session, "RCPT TO:<b@y.test>\r\nMAIL FROM:<bad\r\n" + std::string(2000, 'x') + "\r\n");
  CHECK(session.progress_lines() == after_helo);
  CHECK(session.lines_received() == 11);
  Send(session, "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nSubject: s\r\n\r\n");
  CHECK(session.progress_lines() == after_helo + 5);
  Send(session, ".\r\n");
  CHECK(session.progress_lines() == after_helo + 6);
}

TEST_CASE("ParseDurationMs and ParseByteSize take units and refuse bad values naming the flag") {
  constexpr int64_t kWeek = 7LL * 24 * 3600 * 1000;
  CHECK(*ParseDurationMs("10min", "--t", kWeek) == 600000);
  CHECK(*ParseDurationMs("1500ms", "--t", kWeek) == 1500);
  CHECK(*ParseDurationMs("90", "--t", kWeek) == 90000);
  CHECK(*ParseDurationMs("2h", "--t", kWeek) == 7200000);
  CHECK(*ParseDurationMs("1.5s", "--t", kWeek) == 1500);  // the units of every duration flag
  CHECK(*ParseDurationMs("10m", "--t", kWeek) == 600000);
  for (const char* bad :
       {"", "-1s", "1500us", "10 min", "5days", "5parsecs", "0", "169h", "99999999999999999999"}) {
    auto parsed = ParseDurationMs(bad, "--session-timeout", kWeek);
    INFO(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.message().find("--session-timeout") != std::string::npos);
  }
  CHECK(*ParseByteSize("256MiB", "--b") == 256LL << 20);
  CHECK(*ParseByteSize("4096", "--b") == 4096);
  CHECK(*ParseByteSize("1G", "--b") == 1LL << 30);
  CHECK(*ParseByteSize("10B", "--b") == 10);
  for (const char* bad : {"", "-5", "1.5MiB", "64MB", "9223372036854775807KiB", "MiB"}) {
    auto parsed = ParseByteSize(bad, "--max-store-bytes");
    INFO(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.message().find("--max-store-bytes") != std::string::npos);
  }
}

TEST_CASE("ParsePathArgument reads addresses, source routes and parameters") {
  auto plain = ParsePathArgument("FROM:<a@x.test> SIZE=10 body=8bitmime", "FROM");
  REQUIRE(plain.ok());
  CHECK(plain->address == "a@x.test");
  CHECK(plain->params ==
        std::vector<std::pair<std::string, std::string>>{{"SIZE", "10"}, {"BODY", "8bitmime"}});
  auto routed = ParsePathArgument("to:<@relay.test:b@y.test>", "TO");
  REQUIRE(routed.ok());
  CHECK(routed->address == "b@y.test");
  auto quoted = ParsePathArgument("TO:<\"odd >name\"@y.test>", "TO");
  REQUIRE(quoted.ok());
  CHECK(quoted->address == "\"odd >name\"@y.test");
  CHECK(ParsePathArgument("TO:bare@y.test", "TO")->address == "bare@y.test");
  CHECK_FALSE(ParsePathArgument("TO:", "TO").ok());
  CHECK_FALSE(ParsePathArgument("TO:<a@b>x", "TO").ok());
  CHECK_FALSE(ParsePathArgument("TO:<a\x01@b>", "TO").ok());
}

// --- AUTH (RFC 4954) and STARTTLS (RFC 3207) ---

constexpr char kAlicePlain[] = "AGFsaWNlAHMzY3JldA==";  // "\0alice\0s3cret"
constexpr char kAliceWrong[] = "AGFsaWNlAHdyb25n";      // "\0alice\0wrong"

SmtpSessionOptions AliceOnly(SmtpSessionOptions options = {}) {
  options.users = std::make_shared<const std::map<std::string, std::string>>(
      std::map<std::string, std::string>{{"alice", "s3cret"}});
  return options;
}

TEST_CASE("SmtpSession advertises AUTH PLAIN LOGIN and accepts any credentials by default") {
  SmtpSession session;
  std::string ehlo = Send(session, "EHLO client.test\r\n");
  CHECK(ehlo.find("250-AUTH PLAIN LOGIN\r\n") != std::string::npos);
  CHECK(ehlo.find("STARTTLS") == std::string::npos);                 // no TLS on this connection
  CHECK(Send(session, "AUTH PLAIN AGFueW9uZQBhbnl0aGluZw==\r\n") ==  // anyone / anything
        "235 2.7.0 Authentication successful\r\n");
  CHECK(session.authenticated());
  CHECK(Send(session, "AUTH PLAIN " + std::string(kAlicePlain) + "\r\n").rfind("503 5.5.1", 0) ==
        0);
  CHECK(Send(session, "MAIL FROM:<a@x>\r\n") == "250 2.1.0 Ok\r\n");
}

TEST_CASE("SmtpSession checks AUTH PLAIN and LOGIN against its users, 535 on a mismatch") {
  SmtpSession session = Greeted(AliceOnly());
  CHECK(Send(session, "AUTH PLAIN " + std::string(kAliceWrong) + "\r\n") ==
        "535 5.7.8 Authentication credentials invalid\r\n");
  CHECK(session.auth_failures() == 1);
  CHECK(Send(session, "AUTH LOGIN\r\n") == "334 VXNlcm5hbWU6\r\n");    // "Username:"
  CHECK(Send(session, "bWFsbG9yeQ==\r\n") == "334 UGFzc3dvcmQ6\r\n");  // mallory; "Password:"
  CHECK(Send(session, "czNjcmV0\r\n").rfind("535 5.7.8", 0) == 0);     // right password, wrong user
  CHECK_FALSE(session.authenticated());
  CHECK(Send(session, "AUTH PLAIN\r\n") == "334 \r\n");  // no initial response: empty challenge
  CHECK(Send(session, std::string(kAlicePlain) + "\r\n").rfind("235 2.7.0", 0) == 0);
  CHECK(session.authenticated());

  SmtpSession login = Greeted(AliceOnly());
  CHECK(Send(login, "auth login YWxpY2U=\r\n") == "334 UGFzc3dvcmQ6\r\n");  // initial user name
  CHECK(Send(login, "czNjcmV0\r\n").rfind("235 2.7.0", 0) == 0);
}

TEST_CASE("SmtpSession's AUTH refuses bad input and can be cancelled") {
  SmtpSession session = Greeted(AliceOnly());
  CHECK(Send(session, "AUTH\r\n").rfind("501 5.5.4", 0) == 0);
  CHECK(Send(session, "AUTH CRAM-MD5\r\n").rfind("504 5.5.4", 0) == 0);
  CHECK(Send(session, "AUTH PLAIN not*base64\r\n").rfind("501 5.5.2", 0) == 0);
  CHECK(Send(session, "AUTH PLAIN YWxpY2U=\r\n").rfind("501 5.5.2 Malformed PLAIN", 0) == 0);
  CHECK(Send(session, "AUTH LOGIN\r\n").rfind("334 ", 0) == 0);
  CHECK(Send(session, "*\r\n") == "501 5.0.0 Authentication cancelled\r\n");
  CHECK(Send(session, "AUTH PLAIN\r\n").rfind("334", 0) == 0);
  // An overlong response line ends the exchange; the session goes on with commands.
  CHECK(Send(session, std::string(2000, 'A') + "\r\n").rfind("500 5.5.6", 0) == 0);
  CHECK(Send(session, "NOOP\r\n") == "250 2.0.0 Ok\r\n");
  CHECK(Send(session, "MAIL FROM:<a@x>\r\n") == "250 2.1.0 Ok\r\n");
  CHECK(Send(session, "AUTH PLAIN " + std::string(kAlicePlain) + "\r\n").rfind("503", 0) == 0);
  SmtpSession fresh(AliceOnly());
  CHECK(Send(fresh, "AUTH PLAIN " + std::string(kAlicePlain) + "\r\n").rfind("503", 0) == 0);
}

TEST_CASE("SmtpSession with require_auth refuses MAIL before AUTH with 530") {
  SmtpSessionOptions options = AliceOnly();
  options.require_auth = true;
  SmtpSession session = Greeted(options);
  CHECK(Send(session, "MAIL FROM:<a@x>\r\n") == "530 5.7.0 Authentication required\r\n");
  Send(session, "AUTH PLAIN " + std::string(kAliceWrong) + "\r\n");
  CHECK(Send(session, "MAIL FROM:<a@x>\r\n").rfind("530 5.7.0", 0) == 0);
  Send(session, "AUTH PLAIN " + std::string(kAlicePlain) + "\r\n");
  CHECK(Send(session, "MAIL FROM:<a@x>\r\n") == "250 2.1.0 Ok\r\n");
}

TEST_CASE("SmtpSession's STARTTLS stops at its line and restarts the conversation after TLS") {
  SmtpSessionOptions options;
  options.starttls_offered = true;
  options.require_tls = true;
  SmtpSession session(options);
  std::string ehlo = Send(session, "EHLO client.test\r\n");
  CHECK(ehlo.find("250-STARTTLS\r\n") != std::string::npos);
  CHECK(ehlo.find("AUTH") == std::string::npos);  // no password offered in clear text
  CHECK(Send(session, "AUTH PLAIN " + std::string(kAlicePlain) + "\r\n") ==
        "530 5.7.0 Must issue a STARTTLS command first\r\n");
  CHECK(Send(session, "MAIL FROM:<a@x>\r\n").rfind("530 5.7.0 Must issue a STARTTLS", 0) == 0);
  CHECK(Send(session, "STARTTLS now\r\n").rfind("501 5.5.4", 0) == 0);
  // Pipelined commands after STARTTLS are not consumed: the connection must discard them.
  const std::string injected = "STARTTLS\r\nMAIL FROM:<evil@x>\r\n";
  size_t used = 0;
  CHECK(Send(session, injected, &used) == "220 2.0.0 Ready to start TLS\r\n");
  CHECK(used == std::string("STARTTLS\r\n").size());
  CHECK(session.state() == SmtpSession::State::kStartTls);
  CHECK(session.Feed("MAIL FROM:<evil@x>\r\n") == 0);
  session.TlsStarted();
  CHECK(session.tls_active());
  CHECK(session.state() == SmtpSession::State::kNeedHelo);  // EHLO forgotten (RFC 3207)
  CHECK(Send(session, "MAIL FROM:<a@x>\r\n").rfind("503 5.5.1", 0) == 0);
  ehlo = Send(session, "EHLO client.test\r\n");
  CHECK(ehlo.find("STARTTLS") == std::string::npos);
  CHECK(ehlo.find("250-AUTH PLAIN LOGIN\r\n") != std::string::npos);
  CHECK(Send(session, "STARTTLS\r\n").rfind("503 5.5.1 Error: TLS already active", 0) == 0);
  CHECK(Send(session, "AUTH PLAIN " + std::string(kAlicePlain) + "\r\n").rfind("235", 0) == 0);
  CHECK(Send(session, "MAIL FROM:<a@x>\r\n") == "250 2.1.0 Ok\r\n");
}

TEST_CASE("SmtpSession refuses STARTTLS before EHLO and inside a transaction") {
  SmtpSession session(SmtpSessionOptions{.starttls_offered = true});
  CHECK(Send(session, "STARTTLS\r\n").rfind("503 5.5.1 Error: send HELO/EHLO", 0) == 0);
  Send(session, "EHLO c\r\nMAIL FROM:<a@x>\r\n");
  CHECK(Send(session, "STARTTLS\r\n").rfind("503 5.5.1", 0) == 0);
}

TEST_CASE("DecodeBase64 decodes padded base64 and refuses anything else") {
  std::string out;
  CHECK(DecodeBase64("YWxpY2U=", &out));
  CHECK(out == "alice");
  CHECK(DecodeBase64("czNjcmV0", &out));
  CHECK(out == "s3cret");
  CHECK(DecodeBase64("YQ==", &out));
  CHECK(out == "a");
  CHECK(DecodeBase64("", &out));
  CHECK(out.empty());
  CHECK_FALSE(DecodeBase64("YWxpY2U", &out));
  CHECK_FALSE(DecodeBase64("YW=pY2U=", &out));
  CHECK_FALSE(DecodeBase64("Y===", &out));
}

}  // namespace
}  // namespace fib
