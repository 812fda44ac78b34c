#include "server/web_server.h"

#include <httplib.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "common/clock.h"
#include "common/http/bounded_server.h"
#include "common/log.h"
#include "server/request_id.h"

namespace fib {
namespace {

constexpr char kRequestIdHeader[] = "X-Request-Id";

// When the current request started, per request thread: set by the pre-routing hook, read by the
// logger. httplib serves one request at a time per thread, so a thread_local is enough.
thread_local std::chrono::steady_clock::time_point request_start;
thread_local bool request_started = false;

WebRequest ToWebRequest(const httplib::Request& req, const httplib::Response& res) {
  // The request's arrival, as the email's X-Request-Start: httplib calls the handler once the
  // request has been read, so this is the moment the app starts on it (Rails' X-Request-Start
  // is set earlier, by the proxy).
  return {req.get_header_value("Content-Type"), req.get_header_value("Accept"), req.body,
          res.get_header_value(kRequestIdHeader), SystemClock::Default()->NowMicros()};
}

void Send(const WebResponse& from, httplib::Response* to) {
  to->status = from.status;
  for (const auto& [name, value] : from.headers) to->set_header(name, value);
  to->set_content(from.body, from.content_type.c_str());
}

// Returns `text` with control characters escaped, so a decoded path cannot forge log lines.
std::string Printable(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Holds one of WebServer's request slots for the lifetime of a handler.
class SlotGuard {
 public:
  explicit SlotGuard(std::counting_semaphore<1024>* slots) : slots_(slots) { slots_->acquire(); }
  ~SlotGuard() { slots_->release(); }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;

 private:
  std::counting_semaphore<1024>* slots_;
};

std::string ReasonFor(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 408:
      return "Request Timeout";
    case 415:
      return "Unsupported Media Type";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

// Names what cpp-httplib most likely rejected: it reports only "400", but how far it got in
// parsing shows in `req` (the path is set once the request line was read).
std::string BadRequestMessage(const httplib::Request& req) {
  if (req.path.empty()) {
    return "the request line is malformed: expected 'METHOD /path HTTP/1.1' with a method such "
           "as GET or POST";
  }
  if (req.get_header_value("Transfer-Encoding").find("chunked") != std::string::npos) {
    return "the chunked request body is malformed (a bad chunk size or chunk framing)";
  }
  if (req.get_header_value("Content-Type").rfind("multipart/", 0) == 0) {
    return "the multipart body is malformed; POST /sequences takes "
           "application/x-www-form-urlencoded or application/json";
  }
  if (req.has_header("Content-Length")) {
    return "the request body did not arrive as its Content-Length header announced (shorter, "
           "or sent too slowly)";
  }
  return fmt::format("a request header is malformed or longer than {} bytes",
                     CPPHTTPLIB_HEADER_MAX_LENGTH);
}

std::string MessageFor(int status, const httplib::Request& req, size_t max_body_bytes) {
  switch (status) {
    case 400:
      return BadRequestMessage(req);
    case 414:
      return fmt::format("the request line (method and URL) is longer than {} bytes",
                         CPPHTTPLIB_REQUEST_URI_MAX_LENGTH);
    case 404:
      return "no page at " + req.method + " " + req.path +
             "; the form is at GET / and it posts to "
             "POST /sequences";
    case 413:
      // cpp-httplib itself refuses url-encoded form bodies over its compiled-in limit (8 KB),
      // whatever --max-body-bytes says; name the limit that actually applied.
      if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0 &&
          req.has_header("Content-Length") &&
          req.get_header_value<uint64_t>("Content-Length") <= max_body_bytes) {
        return fmt::format(
            "the url-encoded form body is larger than cpp-httplib's limit of {} bytes for form "
            "posts; a FibTastic form needs only an email and a number",
            CPPHTTPLIB_FORM_URL_ENCODED_PAYLOAD_MAX_LENGTH);
      }
      return fmt::format(
          "the request body is larger than the limit of {} bytes (--max-body-bytes); "
          "a FibTastic form needs only an email and a number",
          max_body_bytes);
    default:
      return "the request could not be read (HTTP " + std::to_string(status) + ")";
  }
}

// Re-creates the failed bind to learn why (httplib only reports false).
std::string ExplainBindFailure(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0) {
    return std::string("cannot resolve the bind address: ") + gai_strerror(rc);
  }
  std::string reason = "unknown reason";
  int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  if (fd >= 0) {
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (bind(fd, found->ai_addr, found->ai_addrlen) != 0) {
      reason = errno == EADDRINUSE ? "the port is already in use (another fibtastic-web? pick "
                                     "another --port or set PORT)"
                                   : std::strerror(errno);
    }
    close(fd);
  }
  freeaddrinfo(found);
  return reason;
}

HttpLimits LimitsFor(const WebServerOptions& options) {
  HttpLimits limits;
  limits.max_head_bytes = options.max_head_bytes;
  limits.max_header_lines = options.max_header_lines;
  limits.max_body_bytes = options.max_body_bytes;
  limits.request_timeout_ms = options.request_timeout_ms;
  limits.read_timeout_ms = options.read_timeout_ms;
  limits.write_timeout_ms = options.write_timeout_ms;
  limits.keep_alive_timeout_ms = options.keep_alive_timeout_s * 1000;
  limits.keep_alive_max_requests = std::max(1, options.keep_alive_max_requests);
  // Slow or idle connections each hold their own thread (BoundedServer's ConnectionPool), not
  // one of the `threads` request slots; at the cap, the slowest of them is evicted.
  limits.max_connections = std::max(options.max_connections, options.threads);
  limits.drain_timeout_ms = options.drain_timeout_ms;
  limits.default_headers = SecurityHeaders("form-action 'self'");
  return limits;
}

}  // namespace

WebServer::WebServer(WebServerOptions options, SequencesController* controller)
    : options_(std::move(options)),
      controller_(controller),
      server_(std::make_unique<BoundedServer>(LimitsFor(options_))),
      request_slots_(std::clamp(options_.threads, 1, 1024)) {
  // httplib writes a response's headers and body with separate send()s; with Nagle on, the
  // body of every keep-alive response after the first waits for the client's delayed ACK
  // (~40 ms on Linux). Accepted sockets inherit TCP_NODELAY from the listening socket.
  server_->set_tcp_nodelay(true);
  InstallHooks();
  InstallRoutes();
}

WebServer::~WebServer() = default;

void WebServer::InstallRoutes() {
  server_->Get("/", [this](const httplib::Request& req, httplib::Response& res) {
    SlotGuard slot(&request_slots_);
    Send(controller_->ShowForm(ToWebRequest(req, res)), &res);
  });
  server_->Post("/sequences", [this](const httplib::Request& req, httplib::Response& res) {
    // A chunked body passes httplib's Content-Length check; hold it to the same limit.
    if (req.body.size() > options_.max_body_bytes) {
      res.status = 413;
      return;  // the error handler explains
    }
    SlotGuard slot(&request_slots_);
    Send(controller_->CreateSequence(ToWebRequest(req, res)), &res);
  });
  // Liveness only: 200 while the process serves HTTP. Queue trouble shows as 503 on POST.
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain; charset=utf-8");
  });
}

void WebServer::InstallHooks() {
  server_->OnRequest([](const httplib::Request& req, httplib::Response& res) {
    request_start = std::chrono::steady_clock::now();
    request_started = true;
    res.set_header(kRequestIdHeader, RequestIdFor(req.get_header_value(kRequestIdHeader)));
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Fills in errors httplib produced itself (404, 413, ...); our own responses already have a body.
  size_t max_body_bytes = options_.max_body_bytes;
  const BoundedServer* server = server_.get();
  httplib::Server::HandlerWithResponse on_error =
      [max_body_bytes, server](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        if (!res.has_header(kRequestIdHeader)) res.set_header(kRequestIdHeader, RequestIdFor(""));
        WebRequest request = ToWebRequest(req, res);
        // A bound BoundedServer enforced explains itself better than httplib's bare 400.
        RequestFault fault = BoundedServer::CurrentFault();
        std::string message;
        if (fault != RequestFault::kNone) res.status = BoundedServer::FaultStatus(fault);
        if (fault != RequestFault::kNone && fault != RequestFault::kBodyTooLarge) {
          message = server->DescribeFault(fault);
        } else {
          message = MessageFor(res.status, req, max_body_bytes);
        }
        Send(SequencesController::Error(request, res.status, ReasonFor(res.status), message), &res);
        return httplib::Server::HandlerResponse::Handled;
      };
  server_->set_error_handler(on_error);
  server_->set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, const std::exception_ptr& error) {
        std::string what = "unknown exception";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        Log("error: {} {} raised: {}", req.method, Printable(req.path), what);
        res.status = 500;
        Send(SequencesController::Error(ToWebRequest(req, res), 500, "Internal Server Error",
                                        "the server failed while handling the request: " + what),
             &res);
      });
  if (!options_.access_log) return;
  server_->set_logger([](const httplib::Request& req, const httplib::Response& res) {
    std::string duration = "-";
    if (request_started) {
      auto elapsed = std::chrono::steady_clock::now() - request_start;
      duration = fmt::format("{:.3f}", std::chrono::duration<double, std::milli>(elapsed).count());
      request_started = false;
    }
    Log("{} {} {} {}ms request_id={}", req.method, Printable(req.path), res.status, duration,
        res.get_header_value(kRequestIdHeader));
  });
}

Status WebServer::Bind() {
  std::string address = options_.bind_address + ":" + std::to_string(options_.port);
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.bind_address);
    if (port_ > 0) return Status::Ok();
  } else if (server_->bind_to_port(options_.bind_address, options_.port)) {
    port_ = options_.port;
    return Status::Ok();
  }
  return Status::Error("cannot listen on " + address + ": " +
                       ExplainBindFailure(options_.bind_address, options_.port));
}

Status WebServer::Serve() {
  FIB_REQUIRE(port_ > 0);
  serve_started_ = true;
  bool ok = stop_requested_ ? true : server_->listen_after_bind();
  serving_done_ = true;
  if (!ok && !stop_requested_) return Status::Error("the HTTP server stopped unexpectedly");
  return Status::Ok();
}

void WebServer::Stop() {
  stop_requested_ = true;
  // Before Serve() the flag is enough (Serve checks it after announcing itself).
  if (!serve_started_) return;
  // httplib's stop() only acts once the accept loop runs; wait briefly for it so a signal that
  // arrives during start-up is not lost.
  for (int i = 0; i < 200 && !server_->is_running() && !serving_done_; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  server_->Drain();
}

}  // namespace fib
