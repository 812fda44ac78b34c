#include "tests/mailsink_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "tests/support/ports.h"

namespace fib::test {

SinkProcess::SinkProcess(std::vector<std::string> extra_flags)
    : smtp_port_(FreePort()), http_port_(FreePort()), http_("127.0.0.1", http_port_) {
  std::vector<std::string> argv = {BinPath("fibtastic-mailsink"), "--smtp-port",
                                   std::to_string(smtp_port_), "--http-port",
                                   std::to_string(http_port_)};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  process_ = std::make_unique<Subprocess>(argv);
  http_.set_read_timeout(10, 0);
  bool ready = WaitForPort(smtp_port_) && WaitForPort(http_port_);
  INFO(process_->Log());
  REQUIRE(ready);
}

httplib::Result SinkProcess::Get(const std::string& path) { return http_.Get(path.c_str()); }

httplib::Result SinkProcess::Delete(const std::string& path) { return http_.Delete(path.c_str()); }

nlohmann::json SinkProcess::GetJson(const std::string& path, int expect_status) {
  auto response = Get(path);
  INFO("GET " << path);
  REQUIRE(response);
  REQUIRE(response->status == expect_status);
  REQUIRE(response->get_header_value("Content-Type") == "application/json");
  return nlohmann::json::parse(response->body);
}

nlohmann::json SinkProcess::WaitForMessages(size_t count) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  nlohmann::json list;
  do {
    list = GetJson("/messages");
    if (list.size() >= count) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  } while (std::chrono::steady_clock::now() < deadline);
  return list;
}

RawSmtp::RawSmtp(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{10, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
}

RawSmtp::~RawSmtp() { Close(); }

void RawSmtp::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void RawSmtp::Send(const std::string& bytes) { REQUIRE(TrySend(bytes)); }

bool RawSmtp::TrySend(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string RawSmtp::Reply() {
  std::string reply;
  for (;;) {
    size_t lf = buffer_.find('\n');
    if (lf != std::string::npos) {
      std::string line = buffer_.substr(0, lf + 1);
      buffer_.erase(0, lf + 1);
      reply += line;
      if (line.size() < 4 || line[3] != '-') return reply;
      continue;
    }
    char chunk[4096];
    ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return reply;
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

std::string RawSmtp::Command(const std::string& line) {
  Send(line + "\r\n");
  return Reply();
}

int RawSmtp::Code(const std::string& line) {
  std::string reply = Command(line);
  return reply.size() >= 3 ? std::stoi(reply.substr(0, 3)) : 0;
}

bool RawSmtp::ClosedByServer(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (poll(&p, 1, 50) > 0) {
      char chunk[4096];
      ssize_t n = recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
      if (n <= 0) return true;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }
  return false;
}

}  // namespace fib::test
