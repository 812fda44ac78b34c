#include "mailsink/inbox_server.h"

#include <errno.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <thread>

#include "common/flags.h"
#include "mailsink/chaos_routes.h"
#include "mailsink/inbox_http.h"
#include "mailsink/inbox_page.h"
#include "mailsink/message_json.h"
#include "mailsink/mime_parts.h"

namespace fib {
namespace {

constexpr int64_t kMaxId = std::numeric_limits<int64_t>::max();

// Replaces the response's Content-Security-Policy (the default one, when httplib has added it)
// with the default policy plus `extra`.
void SetCsp(httplib::Response& response, const std::string& extra) {
  response.headers.erase("Content-Security-Policy");
  for (const auto& [name, value] : SecurityHeaders(extra)) {
    if (name == "Content-Security-Policy") response.set_header(name, value);
  }
}

HttpLimits InboxLimits(const InboxServerOptions& options) {
  HttpLimits limits;
  limits.max_head_bytes = 16 * 1024;
  limits.max_body_bytes = 4 * 1024;  // no route takes a body
  limits.request_timeout_ms = options.request_timeout_ms;
  limits.max_connections = options.max_connections;
  limits.drain_timeout_ms = 1000;
  limits.default_headers = SecurityHeaders();
  return limits;
}

}  // namespace

InboxServer::InboxServer(InboxServerOptions options, MessageStore* store,
                         const SinkCounters* counters, Chaos* chaos)
    : options_(std::move(options)),
      store_(store),
      counters_(counters),
      chaos_(chaos),
      http_(InboxLimits(options_)),
      live_(options_.live, store) {
  Routes();
}

void InboxServer::Routes() {
  // A page bound to loopback must not answer a foreign name that resolves to 127.0.0.1: a
  // web page on that domain could read the inbox from the victim's browser (DNS rebinding).
  if (IsLoopbackAddress(options_.bind_address)) {
    http_.OnRequest([](const httplib::Request& request, httplib::Response& response) {
      std::string host = request.get_header_value("Host");
      if (host.empty() || IsLoopbackHost(host)) return httplib::Server::HandlerResponse::Unhandled;
      JsonError(response, 403,
                "the inbox is bound to loopback and answers only to localhost, 127.0.0.1 or "
                "[::1]; this request's Host header names another host");
      return httplib::Server::HandlerResponse::Handled;
    });
  }
  http_.Get("/", [this](const httplib::Request&, httplib::Response& response) {
    int64_t last_id = store_->last_id();  // before the list: a message in between comes twice
    auto newest = store_->NewestFirst(options_.page_max_messages);
    response.set_content(InboxPageHtml(newest, store_->size(), store_->dropped(), last_id),
                         "text/html; charset=utf-8");
    // The live list's script comes from this server (/inbox.js) and reads /events; nothing else.
    SetCsp(response, "script-src 'self'; connect-src 'self'");
  });
  http_.Get("/inbox.js", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(InboxScript(), "text/javascript; charset=utf-8");
  });
  http_.Get("/events", [this](const httplib::Request& request, httplib::Response& response) {
    live_.Events(request, response);
  });
  http_.Get("/messages", [this](const httplib::Request& request, httplib::Response& response) {
    ListMessages(request, response);
  });
  http_.Get("/messages/wait", [this](const httplib::Request& request, httplib::Response& response) {
    live_.Wait(request, response);
  });
  http_.Get(R"(/messages/(\d+)(\.json|\.eml|\.source|\.html|\.plain|/view)?)",
            [this](const httplib::Request& request, httplib::Response& response) {
              ShowMessage(request, response);
            });
  http_.Delete("/messages", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(DumpJson({{"deleted", store_->Clear()}}), kJsonType);
  });
  http_.Delete(R"(/messages/(\d+))",
               [this](const httplib::Request& request, httplib::Response& response) {
                 int64_t id = 0;
                 if (!ParseDigits(request.matches[1].str(), kMaxId, &id) || !store_->Remove(id)) {
                   return NoSuchMessage(response, request.matches[1].str());
                 }
                 response.status = 204;  // as mailcatcher
               });
  http_.Get("/stats", [this](const httplib::Request&, httplib::Response& response) {
    nlohmann::json stats = StatsJson(*store_, *counters_);
    if (chaos_) stats["chaos"] = chaos_->CountersJson();
    response.set_content(DumpJson(stats), kJsonType);
  });
  if (chaos_) AddChaosRoutes(&http_, chaos_);
  // Errors our handlers already explained keep their body; httplib's own (404 for an unknown
  // path, 400 for a malformed request) get a JSON body too.
  http_.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& request, httplib::Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        RequestFault fault = BoundedServer::CurrentFault();
        if (fault != RequestFault::kNone) {
          JsonError(response, BoundedServer::FaultStatus(fault), http_.DescribeFault(fault));
          return httplib::Server::HandlerResponse::Handled;
        }
        JsonError(response, response.status,
                  response.status == 404 ? "no such page: " + request.method + " " + request.path
                                         : "request failed");
        return httplib::Server::HandlerResponse::Handled;
      }));
}

void InboxServer::NoSuchMessage(httplib::Response& response, const std::string& id) {
  JsonError(response, 404,
            "no message with id " + id.substr(0, 32) +
                " (never received, deleted, or dropped from the ring; see /stats)");
}

void InboxServer::ListMessages(const httplib::Request& request, httplib::Response& response) {
  int64_t since_id = 0;
  int64_t limit = static_cast<int64_t>(store_->max_messages());
  if (!QueryInt(request, response, "since_id", kMaxId, &since_id)) return;
  if (!QueryInt(request, response, "limit", kMaxId, &limit)) return;
  // A limit beyond what the inbox can hold lists everything, as asked.
  limit = std::min<int64_t>(limit, static_cast<int64_t>(store_->max_messages()));
  nlohmann::json list = nlohmann::json::array();
  for (const auto& message : store_->Since(since_id, static_cast<size_t>(limit))) {
    list.push_back(MessageSummaryJson(*message));
  }
  response.set_content(DumpJson(list), kJsonType);
}

void InboxServer::ShowMessage(const httplib::Request& request, httplib::Response& response) {
  int64_t id = 0;
  auto message = ParseDigits(request.matches[1].str(), kMaxId, &id) ? store_->Find(id) : nullptr;
  if (!message) return NoSuchMessage(response, request.matches[1].str());
  std::string format = request.matches[2].str();
  if (format == ".eml") {
    response.set_content(message->raw, "message/rfc822");
  } else if (format == ".source") {
    response.set_content(message->raw, "text/plain; charset=utf-8");
  } else if (format == "/view") {
    response.set_content(MessagePageHtml(*message), "text/html; charset=utf-8");
  } else if (format == ".html" || format == ".plain") {
    ShowPart(*message, format.substr(1), response);
  } else {
    response.set_content(DumpJson(MessageDetailJson(*message)), kJsonType);
  }
}

void InboxServer::ShowPart(const StoredMessage& message, const std::string& subtype,
                           httplib::Response& response) {
  auto body = FindTextPart(message.parsed, message.raw, "text/" + subtype);
  if (!body) {
    return JsonError(response, 404,
                     fmt::format("message {} has no text/{} part", message.id, subtype));
  }
  response.set_content(*body, "text/" + subtype + "; charset=utf-8");
  // The email's own HTML, on our origin: sandboxed (no scripts, an opaque origin) and still
  // unable to load anything remote.
  if (subtype == "html") SetCsp(response, "sandbox");
}

Status InboxServer::Listen() {
  const LiveInboxOptions& live = options_.live;
  if (live.max_event_streams + live.max_waiters >= options_.max_connections) {
    return Status::Error(fmt::format(
        "the inbox's event streams ({}) and waiters ({}) must leave some of its {} connection "
        "threads for the pages and the JSON API",
        live.max_event_streams, live.max_waiters, options_.max_connections));
  }
  std::string where = options_.bind_address + ":" + std::to_string(options_.port);
  errno = 0;
  if (options_.port == 0) {
    port_ = http_.bind_to_any_port(options_.bind_address);
  } else {
    port_ = http_.bind_to_port(options_.bind_address, options_.port) ? options_.port : -1;
  }
  if (port_ > 0) return Status::Ok();
  std::string reason = errno ? std::strerror(errno) : "bind failed";
  return Status::Error("cannot listen for HTTP on " + where + ": " + reason +
                       " (another mail sink running? pick another --http-port, or 0 for any "
                       "free port)");
}

void InboxServer::Serve() {
  serve_started_.store(true);
  if (!stop_requested_.load()) http_.listen_after_bind();
  serve_done_.store(true);
}

void InboxServer::Stop() {
  stop_requested_.store(true);
  live_.Stop();  // event streams and waiters end now, so the drain below is quick
  // httplib ignores stop() until its loop runs; a Serve that already saw no stop request will
  // start the loop soon, so wait for that instead of losing the request.
  while (serve_started_.load() && !serve_done_.load() && !http_.is_running()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  http_.Drain();
}

}  // namespace fib
