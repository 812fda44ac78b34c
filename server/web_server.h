// WebServer: the FibTastic HTTP front end on cpp-httplib — routes (GET /, POST /sequences,
// GET /healthz), request ids, the body-size cap, an access-log line per request and a clean stop.
// The routes' logic lives in SequencesController; callers never see httplib.
// Thread-safety: Bind and Serve from one thread; Stop from any thread (e.g. a signal thread).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <semaphore>
#include <string>

#include "common/require.h"
#include "common/status.h"
#include "server/sequences_controller.h"

namespace fib {

class BoundedServer;

struct WebServerOptions {
  std::string bind_address = "127.0.0.1";
  int port = 3000;                     // 0 = any free port (see port())
  int threads = 5;                     // requests run at once, as Puma's default threads
  int max_connections = 256;           // open connections served at once (a thread each); more wait
  size_t max_body_bytes = 64 * 1024;   // larger bodies get 413, whatever the encoding
  size_t max_head_bytes = 32 * 1024;   // request line + headers; more gets 431
  int max_header_lines = 100;          // more gets 431
  int request_timeout_ms = 10000;      // a request must arrive within this of its first byte
  int drain_timeout_ms = 5000;         // on Stop, for requests in flight; then connections close
  int read_timeout_ms = 5000;          // per socket read (slow clients)
  int write_timeout_ms = 5000;         // per socket write
  int keep_alive_timeout_s = 5;        // an idle keep-alive connection holds its thread this long
  int keep_alive_max_requests = 1000;  // requests per connection before it is closed
  bool access_log = true;              // one stderr line per request
};

class WebServer {
 public:
  // REQUIRES: controller outlives this object.
  WebServer(WebServerOptions options, SequencesController* controller);
  ~WebServer();
  WebServer(const WebServer&) = delete;
  WebServer& operator=(const WebServer&) = delete;

  // Opens the listening socket. Returns an error naming the address and the reason (e.g. the
  // port is in use) so main() can exit 1 with it.
  Status Bind();
  // Returns the bound port (the chosen one when options.port was 0). REQUIRES: Bind() succeeded.
  int port() const {
    FIB_REQUIRE(port_ > 0);
    return port_;
  }
  // Serves requests until Stop(). Returns after the listening socket is closed and the requests
  // being handled have finished. REQUIRES: Bind() succeeded.
  Status Serve();
  // Stops accepting connections; Serve() returns once in-flight requests are done, or after
  // drain_timeout_ms with their connections closed. Safe to call from any thread, more than
  // once, and before Serve() (Serve then returns at once).
  void Stop();

 private:
  void InstallRoutes();
  void InstallHooks();

  WebServerOptions options_;
  SequencesController* controller_;
  std::unique_ptr<BoundedServer> server_;
  // Bounds the app's work to options_.threads requests at once, while slow or idle connections
  // each wait on their own ConnectionPool thread without holding a slot.
  std::counting_semaphore<1024> request_slots_;
  int port_ = 0;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> serve_started_{false};
  std::atomic<bool> serving_done_{false};
};

}  // namespace fib
