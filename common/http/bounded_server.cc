#include "common/http/bounded_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>

#include "common/http/connection_pool.h"

namespace fib {
namespace {

// Waits are cut into slices this long so eviction and Drain() are noticed promptly.
constexpr int kSliceMs = 50;
// A refused request's unread bytes are drained this long / this much before closing, so the
// client reads our answer instead of a reset.
constexpr int kLingerMs = 500;
constexpr size_t kLingerBytes = 256 * 1024;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

void AddressOf(int fd, bool local, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if ((local ? getsockname(fd, sa, &len) : getpeername(fd, sa, &len)) != 0) return;
  char text[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    port = ntohs(in->sin_port);
  } else if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
    port = ntohs(in6->sin6_port);
  }
  ip = text;
}

}  // namespace

// What the server and the connection's thread share about one connection.
struct BoundedServer::Connection {
  enum Phase { kIdle, kHead, kBody, kHandling };
  std::atomic<int> phase{kIdle};
  std::atomic<int64_t> phase_since_ms{NowMs()};
  std::atomic<bool> evict{false};

  void Enter(Phase p) {
    phase.store(p);
    phase_since_ms.store(NowMs());
  }
};

namespace {

// The socket as httplib sees it: buffered reads that count the head's bytes and lines as httplib
// consumes them (it reads the head one byte at a time, so the count is exact), a per-request
// deadline, and reads/writes that give up when evicted or past the drain deadline.
class BoundedStream : public httplib::Stream {
 public:
  BoundedStream(int fd, const HttpLimits& limits, BoundedServer::Connection* connection,
                const std::atomic<int64_t>* drain_deadline_ms)
      : fd_(fd), limits_(limits), connection_(connection), drain_deadline_ms_(drain_deadline_ms) {}

  // Waits (keep-alive) for the next request's first byte; false when the connection should end.
  bool WaitForRequest() {
    connection_->Enter(BoundedServer::Connection::kIdle);
    int64_t until = NowMs() + limits_.keep_alive_timeout_ms;
    while (begin_ == end_) {
      if (connection_->evict.load() || drain_deadline_ms_->load() != 0) return false;
      int64_t left = until - NowMs();
      if (left <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      int rc = poll(&p, 1, static_cast<int>(std::min<int64_t>(left, kSliceMs)));
      if (rc < 0 && errno != EINTR) return false;
      if (rc > 0 && !Fill()) return false;
    }
    return true;
  }

  // Starts counting a new request (its first byte is buffered).
  void BeginRequest() {
    fault_ = RequestFault::kNone;
    head_bytes_ = 0;
    head_lines_ = 0;
    line_bytes_ = 0;
    body_bytes_ = 0;
    written_ = 0;
    close_after_ = false;
    deadline_ms_ = NowMs() + limits_.request_timeout_ms;
    connection_->Enter(BoundedServer::Connection::kHead);
  }

  // The handler runs now: later reads belong to it (a content reader) and keep the deadline.
  void Handling() {
    if (connection_->phase.load() == BoundedServer::Connection::kBody) {
      connection_->Enter(BoundedServer::Connection::kHandling);
    }
  }

  bool is_readable() const override { return begin_ != end_ || WaitReadable(); }
  bool is_writable() const override { return WaitWritable(); }

  ssize_t read(char* ptr, size_t size) override {
    if (fault_ != RequestFault::kNone) return -1;
    if (begin_ == end_ && !(WaitReadable() && Fill())) return -1;
    size_t n = std::min(size, end_ - begin_);
    if (connection_->phase.load() == BoundedServer::Connection::kHead) {
      return ReadHead(ptr, n);
    }
    if (body_bytes_ + n > BodyBudget()) {
      fault_ = RequestFault::kBodyTooLarge;
      return -1;
    }
    body_bytes_ += n;
    std::memcpy(ptr, buffer_ + begin_, n);
    begin_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    size_t sent = 0;
    while (sent < size) {
      if (!WaitWritable()) return sent > 0 ? static_cast<ssize_t>(sent) : -1;
      ssize_t n = send(fd_, ptr + sent, size - sent, MSG_NOSIGNAL);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return sent > 0 ? static_cast<ssize_t>(sent) : -1;
      sent += static_cast<size_t>(n);
    }
    written_ += sent;
    return static_cast<ssize_t>(sent);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    AddressOf(fd_, false, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    AddressOf(fd_, true, ip, port);
  }
  socket_t socket() const override { return fd_; }

  RequestFault fault() const { return fault_; }
  void set_fault(RequestFault fault) { fault_ = fault; }
  bool close_after() const { return close_after_ || fault_ != RequestFault::kNone; }
  void set_close_after() { close_after_ = true; }
  size_t written() const { return written_; }

 private:
  size_t BodyBudget() const { return 2 * limits_.max_body_bytes + 4096; }

  // Hands out head bytes up to the end of the current line, counting bytes and lines.
  ssize_t ReadHead(char* ptr, size_t n) {
    size_t given = 0;
    while (given < n) {
      char c = buffer_[begin_];
      if (head_bytes_ + 1 > limits_.max_head_bytes) {
        fault_ = RequestFault::kHeadTooLarge;
        break;
      }
      ptr[given++] = c;
      ++begin_;
      ++head_bytes_;
      ++line_bytes_;
      if (c != '\n') continue;
      bool blank = line_bytes_ <= 2;
      line_bytes_ = 0;
      // The request line is line 0; the blank line ends the head.
      if (blank && head_lines_ > 0) {
        connection_->Enter(BoundedServer::Connection::kBody);
        break;
      }
      if (++head_lines_ > limits_.max_header_lines + 1) {
        fault_ = RequestFault::kTooManyHeaderLines;
        break;
      }
      break;  // one line at a time, so the phase switch happens at the right byte
    }
    return given > 0 ? static_cast<ssize_t>(given) : -1;
  }

  // Why waiting must stop now, as a fault; kNone while it may go on. Writes are not evicted and
  // get a grace period past the drain deadline, so the answer saying why still goes out.
  RequestFault StopReason(bool writing) const {
    if (!writing && connection_->evict.load()) return RequestFault::kEvicted;
    int64_t drain = drain_deadline_ms_->load();
    if (drain != 0 && NowMs() >= drain + (writing ? kLingerMs : 0)) return RequestFault::kDraining;
    return RequestFault::kNone;
  }

  bool Wait(short events, int timeout_ms, bool request_deadline) const {
    int64_t until = NowMs() + timeout_ms;
    for (;;) {
      RequestFault stop = StopReason(events == POLLOUT);
      if (stop != RequestFault::kNone) {
        fault_ = stop;
        return false;
      }
      int64_t now = NowMs();
      if (request_deadline && now >= deadline_ms_) {
        fault_ = RequestFault::kTooSlow;
        return false;
      }
      if (now >= until) return false;
      int64_t left = std::min(until, request_deadline ? deadline_ms_ : until) - now;
      pollfd p{fd_, events, 0};
      int rc = poll(&p, 1, static_cast<int>(std::min<int64_t>(left, kSliceMs)));
      if (rc > 0) return true;
      if (rc < 0 && errno != EINTR) return false;
    }
  }
  bool WaitReadable() const {
    // Only reading the request is held to its deadline; a handler's later reads are not.
    bool arriving = connection_->phase.load() != BoundedServer::Connection::kIdle;
    return Wait(POLLIN, limits_.read_timeout_ms, arriving);
  }
  bool WaitWritable() const { return Wait(POLLOUT, limits_.write_timeout_ms, false); }

  bool Fill() {
    ssize_t n;
    do {
      n = recv(fd_, buffer_, sizeof buffer_, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    begin_ = 0;
    end_ = static_cast<size_t>(n);
    return true;
  }

  int fd_;
  const HttpLimits& limits_;
  BoundedServer::Connection* connection_;
  const std::atomic<int64_t>* drain_deadline_ms_;
  char buffer_[4096];
  size_t begin_ = 0, end_ = 0;
  mutable RequestFault fault_ = RequestFault::kNone;
  size_t head_bytes_ = 0, line_bytes_ = 0, body_bytes_ = 0, written_ = 0;
  int head_lines_ = 0;
  int64_t deadline_ms_ = 0;
  bool close_after_ = false;
};

thread_local BoundedStream* current_stream = nullptr;

// Reads and drops what the client still sends (bounded), then closes: the answer to a refused
// request arrives instead of a connection reset.
void LingeringClose(int fd, bool linger) {
  if (linger) {
    shutdown(fd, SHUT_WR);
    char sink[4096];
    size_t drained = 0;
    int64_t until = NowMs() + kLingerMs;
    for (int64_t left; drained < kLingerBytes && (left = until - NowMs()) > 0;) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left)) <= 0) break;
      ssize_t n = recv(fd, sink, sizeof sink, 0);
      if (n <= 0) break;
      drained += static_cast<size_t>(n);
    }
  }
  shutdown(fd, SHUT_RDWR);
  close(fd);
}

// A complete response for a fault httplib could not answer (it gives up silently when the
// request line itself does not arrive).
void WriteBareFault(BoundedStream* stream, int status, const std::string& message) {
  std::string body = message + "\n";
  std::string response = "HTTP/1.1 " + std::to_string(status) +
                         (status == 408 ? " Request Timeout" : " Service Unavailable") +
                         "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
                         "Content-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n" + body;
  stream->write(response.data(), response.size());
}

}  // namespace

httplib::Headers SecurityHeaders(const std::string& extra_csp) {
  std::string csp =
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
      "base-uri 'none'; frame-ancestors 'none'";
  if (!extra_csp.empty()) csp += "; " + extra_csp;
  return {{"Content-Security-Policy", csp},
          {"X-Content-Type-Options", "nosniff"},
          {"X-Frame-Options", "DENY"},
          {"Referrer-Policy", "no-referrer"}};
}

bool IsLoopbackAddress(const std::string& address) {
  in_addr v4{};
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return Lower(address) == "localhost";
}

bool IsLoopbackHost(const std::string& host) {
  std::string name = host;
  if (!name.empty() && name.front() == '[') {  // [::1]:port
    size_t close = name.find(']');
    if (close == std::string::npos) return false;
    std::string rest = name.substr(close + 1);
    if (!rest.empty() &&
        (rest[0] != ':' || rest.find_first_not_of("0123456789", 1) != std::string::npos)) {
      return false;
    }
    name = name.substr(1, close - 1);
  } else if (size_t colon = name.rfind(':'); colon != std::string::npos) {
    if (name.find(':') != colon) return false;  // a bare IPv6 address must be bracketed
    if (name.find_first_not_of("0123456789", colon + 1) != std::string::npos) return false;
    name = name.substr(0, colon);
  }
  if (!name.empty() && name.back() == '.') name.pop_back();  // "localhost." is localhost
  return IsLoopbackAddress(name);
}

BoundedServer::BoundedServer(HttpLimits limits) : limits_(std::move(limits)) {
  size_t threads = static_cast<size_t>(std::max(1, limits_.max_connections));
  new_task_queue = [this, threads] { return new ConnectionPool(threads, [this] { EvictOne(); }); };
  // httplib's default also sets SO_REUSEPORT, which would let a second server bind a busy port
  // silently and split the traffic; keep only SO_REUSEADDR (fast restarts after TIME_WAIT).
  set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  set_payload_max_length(limits_.max_body_bytes);
  set_default_headers(limits_.default_headers);
  set_pre_routing_handler([this](const httplib::Request& request, httplib::Response& response) {
    if (current_stream != nullptr) current_stream->Handling();
    std::string encoding = Lower(request.get_header_value("Content-Encoding"));
    std::string transfer = Lower(request.get_header_value("Transfer-Encoding"));
    RequestFault refused = RequestFault::kNone;
    if (!encoding.empty() && encoding != "identity") refused = RequestFault::kCompressedBody;
    if (!transfer.empty() && (transfer != "chunked" || request.has_header("Content-Length"))) {
      refused = RequestFault::kBadTransferEncoding;
    }
    if (refused != RequestFault::kNone) {
      // Answered before the body is read: the connection cannot be reused after it.
      if (current_stream != nullptr) current_stream->set_fault(refused);
      CloseAfterResponse(request);
      response.status = FaultStatus(refused);
      return HandlerResponse::Handled;
    }
    return on_request_ ? on_request_(request, response) : HandlerResponse::Unhandled;
  });
}

BoundedServer::~BoundedServer() = default;

void BoundedServer::Drain() {
  int64_t expected = 0;
  drain_deadline_ms_.compare_exchange_strong(expected, NowMs() + limits_.drain_timeout_ms);
  stop();
}

RequestFault BoundedServer::CurrentFault() {
  return current_stream != nullptr ? current_stream->fault() : RequestFault::kNone;
}

void BoundedServer::CloseAfterResponse(const httplib::Request& request) {
  if (current_stream != nullptr) current_stream->set_close_after();
  // httplib decides the response's Connection header from the request's; the Request object
  // is httplib's own non-const local, so changing it here is defined.
  auto& headers = const_cast<httplib::Headers&>(
      request.headers);  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  headers.erase("Connection");
  headers.emplace("Connection", "close");
}

int BoundedServer::FaultStatus(RequestFault fault) {
  switch (fault) {
    case RequestFault::kHeadTooLarge:
    case RequestFault::kTooManyHeaderLines:
      return 431;
    case RequestFault::kBodyTooLarge:
      return 413;
    case RequestFault::kTooSlow:
      return 408;
    case RequestFault::kCompressedBody:
      return 415;
    case RequestFault::kBadTransferEncoding:
      return 400;
    case RequestFault::kEvicted:
    case RequestFault::kDraining:
      return 503;
    case RequestFault::kNone:
      break;
  }
  return 400;
}

std::string BoundedServer::DescribeFault(RequestFault fault) const {
  switch (fault) {
    case RequestFault::kHeadTooLarge:
      return "the request line and headers are larger than " +
             std::to_string(limits_.max_head_bytes) + " bytes in total";
    case RequestFault::kTooManyHeaderLines:
      return "the request has more than " + std::to_string(limits_.max_header_lines) +
             " header lines";
    case RequestFault::kBodyTooLarge:
      return "the request body is larger than " + std::to_string(limits_.max_body_bytes) +
             " bytes (a chunked body's framing counts too)";
    case RequestFault::kTooSlow:
      return "the request did not arrive completely within " +
             std::to_string(limits_.request_timeout_ms) + " ms of its first byte";
    case RequestFault::kCompressedBody:
      return "compressed request bodies (Content-Encoding) are not accepted; send the body "
             "uncompressed";
    case RequestFault::kBadTransferEncoding:
      return "Transfer-Encoding must be 'chunked' alone and never together with "
             "Content-Length";
    case RequestFault::kEvicted:
      return "the server is busy and this connection was the slowest; retry";
    case RequestFault::kDraining:
      return "the server is shutting down; retry";
    case RequestFault::kNone:
      break;
  }
  return "the request could not be read";
}

bool BoundedServer::process_and_close_socket(socket_t sock) {
  Connection connection;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    connections_.push_back(&connection);
  }
  BoundedStream stream(sock, limits_, &connection, &drain_deadline_ms_);
  current_stream = &stream;
  bool ok = false;
  bool refused = false;
  for (int left = std::max(1, limits_.keep_alive_max_requests); left > 0; --left) {
    if (!stream.WaitForRequest()) break;
    stream.BeginRequest();
    bool closed = false;
    bool last = left == 1 || drain_deadline_ms_.load() != 0;
    ok = process_request(stream, last, closed, nullptr);
    RequestFault fault = stream.fault();
    if (fault != RequestFault::kNone && stream.written() == 0 &&
        (fault == RequestFault::kTooSlow || fault == RequestFault::kEvicted ||
         fault == RequestFault::kDraining)) {
      WriteBareFault(&stream, FaultStatus(fault), DescribeFault(fault));
    }
    refused = stream.close_after();
    if (!ok || closed || refused) break;
  }
  current_stream = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    connections_.remove(&connection);
  }
  LingeringClose(sock, refused);
  return ok;
}

void BoundedServer::EvictOne() {
  std::lock_guard<std::mutex> lock(mutex_);
  Connection* victim = nullptr;
  auto better = [&](Connection* c) {
    if (victim == nullptr) return true;
    int p = c->phase.load(), v = victim->phase.load();
    if (p != v) return p == Connection::kIdle;  // idle keep-alive connections go first
    return c->phase_since_ms.load() < victim->phase_since_ms.load();
  };
  for (Connection* c : connections_) {
    int phase = c->phase.load();
    if (c->evict.load() || (phase != Connection::kIdle && phase != Connection::kHead)) continue;
    if (better(c)) victim = c;
  }
  if (victim != nullptr) {
    victim->evict.store(true);
    evicted_.fetch_add(1);
  }
}

}  // namespace fib
