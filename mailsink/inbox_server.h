// InboxServer: the mail sink's HTTP side (cpp-httplib): GET / (HTML inbox), GET /messages
// (JSON, ?since_id=N&limit=M to page), GET /messages/{id} (JSON with body), /messages/{id}.eml
// (raw, message/rfc822), /messages/{id}.html, DELETE /messages, GET /stats.
// Thread-safety: Listen then Serve on one thread; Stop from any thread. Handlers run on
// httplib's pool and only touch the thread-safe MessageStore and SinkCounters.
#pragma once

#include <httplib.h>

#include <atomic>
#include <memory>
#include <string>

#include "common/status.h"
#include "mailsink/message_store.h"
#include "mailsink/sink_counters.h"

namespace fib {

struct InboxServerOptions {
  std::string bind_address = "127.0.0.1";
  int port = 1080;                 // 0 picks a free port (see port())
  size_t page_max_messages = 500;  // rows on the HTML inbox (JSON pages with since_id/limit)
};

class InboxServer {
 public:
  // `store` and `counters` must outlive the server.
  InboxServer(InboxServerOptions options, MessageStore* store, const SinkCounters* counters);

  // Binds the port. Returns an error naming the address (e.g. the port is busy).
  Status Listen();
  int port() const { return port_; }
  // Serves until Stop.
  void Serve();
  void Stop();

 private:
  void Routes();
  void ListMessages(const httplib::Request& request, httplib::Response& response);
  void ShowMessage(const httplib::Request& request, httplib::Response& response);

  InboxServerOptions options_;
  MessageStore* store_;
  const SinkCounters* counters_;
  httplib::Server http_;
  int port_ = 0;
  std::atomic<bool> serve_started_{false};
  std::atomic<bool> serve_done_{false};
  std::atomic<bool> stop_requested_{false};
};

}  // namespace fib
