// Integration tests of fibtastic-mailsink as a user meets it: our SmtpMailer and the curl
// command line send real mail, the HTTP inbox shows it; command-line behaviour (--help, bad
// flags, busy ports, port 0, SIGTERM). Raw-socket SMTP cases are in
// mailsink_smtp_integration_test.cc.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "common/smtp/smtp_mailer.h"
#include "tests/support/mail_sink.h"
#include "tests/support/ports.h"
#include "tests/support/raw_smtp.h"

namespace fib::test {
namespace {

Email SampleEmail(const std::string& request_id) {
  Email email;
  email.from = "fibmaster@example.com";
  email.to = "student@example.com";
  email.subject = "Your Fib Sequence!";
  email.html_body =
      "<html><body>\n<p>0, 1, 1, 2, 3</p>\n.a line starting with a dot\n</body></html>\n";
  email.headers["X-Request-Id"] = request_id;
  email.headers["X-Job-Id"] = "job-" + request_id;
  return email;
}

// Opens a transaction on a greeted raw session, up to the 354 after DATA.
void StartData(RawSmtp& client) {
  REQUIRE(client.Code("MAIL FROM:<a@x.test>") == 250);
  REQUIRE(client.Code("RCPT TO:<b@y.test>") == 250);
  REQUIRE(client.Code("DATA") == 354);
}

TEST_CASE("SmtpMailer's email arrives in the inbox with envelope, headers and body") {
  MailSink sink;
  SmtpMailer mailer(SmtpMailerOptions{.url = sink.smtp_url()});
  Status sent = mailer.Send(SampleEmail("req-123"));
  INFO(sent.message() << "\n" << sink.Log());
  REQUIRE(sent.ok());
  nlohmann::json list = sink.WaitForMessages(1);
  REQUIRE(list.size() == 1);
  const nlohmann::json& m = list[0];
  CHECK(m["from"] == "fibmaster@example.com");
  CHECK(m["to"] == nlohmann::json::array({"student@example.com"}));
  CHECK(m["subject"] == "Your Fib Sequence!");
  CHECK(m["request_id"] == "req-123");
  CHECK(m["headers"]["X-Request-Id"] == "req-123");
  CHECK(m["headers"]["X-Job-Id"] == "job-req-123");
  CHECK(m["headers"].contains("Message-ID"));
  int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  CHECK(m["received_at"].is_number_integer());
  CHECK(m["received_at"].get<int64_t>() <= now_us);
  CHECK(m["received_at"].get<int64_t>() > now_us - 10'000'000);
  CHECK(m["received_at"].get<int64_t>() >= m["data_end_at"].get<int64_t>());

  std::string id = std::to_string(m["id"].get<int64_t>());
  nlohmann::json detail = sink.GetJson("/messages/" + id);
  CHECK(detail["content_type"] == "text/html");
  std::string body = detail["body"];
  CHECK(body.find("<p>0, 1, 1, 2, 3</p>") != std::string::npos);
  // libcurl dot-stuffed this line; the sink must have removed the extra dot again.
  CHECK(body.find("\r\n.a line starting with a dot\r\n") != std::string::npos);
  auto eml = sink.Get("/messages/" + id + ".eml");
  REQUIRE(eml);
  CHECK(eml->get_header_value("Content-Type") == "message/rfc822");
  CHECK(eml->body.find("X-Request-Id: req-123\r\n") != std::string::npos);
  CHECK(eml->body.size() == m["size"].get<size_t>());
  auto page = sink.Get("/");
  REQUIRE(page);
  CHECK(page->body.find("Your Fib Sequence!") != std::string::npos);
  CHECK(page->body.find("/messages/" + id + "/view") != std::string::npos);
  auto read = sink.Get("/messages/" + id + "/view");
  REQUIRE(read);
  CHECK(read->body.find("&lt;p&gt;0, 1, 1, 2, 3&lt;/p&gt;") != std::string::npos);
  nlohmann::json missing = sink.GetJson("/messages/999", 404);
  CHECK(missing["error"].get<std::string>().find("999") != std::string::npos);
}

TEST_CASE("SmtpMailer reuses one SMTP connection for several messages") {
  MailSink sink;
  // WaitForPort connected once; the sink counts that probe when it accepts it, which on a busy
  // machine can come after this line: wait until it is counted, so it is not taken for a second
  // SMTP connection of the mailer's.
  int64_t before = 0;
  for (int i = 0; i < 200 && before < 1; ++i) {
    before = sink.GetJson("/stats")["connections_total"];
    if (before < 1) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(before >= 1);
  SmtpMailer mailer(SmtpMailerOptions{.url = sink.smtp_url()});
  for (int i = 0; i < 3; ++i) REQUIRE(mailer.Send(SampleEmail(fmt::format("r{}", i))).ok());
  REQUIRE(sink.WaitForMessages(3).size() == 3);
  nlohmann::json stats = sink.GetJson("/stats");
  CHECK(stats["connections_total"].get<int64_t>() - before == 1);
  CHECK(stats["received"] == 3);
}

TEST_CASE("The curl command line can send to the sink") {
  MailSink sink;
  std::string path = "/tmp/fibtastic-mailsink-curl-" + std::to_string(getpid()) + ".eml";
  {
    std::ofstream file(path, std::ios::binary);
    file << "From: cli@example.com\r\nTo: you@example.com\r\nSubject: "
            "=?UTF-8?Q?from_curl_=E2=9C=93?="
            "\r\nX-Request-Id: curl-1\r\n\r\nfirst line\r\n.\r\n..two dots\r\nlast\r\n";
  }
  std::string output;
  int code = RunCommand(
      {"curl", "-sS", "--max-time", "10", sink.smtp_url(), "--mail-from", "cli@example.com",
       "--mail-rcpt", "you@example.com", "--mail-rcpt", "other@example.com", "--upload-file", path},
      &output);
  unlink(path.c_str());
  INFO(output);
  REQUIRE(code == 0);
  nlohmann::json list = sink.WaitForMessages(1);
  REQUIRE(list.size() == 1);
  CHECK(list[0]["to"] == nlohmann::json::array({"you@example.com", "other@example.com"}));
  CHECK(list[0]["subject"] == "from curl \xE2\x9C\x93");
  CHECK(list[0]["request_id"] == "curl-1");
  nlohmann::json detail = sink.GetJson("/messages/" + std::to_string(list[0]["id"].get<int>()));
  CHECK(detail["body"] == "first line\r\n.\r\n..two dots\r\nlast\r\n");
}

TEST_CASE("--fail-rate 1 makes SmtpMailer fail with a 451 that names the server") {
  MailSink sink({"--fail-rate", "1", "--seed", "7"});
  SmtpMailer mailer(SmtpMailerOptions{.url = sink.smtp_url()});
  Status sent = mailer.Send(SampleEmail("fail-1"));
  REQUIRE_FALSE(sent.ok());
  CHECK(sent.message().find(sink.smtp_url()) != std::string::npos);
  CHECK(sent.message().find("451") != std::string::npos);
  nlohmann::json stats = sink.GetJson("/stats");
  CHECK(stats["failed_451"] == 1);
  CHECK(stats["received"] == 0);
  CHECK(sink.GetJson("/messages").empty());
}

TEST_CASE("DELETE /messages clears the inbox; ids keep growing") {
  MailSink sink;
  SmtpMailer mailer(SmtpMailerOptions{.url = sink.smtp_url()});
  REQUIRE(mailer.Send(SampleEmail("a")).ok());
  REQUIRE(mailer.Send(SampleEmail("b")).ok());
  REQUIRE(sink.WaitForMessages(2).size() == 2);
  auto deleted = sink.Delete("/messages");
  REQUIRE(deleted);
  CHECK(nlohmann::json::parse(deleted->body)["deleted"] == 2);
  CHECK(sink.GetJson("/messages").empty());
  sink.GetJson("/messages/1", 404);
  REQUIRE(mailer.Send(SampleEmail("c")).ok());
  nlohmann::json list = sink.WaitForMessages(1);
  REQUIRE(list.size() == 1);
  CHECK(list[0]["id"] == 3);
}

TEST_CASE("--max-messages keeps the newest in a ring and /stats counts the dropped") {
  MailSink sink({"--max-messages", "3"});
  SmtpMailer mailer(SmtpMailerOptions{.url = sink.smtp_url()});
  for (int i = 1; i <= 5; ++i) REQUIRE(mailer.Send(SampleEmail(fmt::format("ring-{}", i))).ok());
  nlohmann::json list = sink.GetJson("/messages");
  REQUIRE(list.size() == 3);
  CHECK(list[0]["request_id"] == "ring-3");
  CHECK(list[2]["request_id"] == "ring-5");
  nlohmann::json page = sink.GetJson("/messages?since_id=4");
  REQUIRE(page.size() == 1);
  CHECK(page[0]["id"] == 5);
  CHECK(sink.GetJson("/messages?since_id=0&limit=1")[0]["id"] == 3);
  sink.GetJson("/messages?since_id=x", 400);
  nlohmann::json stats = sink.GetJson("/stats");
  CHECK(stats["dropped"] == 2);
  CHECK(stats["stored"] == 3);
  CHECK(stats["received"] == 5);
}

TEST_CASE("--max-store-bytes bounds the inbox's memory; the oldest are dropped and counted") {
  MailSink sink({"--max-store-bytes", "2MiB", "--max-message-bytes", "1048576"});
  RawSmtp client(sink.smtp_port());
  client.Reply();
  REQUIRE(client.Code("EHLO store.test") == 250);
  std::string body;
  for (int i = 0; i < 2500; ++i) body += std::string(98, 'x') + "\r\n";  // ~250 KB
  for (int i = 1; i <= 30; ++i) {
    StartData(client);
    REQUIRE(client.Code(fmt::format("Subject: big {}\r\nX-Request-Id: big-{}\r\n\r\n{}.", i, i,
                                    body)) == 250);
  }
  nlohmann::json stats = sink.GetJson("/stats");
  std::printf("[mailsink] 30 x 250 KB, --max-store-bytes 2MiB: stored %d (%d bytes), dropped %d\n",
              stats["stored"].get<int>(), stats["stored_bytes"].get<int>(),
              stats["dropped"].get<int>());
  CHECK(stats["max_store_bytes"] == 2 << 20);
  CHECK(stats["stored_bytes"].get<int64_t>() <= 2 << 20);
  CHECK(stats["stored"].get<int>() >= 6);  // not kept twice: ~8 of 250 KB fit in 2 MiB
  CHECK(stats["stored"].get<int>() <= 8);
  CHECK(stats["dropped"] == 30 - stats["stored"].get<int>());
  CHECK(stats["received"] == 30);
  nlohmann::json list = sink.Messages();
  REQUIRE_FALSE(list.empty());
  CHECK(list.back()["request_id"] == "big-30");
  auto page = sink.Get("/");
  REQUIRE(page);
  CHECK(page->body.find("older dropped") != std::string::npos);
  // A message that alone needs more than the cap is refused at the final dot.
  MailSink tiny({"--max-store-bytes", "300KiB", "--max-message-bytes", "307200"});
  RawSmtp small(tiny.smtp_port());
  small.Reply();
  REQUIRE(small.Code("EHLO store.test") == 250);
  StartData(small);
  std::string huge;
  // 307,020 bytes: under --max-message-bytes, but with its parsed headers and summary the
  // message needs more than the 307,200 bytes the store may hold.
  for (int i = 0; i < 3070; ++i) huge += std::string(98, 'y') + "\r\n";
  std::string reply = small.Command("Subject: too big\r\n\r\n" + huge + ".");
  CHECK(reply.rfind("552 5.3.4", 0) == 0);
  CHECK(reply.find("--max-store-bytes") != std::string::npos);
  CHECK(tiny.GetJson("/stats")["rejected"] == 1);
}

TEST_CASE("/messages with since_id = INT64_MAX lists nothing (no overflow)") {
  MailSink sink;
  SmtpMailer mailer(SmtpMailerOptions{.url = sink.smtp_url()});
  REQUIRE(mailer.Send(SampleEmail("one")).ok());
  REQUIRE(sink.WaitForMessages(1).size() == 1);
  CHECK(sink.GetJson("/messages?since_id=9223372036854775807").empty());
  CHECK(sink.GetJson("/messages?since_id=9223372036854775806&limit=9223372036854775807").empty());
  CHECK(sink.GetJson("/messages?limit=9223372036854775807").size() == 1);
}

TEST_CASE("--help exits 0 and lists every flag; a bad flag or value exits 2") {
  std::string output;
  REQUIRE(RunCommand({BinPath("fibtastic-mailsink"), "--help"}, &output) == 0);
  for (const char* flag : {"--bind", "--smtp-port", "--http-port", "--max-message-bytes",
                           "--max-recipients", "--max-messages", "--delay-ms", "--fail-rate",
                           "--seed", "--idle-timeout-ms", "--max-connections", "--max-store-bytes",
                           "--session-timeout", "--max-connections-per-client"}) {
    CHECK(output.find(flag) != std::string::npos);
  }
  CHECK(output.find("(default: 1025)") != std::string::npos);
  CHECK(output.find("(default: '256MiB')") != std::string::npos);
  CHECK(output.find("(default: '10min')") != std::string::npos);
  CHECK(output.find("(default: 128)") != std::string::npos);
  CHECK(RunCommand({BinPath("fibtastic-mailsink"), "--no-such-flag"}, &output) == 2);
  CHECK(output.find("--no-such-flag") != std::string::npos);
  const std::vector<std::vector<std::string>> bad = {
      {"--fail-rate", "1.5"},
      {"--max-store-bytes", "-1"},
      {"--max-store-bytes", "12parsecs"},
      {"--max-store-bytes", "1KiB"},  // below --max-message-bytes
      {"--session-timeout", "0"},
      {"--session-timeout", "ten"},
      {"--session-timeout", "1000h"},
      {"--idle-timeout-ms", "0"},
      {"--idle-timeout-ms", "9223372036854775807"},
      {"--delay-ms", "9223372036854775807"},
      {"--delay-ms", "-1"},
      {"--max-connections-per-client", "0"},
      {"--max-connections", "99999999999"},
      {"--smtp-port", "70000"},
  };
  for (const auto& args : bad) {
    std::vector<std::string> argv = {BinPath("fibtastic-mailsink")};
    argv.insert(argv.end(), args.begin(), args.end());
    INFO(args[0] << " " << args[1] << ": " << output);
    CHECK(RunCommand(argv, &output) == 2);
    CHECK(output.find(args[0]) != std::string::npos);
  }
}

TEST_CASE("A busy port is a one-line error naming the address, exit 1") {
  MailSink first;
  std::string output;
  int code = RunCommand({BinPath("fibtastic-mailsink"), "--smtp-port",
                         std::to_string(first.smtp_port()), "--http-port", "0"},
                        &output);
  CHECK(code == 1);
  CHECK(output.find("127.0.0.1:" + std::to_string(first.smtp_port())) != std::string::npos);
  CHECK(std::count(output.begin(), output.end(), '\n') == 1);
  code = RunCommand({BinPath("fibtastic-mailsink"), "--smtp-port", "0", "--http-port",
                     std::to_string(first.http_port())},
                    &output);
  CHECK(code == 1);
  CHECK(output.find("127.0.0.1:" + std::to_string(first.http_port())) != std::string::npos);
}

TEST_CASE("Port 0 picks free ports, logged at start-up; SIGTERM exits 0 and frees them") {
  Subprocess sink({BinPath("fibtastic-mailsink"), "--smtp-port", "0", "--http-port", "0"});
  std::smatch match;
  std::regex pattern(
      R"(fibtastic-mailsink: SMTP on 127\.0\.0\.1:(\d+), inbox on http://127\.0\.0\.1:(\d+))");
  std::string log;
  for (int i = 0; i < 500 && !std::regex_search(log, match, pattern); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    log = sink.Log();
  }
  INFO(log);
  REQUIRE(match.size() == 3);
  int smtp_port = std::stoi(match[1]);
  int http_port = std::stoi(match[2]);
  {
    RawSmtp client(smtp_port);
    CHECK(client.Reply().rfind("220 ", 0) == 0);
    CHECK(client.Code("EHLO test") == 250);
    httplib::Client http("127.0.0.1", http_port);
    auto stats = http.Get("/stats");
    REQUIRE(stats);
    CHECK(stats->status == 200);
    // An open session must not hold up shutdown: it is told 421 and closed.
    auto start = std::chrono::steady_clock::now();
    sink.Signal(SIGTERM);
    CHECK(client.Reply().rfind("421 ", 0) == 0);
    CHECK(sink.Wait(5000) == 0);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  }
  CHECK_FALSE(PortOpen(smtp_port));
  CHECK_FALSE(PortOpen(http_port));
}

}  // namespace
}  // namespace fib::test

namespace fib::test {
namespace {

TEST_CASE(
    "SmtpMailer drops a connection whose send failed, so a late reply never answers the "
    "next send") {
  // A provider slower than the mailer's timeout accepts the message after the mailer gave up and
  // writes its 250 to that connection. Reused, the connection would hand that 250 to the next
  // send's first command, and that send would fail out of step ("DATA failed: 250"); across a
  // network partition the same happens when the kernel delivers the rest of the message late.
  MailSink sink({"--delay-ms", "600"});
  SmtpMailer mailer(SmtpMailerOptions{.url = sink.smtp_url(), .timeout_ms = 200});
  Status first = mailer.Send(SampleEmail("late-1"));
  REQUIRE_FALSE(first.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(800));  // the late 250 is written now
  sink.SetChaos(nlohmann::json::object());                      // normal service
  Status second = mailer.Send(SampleEmail("next-2"));
  INFO(second.message() << "\n" << sink.Log());
  CHECK(second.ok());
}

}  // namespace
}  // namespace fib::test
