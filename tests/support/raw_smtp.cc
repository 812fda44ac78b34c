#include "tests/support/raw_smtp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>

namespace fib::test {

RawSmtp::RawSmtp(int port, const std::string& source_address) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (!source_address.empty()) {
    sockaddr_in source{};
    source.sin_family = AF_INET;
    REQUIRE(inet_pton(AF_INET, source_address.c_str(), &source.sin_addr) == 1);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&source), sizeof source) == 0);
  }
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
