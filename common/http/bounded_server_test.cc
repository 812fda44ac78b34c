// BoundedServer against raw TCP clients: each bound holds (the answer names it, the process does
// not grow, other clients are served), and the Host check / security headers helpers.
#include "common/http/bounded_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/ports.h"

namespace fib {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int Connect(int port) {
  int fd = test::ConnectLoopback(port);
  REQUIRE(fd >= 0);
  return fd;
}

// Sends what it can (the server may stop reading) and returns false once the peer is gone.
bool SendAll(int fd, const std::string& bytes) {
  for (size_t sent = 0; sent < bytes.size();) {
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, 2000) <= 0) return false;
    ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// Reads until the peer closes or `timeout_s` passes.
std::string ReadAll(int fd, double timeout_s = 10) {
  std::string out;
  auto start = Clock::now();
  char buf[4096];
  while (SecondsSince(start) < timeout_s) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

int StatusOf(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::stoi(response.substr(9, 3));
}

int64_t RssKb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

// A BoundedServer on a free loopback port with GET /ok, POST /echo (reads its body through a
// content reader, capped like the web does) and an error handler that writes DescribeFault.
class TestServer {
 public:
  explicit TestServer(HttpLimits limits) : server_(std::move(limits)) {
    server_.Get("/ok", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok", "text/plain");
    });
    server_.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::to_string(req.body.size()), "text/plain");
    });
    server_.set_error_handler([this](const httplib::Request&, httplib::Response& res) {
      RequestFault fault = BoundedServer::CurrentFault();
      if (fault != RequestFault::kNone) res.status = BoundedServer::FaultStatus(fault);
      res.set_content("error: " + server_.DescribeFault(fault), "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TestServer() {
    server_.Drain();
    thread_.join();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int port() const { return port_; }
  BoundedServer& server() { return server_; }
  // Joins the serving thread after Drain(); returns how long Serve took to return.
  double DrainAndWait() {
    auto start = Clock::now();
    server_.Drain();
    thread_.join();
    thread_ = std::thread([] {});
    return SecondsSince(start);
  }

  std::string Request(const std::string& bytes, double timeout_s = 10) {
    int fd = Connect(port_);
    SendAll(fd, bytes);
    std::string response = ReadAll(fd, timeout_s);
    close(fd);
    return response;
  }

 private:
  BoundedServer server_;
  int port_ = 0;
  std::thread thread_;
};

const std::string kOk = "GET /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

HttpLimits SmallLimits() {
  HttpLimits limits;
  limits.max_head_bytes = 8 * 1024;
  limits.max_header_lines = 50;
  limits.max_body_bytes = 1024;
  limits.request_timeout_ms = 1000;
  limits.keep_alive_timeout_ms = 1000;
  limits.drain_timeout_ms = 500;
  limits.default_headers = SecurityHeaders();
  return limits;
}

TEST_CASE("bounded server: a normal request carries the security headers", "[http]") {
  TestServer t(SmallLimits());
  std::string response = t.Request(kOk);
  CHECK(StatusOf(response) == 200);
  CHECK_THAT(response, Catch::Contains("X-Content-Type-Options: nosniff"));
  CHECK_THAT(response, Catch::Contains("Content-Security-Policy: default-src 'none'"));
}

TEST_CASE("bounded server: endless header lines get 431 and the process does not grow", "[http]") {
  TestServer t(SmallLimits());
  int64_t rss_before = RssKb();
  int fd = Connect(t.port());
  SendAll(fd, "GET /ok HTTP/1.1\r\nHost: t\r\n");
  // 50 MB of short header lines: httplib alone keeps every one of them.
  std::string block;
  for (int i = 0; i < 10000; ++i) block += "X-" + std::to_string(i) + ": y\r\n";
  for (int sent = 0; sent < 400 && SendAll(fd, block); ++sent) {
  }
  std::string response = ReadAll(fd, 5);
  close(fd);
  CHECK(StatusOf(response) == 431);
  CHECK_THAT(response, Catch::Contains("more than 50 header lines"));
  CHECK(RssKb() - rss_before < 20 * 1024);
  CHECK(StatusOf(t.Request(kOk)) == 200);
}

TEST_CASE("bounded server: one huge head of long lines gets 431", "[http]") {
  TestServer t(SmallLimits());
  std::string headers;
  for (int i = 0; i < 20; ++i)
    headers += "X-" + std::to_string(i) + ": " + std::string(1000, 'v') + "\r\n";
  std::string response = t.Request("GET /ok HTTP/1.1\r\nHost: t\r\n" + headers + "\r\n");
  CHECK(StatusOf(response) == 431);
  CHECK_THAT(response, Catch::Contains("larger than 8192 bytes"));
}

TEST_CASE("bounded server: a chunked body is held to the body limit", "[http]") {
  TestServer t(SmallLimits());
  std::string chunk = std::string(1000, 'a');
  std::string body;
  for (int i = 0; i < 100; ++i) body += "3e8\r\n" + chunk + "\r\n";
  body += "0\r\n\r\n";
  std::string response = t.Request(
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
      body);
  CHECK(StatusOf(response) == 413);
  CHECK_THAT(response, Catch::Contains("larger than 1024 bytes"));
  // A small chunked body still works.
  std::string small = t.Request(
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "5\r\nhello\r\n0\r\n\r\n");
  CHECK(StatusOf(small) == 200);
  CHECK_THAT(small, Catch::EndsWith("\r\n\r\n5"));
}

TEST_CASE("bounded server: compressed bodies and smuggling framings are refused unread", "[http]") {
  TestServer t(SmallLimits());
  std::string gzip = t.Request(
      "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\nabcd");
  CHECK(StatusOf(gzip) == 415);
  CHECK_THAT(gzip, Catch::Contains("Connection: close"));
  CHECK_THAT(gzip, Catch::Contains("uncompressed"));
  std::string both = t.Request(
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
      "0\r\n\r\n");
  CHECK(StatusOf(both) == 400);
  CHECK_THAT(both, Catch::Contains("never together with Content-Length"));
  std::string odd = t.Request(
      "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
  CHECK(StatusOf(odd) == 400);
}

TEST_CASE("bounded server: a trickled request gets 408 at the request deadline", "[http]") {
  TestServer t(SmallLimits());
  int fd = Connect(t.port());
  auto start = Clock::now();
  std::string request = "GET /ok HTTP/1.1\r\nHost: t\r\nX-Slow: " + std::string(100, 'z');
  size_t i = 0;
  std::string response;
  // One byte every 50 ms: each read is quick, only the whole request is late.
  while (i < request.size() && SendAll(fd, request.substr(i++, 1))) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) > 0) break;
  }
  response = ReadAll(fd, 3);
  close(fd);
  CHECK(StatusOf(response) == 408);
  CHECK_THAT(response, Catch::Contains("within 1000 ms"));
  CHECK(SecondsSince(start) < 2.5);
}

TEST_CASE("bounded server: tricklers beyond the thread cap are evicted, not waited for", "[http]") {
  HttpLimits limits = SmallLimits();
  limits.max_connections = 8;
  limits.request_timeout_ms = 30000;
  TestServer t(limits);
  std::vector<int> tricklers;
  for (int i = 0; i < 20; ++i) {
    tricklers.push_back(Connect(t.port()));
    SendAll(tricklers.back(), "GET /ok HTTP/1.1\r\nHost: t\r\n");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto start = Clock::now();
  std::string response = t.Request(kOk, 5);
  CHECK(StatusOf(response) == 200);
  CHECK(SecondsSince(start) < 3);  // without eviction: 30 s (the request deadline)
  CHECK(t.server().evicted() >= 1);
  for (int fd : tricklers) close(fd);
}

TEST_CASE("bounded server: Drain returns within the drain deadline while a client trickles",
          "[http]") {
  HttpLimits limits = SmallLimits();
  limits.request_timeout_ms = 60000;
  TestServer t(limits);
  int fd = Connect(t.port());
  SendAll(fd, "GET /ok HTTP/1.1\r\nHost: t\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  double seconds = t.DrainAndWait();
  CHECK(seconds < 2.0);  // drain_timeout_ms is 500; without it: until the client gives up
  std::string response = ReadAll(fd, 2);
  CHECK(StatusOf(response) == 503);
  close(fd);
}

TEST_CASE("loopback Host check accepts loopback names only", "[http]") {
  for (const char* host : {"localhost", "localhost:8025", "127.0.0.1", "127.0.0.1:1080",
                           "127.1.2.3:9", "[::1]", "[::1]:8025", "LOCALHOST", "localhost."}) {
    INFO(host);
    CHECK(IsLoopbackHost(host));
  }
  for (const char* host :
       {"", "evil.example", "evil.example:8025", "127.0.0.1.evil.example", "localhost.evil.example",
        "10.0.0.1", "[::2]", "::1", "[::1]x", "127.0.0.1:80x", "0.0.0.0"}) {
    INFO(host);
    CHECK_FALSE(IsLoopbackHost(host));
  }
  CHECK(IsLoopbackAddress("127.0.0.1"));
  CHECK(IsLoopbackAddress("::1"));
  CHECK_FALSE(IsLoopbackAddress("0.0.0.0"));
}

}  // namespace
}  // namespace fib
