#include "bench/loadgen/http_connection.h"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fib {

HttpConnection::HttpConnection() {
  http_parser_settings_init(&settings_);
  settings_.on_message_complete = &HttpConnection::OnMessageComplete;
  settings_.on_header_field = &HttpConnection::OnHeaderField;
  settings_.on_header_value = &HttpConnection::OnHeaderValue;
  parser_.data = this;
}

int HttpConnection::OnMessageComplete(http_parser* parser) {
  auto* self = static_cast<HttpConnection*>(parser->data);
  self->complete_ = true;
  self->keep_alive_ = http_should_keep_alive(parser) != 0;
  // Pause: bytes after the response (there should be none: we never pipeline) stay unparsed.
  http_parser_pause(parser, 1);
  return 0;
}

int HttpConnection::OnHeaderField(http_parser* parser, const char* at, size_t length) {
  auto* self = static_cast<HttpConnection*>(parser->data);
  if (self->in_header_value_) self->header_field_.clear();
  self->in_header_value_ = false;
  self->header_field_.append(at, length);
  return 0;
}

int HttpConnection::OnHeaderValue(http_parser* parser, const char* at, size_t length) {
  auto* self = static_cast<HttpConnection*>(parser->data);
  // Only Server-Timing is kept; every other header costs nothing but this comparison.
  if (!self->in_header_value_ && strcasecmp(self->header_field_.c_str(), "server-timing") == 0 &&
      !self->server_timing_.empty()) {
    self->server_timing_ += ", ";
  }
  self->in_header_value_ = true;
  if (strcasecmp(self->header_field_.c_str(), "server-timing") == 0) {
    self->server_timing_.append(at, length);
  }
  return 0;
}

bool HttpConnection::StartConnect(const sockaddr_in& address) {
  Close();
  ++generation_;
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error_ = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 ||
      errno == EINPROGRESS) {
    return true;
  }
  error_ = std::string("connect: ") + std::strerror(errno);
  Close();
  return false;
}

bool HttpConnection::FinishConnect() {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err == 0) return true;
  error_ = std::string("connect: ") + std::strerror(err);
  return false;
}

void HttpConnection::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

std::string* HttpConnection::PrepareRequest() {
  written_ = 0;
  complete_ = false;
  keep_alive_ = true;
  response_started_ = false;
  header_field_.clear();
  in_header_value_ = false;
  server_timing_.clear();
  http_parser_init(&parser_, HTTP_RESPONSE);
  parser_.data = this;
  return &request_;
}

HttpConnection::IoResult HttpConnection::Write() {
  while (written_ < request_.size()) {
    ssize_t n = send(fd_, request_.data() + written_, request_.size() - written_, MSG_NOSIGNAL);
    if (n > 0) {
      written_ += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return IoResult::kWouldBlock;
    } else {
      error_ = std::string("write: ") + std::strerror(errno);
      return IoResult::kError;
    }
  }
  return IoResult::kDone;
}

HttpConnection::IoResult HttpConnection::Parse(const char* data, size_t length) {
  http_parser_execute(&parser_, &settings_, data, length);
  if (complete_) return IoResult::kDone;
  if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK) {
    error_ = std::string("bad response: ") + http_errno_description(HTTP_PARSER_ERRNO(&parser_));
    return IoResult::kError;
  }
  return IoResult::kWouldBlock;
}

HttpConnection::IoResult HttpConnection::Read() {
  char buffer[16384];
  for (;;) {
    ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
    if (n > 0) {
      response_started_ = true;
      IoResult r = Parse(buffer, static_cast<size_t>(n));
      if (r != IoResult::kWouldBlock) return r;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return IoResult::kWouldBlock;
    if (n < 0) {
      error_ = std::string("read: ") + std::strerror(errno);
      return IoResult::kError;
    }
    // EOF: a response delimited by close completes now; otherwise the peer hung up on us.
    if (response_started_ && Parse(nullptr, 0) == IoResult::kDone) {
      keep_alive_ = false;
      return IoResult::kDone;
    }
    error_ = response_started_ ? "read: connection closed mid-response" : "read: connection closed";
    return response_started_ ? IoResult::kError : IoResult::kClosed;
  }
}

}  // namespace fib
