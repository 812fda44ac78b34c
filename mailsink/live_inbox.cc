#include "mailsink/live_inbox.h"

#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <string>

#include "common/http/stream_slots.h"
#include "mailsink/inbox_http.h"
#include "mailsink/message_json.h"

namespace fib {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr size_t kEventsPerWrite = 100;

void Busy(httplib::Response& response, const std::string& what, int max) {
  response.set_header("Retry-After", "1");
  JsonError(response, 503, fmt::format("too many {} (at most {} at once); retry", what, max));
}

bool ValidRequestId(const std::string& id, size_t max_bytes) {
  if (id.empty() || id.size() > max_bytes) return false;
  for (unsigned char c : id) {
    if (c < 0x21 || c > 0x7e) return false;  // printable ASCII, as request ids are
  }
  return true;
}

}  // namespace

// One /events stream's state, shared with httplib's content provider (which outlives Events).
class LiveInbox::EventStream {
 public:
  EventStream(LiveInbox* live, int64_t last_id)
      : live_(live), last_id_(last_id), slot_(&live->event_streams_) {}

  // Called by httplib until it returns false, the client is gone or the server stops: writes
  // the next events, or a heartbeat comment after heartbeat_ms without any.
  bool Next(httplib::DataSink& sink) {
    MessageStore* store = live_->store_;
    if (!greeted_) {
      greeted_ = true;
      // retry: how soon EventSource reconnects after the stream ends (e.g. a restart).
      return Write(sink, "retry: 1000\n: fibtastic-mailsink events\n\n");
    }
    auto deadline = SteadyClock::now() + std::chrono::milliseconds(live_->options_.heartbeat_ms);
    int64_t newest = store->WaitForNewer(last_id_, deadline);
    if (store->waiters_stopped()) {
      sink.done();
      return true;
    }
    if (newest <= last_id_) return Write(sink, ": heartbeat\n\n");
    std::string events;
    for (const auto& message : store->Since(last_id_, kEventsPerWrite)) {
      events += fmt::format("id: {}\nevent: message\ndata: {}\n\n", message->id,
                            DumpJson(MessageSummaryJson(*message)));
      last_id_ = message->id;
    }
    if (events.empty()) {  // removed before we looked
      last_id_ = newest;
      return true;
    }
    return Write(sink, events);
  }

 private:
  // A failed write means the client is gone: returning false ends the stream.
  static bool Write(httplib::DataSink& sink, const std::string& text) {
    return sink.write(text.data(), text.size());
  }

  LiveInbox* live_;
  int64_t last_id_;
  bool greeted_ = false;
  SlotRelease slot_;
};

LiveInbox::LiveInbox(LiveInboxOptions options, MessageStore* store)
    : options_(options), store_(store) {}

void LiveInbox::Events(const httplib::Request& request, httplib::Response& response) {
  int64_t since_id = -1;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (!QueryInt(request, response, "since_id", kMax, &since_id)) return;
  std::string last_event = request.get_header_value("Last-Event-ID");
  if (!last_event.empty() && !ParseDigits(last_event, kMax, &since_id)) {
    return JsonError(response, 400, "Last-Event-ID must be a message id (plain digits)");
  }
  if (!TakeSlot(event_streams_, options_.max_event_streams)) {
    return Busy(response, "event streams", options_.max_event_streams);
  }
  auto stream = std::make_shared<EventStream>(this, since_id >= 0 ? since_id : store_->last_id());
  response.set_header("Cache-Control", "no-store");
  response.set_header("X-Accel-Buffering", "no");  // for a proxy in front: do not buffer
  response.set_chunked_content_provider(
      "text/event-stream",
      [stream](size_t, httplib::DataSink& sink) { return stream->Next(sink); });
}

void LiveInbox::Wait(const httplib::Request& request, httplib::Response& response) {
  std::string request_id = request.get_param_value("request_id");
  if (!ValidRequestId(request_id, options_.max_request_id_bytes)) {
    return JsonError(response, 400,
                     fmt::format("request_id must be 1..{} printable ASCII characters (the "
                                 "email's X-Request-Id)",
                                 options_.max_request_id_bytes));
  }
  int64_t timeout_ms = options_.default_wait_ms;
  if (!QueryInt(request, response, "timeout_ms", options_.max_wait_ms, &timeout_ms)) return;
  if (!TakeSlot(waiters_, options_.max_waiters)) {
    return Busy(response, "waiters", options_.max_waiters);
  }
  SlotRelease slot(&waiters_);
  auto deadline = SteadyClock::now() + std::chrono::milliseconds(timeout_ms);
  int64_t searched_to = 0;  // messages with ids up to this were searched already
  for (;;) {
    int64_t newest = store_->last_id();  // read first: a message added after is searched next
    if (auto message = store_->FindRequest(request_id, searched_to)) {
      return response.set_content(DumpJson(MessageSummaryJson(*message)), kJsonType);
    }
    searched_to = newest;
    if (store_->waiters_stopped()) {
      return JsonError(response, 503, "the mail sink is shutting down; retry");
    }
    if (SteadyClock::now() >= deadline) {
      return JsonError(response, 404,
                       fmt::format("no message with X-Request-Id {} arrived within {} ms",
                                   request_id, timeout_ms));
    }
    store_->WaitForNewer(searched_to, deadline);
  }
}

}  // namespace fib
