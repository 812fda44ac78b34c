// LiveInbox: the inbox's two long-lived routes. GET /events is a Server-Sent Events stream of
// new messages (one `message` event per message, its summary JSON as data, its id as the event
// id, a comment heartbeat while idle); GET /messages/wait?request_id=R&timeout_ms=T answers
// once the message with X-Request-Id R is stored (200), or 404 when T passes first. Both wait on
// MessageStore's condition variable (no polling), are capped in number so they never hold every
// connection thread (503 beyond the cap), and end at once on Stop().
// Thread-safety: handlers run on any connection thread; Stop from any thread.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstdint>

#include "mailsink/message_store.h"

namespace fib {

struct LiveInboxOptions {
  int max_event_streams = 8;          // concurrent GET /events streams; more get 503
  int max_waiters = 16;               // concurrent GET /messages/wait; more get 503
  int heartbeat_ms = 15000;           // an idle event stream sends a comment this often
  int max_wait_ms = 60000;            // largest timeout_ms a waiter may ask for
  int default_wait_ms = 10000;        // timeout_ms when absent
  size_t max_request_id_bytes = 200;  // longer request_id values get 400
};

class LiveInbox {
 public:
  // `store` must outlive this object and every stream it serves.
  LiveInbox(LiveInboxOptions options, MessageStore* store);

  // GET /events[?since_id=N]: streams messages with id > N (or > the Last-Event-ID header a
  // reconnecting EventSource sends; by default only messages that arrive from now on).
  void Events(const httplib::Request& request, httplib::Response& response);
  // GET /messages/wait?request_id=R[&timeout_ms=T].
  void Wait(const httplib::Request& request, httplib::Response& response);
  // Ends every stream and waiter now (they answer 503 or end their stream); later ones too.
  void Stop() { store_->StopWaiters(); }

  const LiveInboxOptions& options() const { return options_; }
  int event_streams() const { return event_streams_.load(); }
  int waiters() const { return waiters_.load(); }

 private:
  class EventStream;

  LiveInboxOptions options_;
  MessageStore* store_;
  std::atomic<int> event_streams_{0};
  std::atomic<int> waiters_{0};
};

}  // namespace fib
