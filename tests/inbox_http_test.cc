// The mail sink's HTTP inbox as an attacker meets it: a foreign Host name (DNS rebinding), the
// headers that keep an email's HTML from loading anything, a body where none belongs, and more
// slow clients than it has connection threads.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "common/smtp/smtp_mailer.h"
#include "tests/support/mail_sink.h"
#include "tests/support/ports.h"

namespace fib::test {
namespace {

int Connect(int port) {
  int fd = ConnectLoopback(port);
  REQUIRE(fd >= 0);
  return fd;
}

// Sends `request` on a fresh connection and returns everything until the server closes.
std::string Exchange(int port, const std::string& request) {
  int fd = Connect(port);
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) break;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

std::string Get(const std::string& path, const std::string& host) {
  return "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
}

TEST_CASE("inbox: foreign Host names get 403 on loopback; loopback names work", "[inbox]") {
  MailSink sink;
  std::string port = std::to_string(sink.http_port());
  for (const std::string& host :
       std::vector<std::string>{"evil.example", "evil.example:" + port, "127.0.0.1.nip.io"}) {
    INFO(host);
    std::string response = Exchange(sink.http_port(), Get("/messages", host));
    CHECK(response.rfind("HTTP/1.1 403", 0) == 0);
    CHECK_THAT(response, Catch::Contains("answers only to localhost"));
  }
  for (const std::string& host :
       std::vector<std::string>{"localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port}) {
    INFO(host);
    CHECK(Exchange(sink.http_port(), Get("/messages", host)).rfind("HTTP/1.1 200", 0) == 0);
  }
}

TEST_CASE("inbox: pages forbid remote loads, sniffing and framing; bodies are bounded", "[inbox]") {
  MailSink sink;
  SmtpMailerOptions options;
  options.url = sink.smtp_url();
  SmtpMailer mailer(options);
  Email email;
  email.from = "a@example.com";
  email.to = "b@example.com";
  email.subject = "tracking pixel";
  email.html_body = "<p>hi</p><img src=\"http://203.0.113.9/pixel.gif\">";
  REQUIRE(mailer.Send(email).ok());
  sink.WaitForMessages(1);
  std::string host = "127.0.0.1:" + std::to_string(sink.http_port());
  for (const char* path : {"/", "/messages", "/messages/1.html", "/messages/1.eml"}) {
    INFO(path);
    std::string response = Exchange(sink.http_port(), Get(path, host));
    CHECK(response.rfind("HTTP/1.1 200", 0) == 0);
    CHECK_THAT(response, Catch::Contains("X-Content-Type-Options: nosniff"));
    // img-src data: only: the pixel above (or any remote URL) is never fetched, also inside the
    // preview iframe, which inherits the page's policy.
    CHECK_THAT(response, Catch::Contains("Content-Security-Policy: default-src 'none'") &&
                             Catch::Contains("img-src data:") &&
                             Catch::Contains("frame-ancestors 'none'"));
  }
  std::string big = "DELETE /messages HTTP/1.1\r\nHost: " + host +
                    "\r\nContent-Length: 1000000\r\n\r\n" + std::string(1000000, 'b');
  std::string response = Exchange(sink.http_port(), big);
  CHECK(response.rfind("HTTP/1.1 413", 0) == 0);
  CHECK(sink.GetJson("/stats")["stored"] == 1);
}

TEST_CASE("inbox: 100 slow clients (more than its 64 threads) do not freeze it", "[inbox]") {
  MailSink sink;
  std::vector<int> slow;
  for (int i = 0; i < 100; ++i) {
    slow.push_back(Connect(sink.http_port()));
    std::string partial = "GET /messages HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    send(slow.back(), partial.data(), partial.size(), MSG_NOSIGNAL);
  }
  auto start = std::chrono::steady_clock::now();
  std::string response = Exchange(sink.http_port(), Get("/stats", "127.0.0.1"));
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(response.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(seconds < 3);  // before: waits until the slow clients time out or give up
  for (int fd : slow) close(fd);
}

TEST_CASE("inbox: numeric parameters outside 0..2^63-1 or not plain digits get 400", "[inbox]") {
  MailSink sink;
  for (const char* bad :
       {"-1", "%2B5", "%205", "1.5", "9223372036854775808", "99999999999999999999", "0x10", ""}) {
    INFO(bad);
    nlohmann::json error = sink.GetJson(std::string("/messages?since_id=") + bad, 400);
    CHECK_THAT(error["error"].get<std::string>(),
               Catch::Contains("since_id must be a whole number 0..9223372036854775807"));
  }
  CHECK(sink.GetJson("/messages?since_id=9223372036854775807").empty());
  CHECK(sink.GetJson("/messages?limit=100000000").empty());  // clamped, not refused
}

}  // namespace
}  // namespace fib::test
