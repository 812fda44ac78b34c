// BoundedServer: cpp-httplib's Server (the Debian package, 0.11.4, used unmodified) with the
// bounds that version lacks, enforced on the bytes as they arrive:
//  - the request head (request line + headers): at most `max_head_bytes` and `max_header_lines`
//    (httplib caps each line at 8 KB but not their number: one connection could grow the process
//    by hundreds of MB) -> 431;
//  - the body, whatever its encoding: at most `max_body_bytes` raw bytes after the head; a chunked
//    body counts its framing too, which allows up to 2x max_body_bytes + 4 KB. Compressed bodies
//    (Content-Encoding other than identity) are refused before they are read -> 415, since
//    httplib would inflate them in memory; Transfer-Encoding other than chunked, or chunked
//    together with Content-Length (request smuggling) -> 400;
//  - time: a request must arrive within `request_timeout_ms` of its first byte (slow trickles
//    -> 408), each read/write waits at most read/write_timeout_ms, an idle keep-alive connection
//    closes after keep_alive_timeout_ms;
//  - threads: one per connection (ConnectionPool) up to `max_connections`; when all are taken,
//    the connection idle longest, or else the one whose request has been arriving longest, is
//    closed to make room, so trickling clients cannot lock others out;
//  - shutdown: Drain() stops accepting; requests in flight get `drain_timeout_ms` to finish,
//    then their connections are closed. Serve (listen_after_bind) returns within that deadline.
// A refused request gets a response whose body the owner's error handler writes: FaultStatus()
// and DescribeFault() say what was exceeded. Every response carries `default_headers` (e.g. a
// Content-Security-Policy and nosniff). The listening socket gets SO_REUSEADDR but not httplib's
// SO_REUSEPORT, so a busy port is an error. The README's "HTTP bounds" lists these limits.
// Thread-safety: as httplib::Server; Drain() from any thread. CurrentFault() and
// CloseAfterResponse() act on the connection served by the calling thread (httplib runs each
// request's handlers on its connection's thread).
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>

namespace fib {

struct HttpLimits {
  size_t max_head_bytes = 32 * 1024;   // request line + headers
  int max_header_lines = 100;          // header lines per request
  size_t max_body_bytes = 64 * 1024;   // raw body bytes (see above for chunked framing)
  int request_timeout_ms = 10000;      // from a request's first byte to its last
  int read_timeout_ms = 5000;          // one socket read
  int write_timeout_ms = 5000;         // one socket write
  int keep_alive_timeout_ms = 5000;    // idle time between requests on one connection
  int keep_alive_max_requests = 1000;  // requests per connection, then it closes
  int max_connections = 256;           // open connections, a thread each
  int drain_timeout_ms = 5000;         // after Drain(), for the requests in flight
  httplib::Headers default_headers;    // added to every response that lacks them
};

// Why a request was cut short (kNone: it was not).
enum class RequestFault {
  kNone,
  kHeadTooLarge,
  kTooManyHeaderLines,
  kBodyTooLarge,
  kTooSlow,
  kEvicted,
  kDraining,
  kCompressedBody,
  kBadTransferEncoding,
};

// The security headers every page of ours sends: nosniff, no framing, no referrer, and a CSP
// allowing only inline styles, `extra_csp` (e.g. "form-action 'self'") and nothing remote.
httplib::Headers SecurityHeaders(const std::string& extra_csp = "");

// True when a Host header value names the loopback interface (localhost, 127.0.0.0/8, [::1],
// with or without a port): what a page bound to loopback accepts, so that a foreign domain
// re-bound to 127.0.0.1 (DNS rebinding) cannot read it from a victim's browser.
bool IsLoopbackHost(const std::string& host);
// True when `address` (a bind address) is loopback.
bool IsLoopbackAddress(const std::string& address);

class BoundedServer : public httplib::Server {
 public:
  explicit BoundedServer(HttpLimits limits);
  ~BoundedServer() override;
  BoundedServer(const BoundedServer&) = delete;
  BoundedServer& operator=(const BoundedServer&) = delete;

  // Use this instead of set_pre_routing_handler (which would replace the body checks).
  void OnRequest(HandlerWithResponse handler) { on_request_ = std::move(handler); }
  // Stops accepting; connections close once their request is answered or drain_timeout_ms has
  // passed. Safe from any thread and more than once.
  void Drain();

  // What cut the calling thread's current request short.
  static RequestFault CurrentFault();
  // Makes the calling thread's connection close after this response (e.g. its body was left
  // unread). Adds "Connection: close" to the response.
  static void CloseAfterResponse(const httplib::Request& request);
  // The HTTP status and a sentence naming the limit, for a fault.
  static int FaultStatus(RequestFault fault);
  std::string DescribeFault(RequestFault fault) const;

  const HttpLimits& limits() const { return limits_; }
  // Connections closed to make room while every thread was taken.
  int64_t evicted() const { return evicted_.load(); }

  struct Connection;  // one open connection's state (bounded_server.cc)

 private:
  bool process_and_close_socket(socket_t sock) override;
  void EvictOne();

  HttpLimits limits_;
  HandlerWithResponse on_request_;
  std::mutex mutex_;
  std::list<Connection*> connections_;         // guarded by mutex_
  std::atomic<int64_t> drain_deadline_ms_{0};  // steady clock; 0 = not draining
  std::atomic<int64_t> evicted_{0};
};

}  // namespace fib
