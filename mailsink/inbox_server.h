// InboxServer: the mail sink's HTTP side (cpp-httplib): GET / (HTML inbox, live through
// /inbox.js and GET /events), GET /messages (JSON, ?since_id=N&limit=M to page), GET
// /messages/wait (long poll by X-Request-Id), GET /messages/{id} and {id}.json (JSON with body),
// {id}.eml and {id}.source (raw), {id}.html and {id}.plain (that part of the email), {id}/view
// (our page of it), DELETE /messages and /messages/{id}, GET /stats, GET/PUT/DELETE /api/chaos
// (chaos_routes.h) when given a Chaos; mailcatcher's API is a subset (docs/mail-sink.md). Event
// streams and waiters never evict, and are capped (LiveInbox). Served by BoundedServer
// (common/http/): bounded heads and bodies, a request deadline, a thread per connection with the
// slowest evicted when all are taken (slow inbox clients cannot freeze it), a
// Content-Security-Policy that blocks remote loads (also inside the HTML preview, which inherits
// it), and, when bound to loopback, only loopback Host names (DNS rebinding). Thread-safety: Listen
// then Serve on one thread; Stop from any thread. Handlers run on connection threads and only touch
// the thread-safe MessageStore and SinkCounters.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "common/http/bounded_server.h"
#include "common/status.h"
#include "mailsink/chaos.h"
#include "mailsink/live_inbox.h"
#include "mailsink/message_store.h"
#include "mailsink/sink_counters.h"

namespace fib {

struct InboxServerOptions {
  std::string bind_address = "127.0.0.1";
  int port = 1080;                 // 0 picks a free port (see port())
  size_t page_max_messages = 500;  // rows on the HTML inbox (JSON pages with since_id/limit)
  int max_connections = 64;        // open HTTP connections, a thread each
  int request_timeout_ms = 10000;  // a request must arrive within this of its first byte
  LiveInboxOptions live;           // /events and /messages/wait; their caps < max_connections
};

class InboxServer {
 public:
  // `store`, `counters` and `chaos` (optional) must outlive the server.
  InboxServer(InboxServerOptions options, MessageStore* store, const SinkCounters* counters,
              Chaos* chaos = nullptr);

  // Binds the port. Returns an error naming the address (e.g. the port is busy), or the caps
  // when streams and waiters could take every connection thread.
  Status Listen();
  int port() const { return port_; }
  // Serves until Stop.
  void Serve();
  void Stop();

 private:
  void Routes();
  void ListMessages(const httplib::Request& request, httplib::Response& response);
  void ShowMessage(const httplib::Request& request, httplib::Response& response);
  void ShowPart(const StoredMessage& message, const std::string& subtype,
                httplib::Response& response);
  static void NoSuchMessage(httplib::Response& response, const std::string& id);

  InboxServerOptions options_;
  MessageStore* store_;
  const SinkCounters* counters_;
  Chaos* chaos_;
  BoundedServer http_;
  LiveInbox live_;
  int port_ = 0;
  std::atomic<bool> serve_started_{false};
  std::atomic<bool> serve_done_{false};
  std::atomic<bool> stop_requested_{false};
};

}  // namespace fib
