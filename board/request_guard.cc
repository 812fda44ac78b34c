#include "board/request_guard.h"

#include <fmt/format.h>
#include <sys/random.h>

#include <array>
#include <cstdint>

#include "common/http/bounded_server.h"

namespace fib {
namespace {

// Constant-time comparison, so the token cannot be guessed a byte at a time from timings.
bool SameSecret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// The port in a Host header value ("127.0.0.1:8080", "[::1]:8080"); -1 when there is none.
int HostPort(const std::string& host) {
  size_t colon = host.rfind(':');
  size_t bracket = host.rfind(']');
  if (colon == std::string::npos || (bracket != std::string::npos && bracket > colon)) return -1;
  std::string digits = host.substr(colon + 1);
  if (digits.empty() || digits.size() > 5) return -1;
  int port = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return -1;
    port = port * 10 + (c - '0');
  }
  return port;
}

}  // namespace

GuardVerdict RequestGuard::CheckHost(const httplib::Request& request) const {
  std::string host = request.get_header_value("Host");
  if (host.empty() || !IsLoopbackHost(host) || HostPort(host) != port_) {
    return {403, fmt::format("the lesson board answers only to its own address "
                             "(127.0.0.1:{0}, localhost:{0} or [::1]:{0}); this request's Host "
                             "header names another host, as a DNS-rebinding page would",
                             port_)};
  }
  return {};
}

GuardVerdict RequestGuard::CheckControl(const httplib::Request& request) const {
  GuardVerdict host = CheckHost(request);
  if (!host.ok()) return host;
  if (request.has_header("Origin") &&
      request.get_header_value("Origin") != "http://" + request.get_header_value("Host")) {
    return {403,
            "control requests come only from the board's own page: this request's Origin "
            "header names another site"};
  }
  std::string type = request.get_header_value("Content-Type");
  std::string base = type.substr(0, type.find(';'));
  while (!base.empty() && base.back() == ' ') base.pop_back();
  if (base != "application/json") {
    return {415, "control requests need 'Content-Type: application/json' with a JSON body"};
  }
  if (!SameSecret(request.get_header_value("X-Board-Token"), token_)) {
    return {403,
            "control requests need the X-Board-Token header with this run's token (the board's "
            "page carries it; reload the page if the board was restarted)"};
  }
  return {};
}

std::string NewBoardToken() {
  std::array<uint8_t, 16> bytes{};
  size_t got = 0;
  while (got < bytes.size()) {
    ssize_t n = getrandom(bytes.data() + got, bytes.size() - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  std::string hex;
  for (uint8_t b : bytes) hex += fmt::format("{:02x}", b);
  return hex;
}

}  // namespace fib
