// Integration tests of the mail sink as the lesson's provider (port 587 settings: STARTTLS,
// AUTH PLAIN, user name and password), spoken to by real clients: the curl command line, Ruby's
// Net::SMTP configured as ActionMailer does, Python's smtplib, and our SmtpMailer. Also the
// attacks: plain-text AUTH under --require-tls, commands injected after STARTTLS, a client that
// never finishes the handshake.
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "common/smtp/smtp_mailer.h"
#include "tests/support/mail_sink.h"
#include "tests/support/ports.h"
#include "tests/support/raw_smtp.h"
#include "tests/support/subprocess.h"
#include "tests/support/tls_sink_files.h"

namespace fib::test {
namespace {

constexpr char kMessage[] = "From: a@x.test\r\nTo: b@y.test\r\nSubject: over TLS\r\n\r\nhello\r\n";

// Runs a client program to its end (at most 20 s); returns its exit code, its output in `log`.
int RunClient(std::vector<std::string> argv, std::string* log) {
  Subprocess client(std::move(argv));
  int code = client.Wait(20000);
  *log = client.Log();
  return code;
}

// curl's SMTP upload of kMessage to `url` with `extra` options (e.g. --ssl-reqd, --user).
int Curl(const std::string& url, std::vector<std::string> extra, std::string* log) {
  static const std::string file = [] {
    std::string path = "/tmp/fib-tls-message-" + std::to_string(getpid()) + ".eml";
    std::ofstream(path) << kMessage;
    return path;
  }();
  std::vector<std::string> argv = {"curl",     "-sS",           "-v",       "--max-time",
                                   "10",       "--mail-from",   "a@x.test", "--mail-rcpt",
                                   "b@y.test", "--upload-file", file};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url);
  return RunClient(argv, log);
}

// Sends on a thread of its own: SmtpMailer keeps a libcurl handle (and its connection) per
// thread, and each mailer here must make its own connection, as in a process of its own.
Status SendOnNewThread(SmtpMailerOptions options, const Email& email) {
  Status status = Status::Ok();
  std::thread([&] { status = SmtpMailer(std::move(options)).Send(email); }).join();
  return status;
}

// Waits up to 5 s for `text` in the sink's log (it logs just after opening its ports).
bool SinkLogged(const MailSink& sink, const std::string& text) {
  for (int i = 0; i < 100 && sink.Log().find(text) == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return sink.Log().find(text) != std::string::npos;
}

TEST_CASE("curl --ssl-reqd --user delivers through STARTTLS and AUTH; a wrong password gets 535",
          "[mailsink][tls]") {
  TlsSinkFiles files;
  MailSink sink(files.StrictSinkFlags());
  std::string log;
  std::string user = std::string(kLessonSmtpUser) + ":" + kLessonSmtpPassword;
  INFO(sink.Log());
  CHECK(Curl(sink.smtp_url(), {"--ssl-reqd", "--cacert", files.cert(), "--user", user}, &log) == 0);
  INFO(log);
  CHECK(sink.WaitForMessages(1).size() == 1);
  CHECK(Curl(sink.smtp_url(), {"--ssl-reqd", "--cacert", files.cert(), "--user", "fibmaster:nope"},
             &log) == 67);  // CURLE_LOGIN_DENIED
  CHECK(log.find("535 5.7.8") != std::string::npos);
  // No TLS: curl sends no password (AUTH is not even advertised) and MAIL is refused.
  CHECK(Curl(sink.smtp_url(), {"--user", user}, &log) == 55);
  CHECK(log.find("530 5.7.0 Must issue a STARTTLS command first") != std::string::npos);
  nlohmann::json stats = sink.Stats();
  CHECK(stats["received"] == 1);
  CHECK(stats["auth_failures"] == 1);
  CHECK(sink.Log().find(kLessonSmtpPassword) == std::string::npos);
}

TEST_CASE("--require-tls refuses AUTH and MAIL in clear text; --require-auth refuses MAIL",
          "[mailsink][tls]") {
  TlsSinkFiles files;
  MailSink sink(files.StrictSinkFlags());
  RawSmtp client(sink.smtp_port());
  REQUIRE(client.Reply().rfind("220 ", 0) == 0);
  std::string ehlo = client.Command("EHLO client.test");
  CHECK(ehlo.find("STARTTLS") != std::string::npos);
  CHECK(ehlo.find("AUTH") == std::string::npos);
  // "\0fibmaster\0Lesson-pw-9d27c1", which must never be accepted in clear text.
  CHECK(client.Command("AUTH PLAIN AGZpYm1hc3RlcgBMZXNzb24tcHctOWQyN2Mx") ==
        "530 5.7.0 Must issue a STARTTLS command first\r\n");
  CHECK(client.Code("MAIL FROM:<a@x.test>") == 530);

  MailSink auth_only({"--require-auth"});
  RawSmtp plain(auth_only.smtp_port());
  plain.Reply();
  CHECK(plain.Command("EHLO c").find("250-AUTH PLAIN LOGIN") != std::string::npos);
  CHECK(plain.Command("MAIL FROM:<a@x.test>") == "530 5.7.0 Authentication required\r\n");
  CHECK(plain.Code("AUTH PLAIN AGFueQBhbnk=") == 235);  // any user and password by default
  CHECK(plain.Code("MAIL FROM:<a@x.test>") == 250);
}

TEST_CASE("curl --insecure delivers over implicit TLS (SMTPS) to a self-signed sink",
          "[mailsink][tls]") {
  int smtps_port = FreePort();
  MailSink sink({"--smtps-port", std::to_string(smtps_port), "--require-tls"});
  REQUIRE(WaitForPort(smtps_port));
  CHECK(SinkLogged(sink, "self-signed (generated at start) certificate, SHA-256 fingerprint"));
  std::string log;
  CHECK(Curl("smtps://127.0.0.1:" + std::to_string(smtps_port), {"--insecure", "--user", "u:p"},
             &log) == 0);
  INFO(log);
  CHECK(Curl("smtps://127.0.0.1:" + std::to_string(smtps_port), {}, &log) == 60);  // unverified
  CHECK(sink.WaitForMessages(1).size() == 1);
}

TEST_CASE("Ruby's Net::SMTP with ActionMailer's production settings delivers",
          "[mailsink][tls][interop]") {
  TlsSinkFiles files;
  MailSink sink(files.StrictSinkFlags());
  // What ActionMailer's smtp delivery does with address, port, domain, user_name, password,
  // authentication: :plain, enable_starttls_auto: true (and ca_file for this certificate).
  std::string script = R"(
    require "net/smtp"
    require "openssl"
    address, port, ca_file, user, password = ARGV
    context = OpenSSL::SSL::SSLContext.new
    context.set_params(verify_mode: OpenSSL::SSL::VERIFY_PEER, ca_file: ca_file)
    smtp = Net::SMTP.new(address, Integer(port))
    smtp.enable_starttls_auto(context)
    smtp.start("fibtastic.example", user, password, :plain) do |s|
      s.send_message("Subject: from ruby\r\n\r\nhi\r\n", "a@x.test", "b@y.test")
    end
    puts "sent"
  )";
  std::string log;
  CHECK(RunClient({"ruby", "-e", script, "localhost", std::to_string(sink.smtp_port()),
                   files.cert(), kLessonSmtpUser, kLessonSmtpPassword},
                  &log) == 0);
  INFO(log << sink.Log());
  CHECK(sink.WaitForMessages(1).size() == 1);
  CHECK(RunClient({"ruby", "-e", script, "localhost", std::to_string(sink.smtp_port()),
                   files.cert(), kLessonSmtpUser, "wrong"},
                  &log) != 0);
  CHECK(log.find("535") != std::string::npos);  // Net::SMTPAuthenticationError
  CHECK(sink.Stats()["received"] == 1);
}

TEST_CASE("Python's smtplib starttls() and login() deliver; the sink forgets EHLO after TLS",
          "[mailsink][tls][interop]") {
  TlsSinkFiles files;
  MailSink sink(files.StrictSinkFlags());
  std::string script = R"(
import smtplib, ssl, sys
port, ca_file, user, password = sys.argv[1:]
s = smtplib.SMTP("127.0.0.1", int(port), timeout=10)
s.ehlo()
assert s.has_extn("starttls") and not s.has_extn("auth")
s.starttls(context=ssl.create_default_context(cafile=ca_file))
s.ehlo()
assert not s.has_extn("starttls") and s.has_extn("auth")
s.login(user, password)
s.sendmail("a@x.test", ["b@y.test"], "Subject: from python\r\n\r\nhi\r\n")
s.quit()
print("sent")
)";
  std::string log;
  CHECK(RunClient({"/usr/bin/python3", "-c", script, std::to_string(sink.smtp_port()), files.cert(),
                   kLessonSmtpUser, kLessonSmtpPassword},
                  &log) == 0);
  INFO(log << sink.Log());
  CHECK(sink.WaitForMessages(1).size() == 1);
}

TEST_CASE("commands pipelined after STARTTLS in clear text are discarded, never run under TLS",
          "[mailsink][tls]") {
  MailSink sink({"--tls"});
  // The client sends STARTTLS and an injected command in one packet (CVE-2011-0411). A vulnerable
  // server would answer the injected EHLO inside the TLS session, ahead of the client's own.
  std::string script = R"(
import socket, ssl, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
def reply(sock):
    data = b""
    while not any(l[3:4] == b" " for l in data.split(b"\r\n") if len(l) > 3):
        chunk = sock.recv(4096)
        if not chunk: break
        data += chunk
    return data
reply(s)
s.sendall(b"EHLO client\r\n"); reply(s)
s.sendall(b"STARTTLS\r\nEHLO injected\r\n")
assert reply(s).startswith(b"220 2.0.0")
t = ssl._create_unverified_context().wrap_socket(s)
t.sendall(b"NOOP\r\n")
print(reply(t).decode().strip())
)";
  std::string log;
  CHECK(RunClient({"/usr/bin/python3", "-c", script, std::to_string(sink.smtp_port())}, &log) == 0);
  INFO(log);
  CHECK(log.find("250 2.0.0 Ok") != std::string::npos);
  CHECK(log.find("injected") == std::string::npos);
  CHECK(sink.Stats()["starttls_injections"] == 1);
}

TEST_CASE("a client that never finishes the TLS handshake is dropped at the idle timeout",
          "[mailsink][tls]") {
  MailSink sink({"--tls", "--idle-timeout-ms", "300"});
  RawSmtp client(sink.smtp_port());
  client.Reply();
  client.Command("EHLO c");
  REQUIRE(client.Code("STARTTLS") == 220);
  client.Send("\x16\x03\x01");  // the start of a ClientHello, then silence
  CHECK(client.ClosedByServer(3000));
  CHECK(sink.Stats()["tls_handshake_failures"] == 1);
}

TEST_CASE("SmtpMailer sends with the lesson's settings; errors name the server, never the password",
          "[mailsink][tls][mailer]") {
  TlsSinkFiles files;
  MailSink sink(files.StrictSinkFlags());
  Email email{
      .from = "a@x.test", .to = "b@y.test", .subject = "s", .html_body = "<p>x</p>", .headers = {}};
  Status sent =
      SendOnNewThread({.url = TlsSinkFiles::Url(sink.smtp_port()), .ca_file = files.cert()}, email);
  INFO(sent.message());
  CHECK(sent.ok());
  Status refused = SendOnNewThread(
      {.url = TlsSinkFiles::Url(sink.smtp_port(), "Wrong-pw-77"), .tls_insecure = true}, email);
  CHECK_THAT(refused.message(), Catch::Contains("smtp://fibmaster:***@127.0.0.1:") &&
                                    Catch::Contains("535 5.7.8") &&
                                    !Catch::Contains("Wrong-pw-77"));
  CHECK_THAT(SendOnNewThread({.url = TlsSinkFiles::Url(sink.smtp_port())}, email).message(),
             Catch::Contains("--smtp-ca-file"));
  // A sink without TLS: the password is not sent in clear text, unless ?tls=none says so.
  MailSink plain;
  CHECK_THAT(SendOnNewThread({.url = TlsSinkFiles::Url(plain.smtp_port())}, email).message(),
             Catch::Contains("offers no STARTTLS"));
  CHECK(SendOnNewThread({.url = TlsSinkFiles::Url(plain.smtp_port()) + "?tls=none"}, email).ok());
  CHECK_FALSE(CheckSmtpUrl("smtp://h:25?tls=maybe").ok());
  CHECK(sink.WaitForMessages(1).size() == 1);
}

// A provider that quotes each command back in its reply, as some relays and proxies do in their
// errors ("535 ... for AUTH PLAIN AGZpYm1h..."): answers one session, then closes.
class EchoingProvider {
 public:
  EchoingProvider() {
    listen_fd_ = ListenLoopback(&port_);
    REQUIRE(listen_fd_ >= 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~EchoingProvider() {
    shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    close(listen_fd_);
  }
  int port() const { return port_; }

 private:
  void Serve() {
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    timeval timeout{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    Send(fd, "220 echo ESMTP\r\n");
    std::string pending;
    char buffer[4096];
    for (;;) {
      ssize_t n = recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      pending.append(buffer, static_cast<size_t>(n));
      for (size_t end; (end = pending.find("\r\n")) != std::string::npos;) {
        std::string line = pending.substr(0, end);
        pending.erase(0, end + 2);
        if (line.rfind("EHLO", 0) == 0) {
          Send(fd, "250-echo\r\n250 AUTH PLAIN LOGIN\r\n");
        } else if (line == "AUTH PLAIN" || line == "AUTH LOGIN") {
          Send(fd, "334 \r\n");  // an empty challenge: the client sends its credentials next
        } else if (line.rfind("QUIT", 0) == 0) {
          Send(fd, "221 bye\r\n");
        } else {
          Send(fd, "535 5.7.8 Authentication failed for " + line + "\r\n");
        }
      }
    }
    close(fd);
  }
  static void Send(int fd, const std::string& text) {
    ssize_t ignored = send(fd, text.data(), text.size(), MSG_NOSIGNAL);
    (void)ignored;
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST_CASE("SmtpMailer never copies a provider's reply to AUTH, which may quote the credentials",
          "[mailsink][mailer][secrets]") {
  EchoingProvider provider;
  const std::string url =
      "smtp://fibmaster:Echoed-pw-93@127.0.0.1:" + std::to_string(provider.port()) + "?tls=none";
  Email email{
      .from = "a@x.test", .to = "b@y.test", .subject = "s", .html_body = "x", .headers = {}};
  Status refused = SendOnNewThread({.url = url}, email);
  INFO(refused.message());
  CHECK_FALSE(refused.ok());
  CHECK_THAT(refused.message(), Catch::Contains("535"));
  // AUTH PLAIN's response is base64("\0fibmaster\0Echoed-pw-93"); LOGIN's is base64 of each.
  for (const char* secret :
       {"Echoed-pw-93", "AGZpYm1hc3RlcgBFY2hvZWQtcHctOTM=", "RWNob2VkLXB3LTkz"}) {
    CHECK_THAT(refused.message(), !Catch::Contains(secret));
  }
}

}  // namespace
}  // namespace fib::test
