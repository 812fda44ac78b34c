#include "board/board_server.h"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <set>
#include <type_traits>

#include "board/static_files.h"
#include "common/clock.h"
#include "common/flags.h"
#include "common/http/stream_slots.h"
#include "common/redis/redis_connection.h"
#include "common/text.h"

namespace fib {
namespace {

constexpr const char* kJson = "application/json";
// The page's policy: its own script and style files, fetches to itself, nothing else.
constexpr const char* kPageCsp = "script-src 'self'; connect-src 'self'; form-action 'none'";

std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Answer(httplib::Response& response, int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(Dump(body), kJson);
}

void Error(httplib::Response& response, int status, const std::string& message) {
  Answer(response, status, {{"error", message}});
}

// Reads a field of a control request's body. Missing: `fallback`; present with another type: an
// error naming the field (so a typo'd value is never silently replaced by a default).
template <typename T>
bool Field(const nlohmann::json& body, const char* name, T fallback, T* out,
           httplib::Response& response) {
  auto found = body.find(name);
  if (found == body.end()) {
    *out = fallback;
    return true;
  }
  // Only the JSON type that fits: a float for an integer field would be cut (1e30: undefined).
  bool fits = false;
  if constexpr (std::is_same_v<T, std::string>) {
    fits = found->is_string();
  } else if constexpr (std::is_same_v<T, int64_t>) {
    fits = found->is_number_integer();
  } else {
    fits = found->is_number();
  }
  if (!fits) {
    Error(response, 400, fmt::format("field '{}' has the wrong type", name));
    return false;
  }
  *out = found->get<T>();
  return true;
}

constexpr int kMaxEventStreams = 8;       // concurrent GET /api/events; more get 503
constexpr int kEventHeartbeatMs = 10000;  // an idle stream sends a comment this often

HttpLimits BoardLimits() {
  HttpLimits limits;
  limits.max_head_bytes = 16 * 1024;
  limits.max_body_bytes = 4 * 1024;  // control bodies are a few fields
  limits.max_connections = 64;
  limits.drain_timeout_ms = 2000;
  limits.default_headers = SecurityHeaders();
  return limits;
}

}  // namespace

BoardServer::BoardServer(const BoardOptions& options, Fleet* fleet, LiveStats* stats)
    : options_(options),
      fleet_(fleet),
      stats_(stats),
      http_(BoardLimits()),
      token_(NewBoardToken()) {}

Status BoardServer::Listen() {
  errno = 0;
  port_ = options_.port == 0
              ? http_.bind_to_any_port(options_.bind_address)
              : (http_.bind_to_port(options_.bind_address, options_.port) ? options_.port : -1);
  if (port_ <= 0) {
    return Status::Error(fmt::format("cannot listen on {}:{}: {} (pick another --port, or 0)",
                                     options_.bind_address, options_.port,
                                     errno ? std::strerror(errno) : "bind failed"));
  }
  guard_ = std::make_unique<RequestGuard>(token_, port_);
  Routes();
  return Status::Ok();
}

void BoardServer::Routes() {
  http_.OnRequest([this](const httplib::Request& request, httplib::Response& response) {
    GuardVerdict verdict = guard_->CheckHost(request);
    if (verdict.ok()) return httplib::Server::HandlerResponse::Unhandled;
    Error(response, verdict.status, verdict.message);
    return httplib::Server::HandlerResponse::Handled;
  });
  http_.Get("/", [this](const httplib::Request&, httplib::Response& response) { Page(response); });
  http_.Get("/board.js", [](const httplib::Request& request, httplib::Response& response) {
    const StaticFile* file = FindStaticFile(request.path);
    response.set_content(std::string(file->body), std::string(file->content_type));
  });
  http_.Get("/api/state", [this](const httplib::Request& request, httplib::Response& response) {
    State(request, response);
  });
  http_.Get("/api/events", [this](const httplib::Request& request, httplib::Response& response) {
    Events(request, response);
  });
  using namespace std::placeholders;
  Control("/api/submit", {"variant", "profile", "email", "sequence_length"},
          std::bind(&BoardServer::Submit, this, _1, _2));
  Control("/api/load", {"variant", "profile", "rate_rps", "duration_s", "sequence_length"},
          std::bind(&BoardServer::Load, this, _1, _2));
  Control("/api/scale", {"workers"}, std::bind(&BoardServer::Scale, this, _1, _2));
  Control("/api/provider", {"mode", "for_s"}, std::bind(&BoardServer::Provider, this, _1, _2));
  Control("/api/reset", {},
          [this](const nlohmann::json&, httplib::Response& response) { Reset(response); });
  http_.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const httplib::Request& request, httplib::Response& response) {
        if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        RequestFault fault = BoundedServer::CurrentFault();
        if (fault != RequestFault::kNone) {
          Error(response, BoundedServer::FaultStatus(fault), http_.DescribeFault(fault));
        } else {
          Error(response, response.status,
                response.status == 404
                    ? "no such page: " + request.method + " " + request.path.substr(0, 100)
                    : "request failed");
        }
        return httplib::Server::HandlerResponse::Handled;
      }));
}

void BoardServer::Control(
    const std::string& path, std::set<std::string> fields,
    const std::function<void(const nlohmann::json&, httplib::Response&)>& handler) {
  http_.Post(path, [this, handler, fields = std::move(fields)](const httplib::Request& request,
                                                               httplib::Response& response) {
    GuardVerdict verdict = guard_->CheckControl(request);
    if (!verdict.ok()) return Error(response, verdict.status, verdict.message);
    nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    if (!body.is_object()) return Error(response, 400, "the body must be a JSON object");
    // Strict: a misspelt field would otherwise be ignored and its default used in silence.
    for (const auto& item : body.items()) {
      if (fields.count(item.key()) == 0) {
        return Error(response, 400, "unknown field '" + item.key().substr(0, 40) + "'");
      }
    }
    handler(body, response);
  });
}

void BoardServer::Page(httplib::Response& response) const {
  const StaticFile* file = FindStaticFile("/index.html");
  std::string html(file->body);
  nlohmann::json config = {{"profiles", fleet_->ProfileNames()},
                           {"sidekiq_web_url", options_.sidekiq_web_url},
                           {"inbox_url", options_.inbox_url},
                           {"sequence_length", options_.default_sequence_length},
                           {"max_workers", options_.max_workers},
                           {"max_rate_rps", options_.max_rate_rps},
                           {"max_duration_s", options_.max_duration_s},
                           {"worker_concurrency", options_.worker_concurrency}};
  std::string escaped = HtmlEscape(Dump(config));  // an attribute value
  for (auto [key, value] :
       {std::pair<std::string, std::string>{"{{TOKEN}}", token_}, {"{{CONFIG}}", escaped}}) {
    size_t at = html.find(key);
    if (at != std::string::npos) html.replace(at, key.size(), value);
  }
  response.set_content(html, std::string(file->content_type));
  response.set_header("Cache-Control", "no-store");
  response.headers.erase("Content-Security-Policy");
  for (const auto& [name, value] : SecurityHeaders(kPageCsp)) {
    if (name == "Content-Security-Policy") response.set_header(name, value);
  }
}

bool BoardServer::ParseSince(const httplib::Request& request, httplib::Response& response,
                             int64_t* since, int64_t* since_mail) {
  *since = *since_mail = 0;
  // Whole numbers only: "1e99" or "12abc" would otherwise be read as 1 or 12 in silence.
  for (auto [name, out] :
       {std::pair<const char*, int64_t*>{"since", since}, {"since_mail", since_mail}}) {
    if (!request.has_param(name)) continue;
    auto value = ParseInt(request.get_param_value(name).substr(0, 40), name);
    if (!value.ok()) {
      Error(response, 400, value.status().message());
      return false;
    }
    *out = *value;
  }
  return true;
}

nlohmann::json BoardServer::StateJson(int64_t since, int64_t since_mail) {
  nlohmann::json provider;
  {
    std::lock_guard<std::mutex> lock(provider_mu_);
    provider = {{"mode", provider_mode_}, {"until_ms", provider_until_ms_}};
  }
  return {{"now_ms", SystemClock::Default()->NowMillis()},
          {"samples", stats_->SamplesSince(since)},
          {"mails", stats_->MailsSince(since_mail)},
          {"workers", fleet_->Workers()},
          {"load", fleet_->LoadState()},
          {"provider", provider}};
}

void BoardServer::State(const httplib::Request& request, httplib::Response& response) {
  int64_t since = 0, since_mail = 0;
  if (!ParseSince(request, response, &since, &since_mail)) return;
  Answer(response, 200, StateJson(since, since_mail));
}

// One /api/events stream's state, shared with httplib's content provider (which outlives Events).
class BoardServer::EventStream {
 public:
  EventStream(BoardServer* board, int64_t since, int64_t since_mail)
      : board_(board), since_(since), since_mail_(since_mail), slot_(&board->event_streams_) {}

  // Called by httplib until it returns false, the page is gone or the server stops: the state
  // since the last event as soon as the version moves (an email at once, samples ~4x/s), or a
  // heartbeat comment after a quiet while.
  bool Next(httplib::DataSink& sink) {
    LiveStats* stats = board_->stats_;
    std::string text;
    if (!greeted_) {
      greeted_ = true;
      seen_ = stats->version();
      text = "retry: 1000\n";  // how soon EventSource reconnects after the stream ends
    } else {
      auto deadline =
          std::chrono::steady_clock::now() + std::chrono::milliseconds(kEventHeartbeatMs);
      int64_t version = stats->WaitForChange(seen_, deadline);
      if (stats->waiters_stopped()) {
        sink.done();
        return true;
      }
      if (version == seen_) return Write(sink, ": heartbeat\n\n");
      seen_ = version;
    }
    nlohmann::json state = board_->StateJson(since_, since_mail_);
    for (const auto& sample : state["samples"]) {
      since_ = std::max(since_, sample.value("seq", int64_t{0}));
    }
    for (const auto& mail : state["mails"]) {
      since_mail_ = std::max(since_mail_, mail.value("id", int64_t{0}));
    }
    return Write(sink, text + "data: " + Dump(state) + "\n\n");
  }

 private:
  // A failed write means the page is gone: returning false ends the stream.
  static bool Write(httplib::DataSink& sink, const std::string& text) {
    return sink.write(text.data(), text.size());
  }

  BoardServer* board_;
  int64_t since_;
  int64_t since_mail_;
  int64_t seen_ = 0;
  bool greeted_ = false;
  SlotRelease slot_;
};

void BoardServer::Events(const httplib::Request& request, httplib::Response& response) {
  int64_t since = 0, since_mail = 0;
  if (!ParseSince(request, response, &since, &since_mail)) return;
  if (stats_->waiters_stopped()) return Error(response, 503, "the board is shutting down");
  if (!TakeSlot(event_streams_, kMaxEventStreams)) {
    response.set_header("Retry-After", "1");
    return Error(response, 503,
                 fmt::format("too many event streams (at most {} at once); close a board tab or "
                             "retry",
                             kMaxEventStreams));
  }
  auto stream = std::make_shared<EventStream>(this, since, since_mail);
  response.set_header("Cache-Control", "no-store");
  response.set_header("X-Accel-Buffering", "no");  // for a proxy in front: do not buffer
  response.set_chunked_content_provider(
      "text/event-stream",
      [stream](size_t, httplib::DataSink& sink) { return stream->Next(sink); });
}

void BoardServer::Submit(const nlohmann::json& body, httplib::Response& response) {
  std::string variant, profile, email;
  int64_t length = 0;
  if (!Field<std::string>(body, "variant", "", &variant, response) ||
      !Field<std::string>(body, "profile", "fibtastic", &profile, response) ||
      !Field<std::string>(body, "email", "you@example.com", &email, response) ||
      !Field<int64_t>(body, "sequence_length", options_.default_sequence_length, &length,
                      response)) {
    return;
  }
  if (length < 1 || length > 30) return Error(response, 400, "sequence_length must be 1..30");
  if (email.empty() || email.size() > 254)
    return Error(response, 400, "email must be 1..254 bytes");
  auto url = fleet_->WebUrl(variant, profile);
  if (!url.ok()) return Error(response, 400, url.status().message());
  std::string request_id = fmt::format("board-{}-{}", next_request_++, RandomHex(8));
  httplib::Client client(*url);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(60, 0);
  int64_t sent_ms = SystemClock::Default()->NowMillis();
  auto started = std::chrono::steady_clock::now();
  auto reply =
      client.Post("/sequences", {{"X-Request-Id", request_id}},
                  "email=" + PercentEncode(email) + "&sequence_length=" + std::to_string(length),
                  "application/x-www-form-urlencoded");
  double board_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  if (!reply) {
    return Error(response, 502,
                 "the " + variant + " web at " + *url +
                     " did not answer: " + httplib::to_string(reply.error()));
  }
  Answer(response, 200,
         {{"request_id", request_id},
          {"variant", variant},
          {"profile", profile},
          {"status", reply->status},
          {"server_timing", reply->get_header_value("Server-Timing")},
          {"sent_at_ms", sent_ms},
          {"board_ms", board_ms}});
}

void BoardServer::Load(const nlohmann::json& body, httplib::Response& response) {
  LoadRequest load;
  int64_t length = 0;
  if (!Field<std::string>(body, "variant", "", &load.variant, response) ||
      !Field<std::string>(body, "profile", "fibtastic", &load.profile, response) ||
      !Field<double>(body, "rate_rps", 16, &load.rate_rps, response) ||
      !Field<double>(body, "duration_s", 5, &load.duration_s, response) ||
      !Field<int64_t>(body, "sequence_length", options_.default_sequence_length, &length,
                      response)) {
    return;
  }
  load.sequence_length = static_cast<int>(std::clamp<int64_t>(length, -1, 1000));
  Status started = fleet_->StartLoad(load);
  if (!started.ok()) {
    int status = started.message().find("already going") != std::string::npos ? 409 : 400;
    return Error(response, status, started.message());
  }
  Answer(response, 202, fleet_->LoadState());
}

void BoardServer::Scale(const nlohmann::json& body, httplib::Response& response) {
  int64_t count = -1;
  if (!Field<int64_t>(body, "workers", -1, &count, response)) return;
  if (count < 1 || count > options_.max_workers) {
    return Error(response, 400, fmt::format("workers must be 1..{}", options_.max_workers));
  }
  Status scaled = fleet_->Scale(static_cast<int>(count));
  if (!scaled.ok()) return Error(response, 500, scaled.message());
  Answer(response, 200, {{"workers", fleet_->Workers()}});
}

void BoardServer::Provider(const nlohmann::json& body, httplib::Response& response) {
  std::string mode;
  double for_s = 0;
  if (!Field<std::string>(body, "mode", "", &mode, response) ||
      !Field<double>(body, "for_s", 10, &for_s, response)) {
    return;
  }
  if (!(for_s >= 1 && for_s <= 600)) return Error(response, 400, "for_s must be 1..600");
  std::string document;
  if (mode == "normal") {
    document = "{}";
  } else if (mode == "slow") {
    document = R"({"latency":{"ms":2000,"jitter_ms":200}})";
  } else if (mode == "failing") {
    document = R"({"data_end":{"code":451,"probability":0.5}})";
  } else if (mode == "down") {
    // refuse: SMTP connections are closed at once, so every send fails and the job retries.
    document = fmt::format(R"({{"outage":{{"for_s":{},"mode":"refuse"}}}})", for_s);
  } else {
    return Error(response, 400, "mode must be normal, slow, failing or down");
  }
  Status set = SetChaos(document);
  if (!set.ok()) return Error(response, 502, set.message());
  std::lock_guard<std::mutex> lock(provider_mu_);
  provider_mode_ = mode;
  provider_until_ms_ =
      mode == "normal" ? 0
                       : SystemClock::Default()->NowMillis() + static_cast<int64_t>(for_s * 1000);
  Answer(response, 200, {{"mode", mode}, {"until_ms", provider_until_ms_}});
}

Status BoardServer::SetChaos(const std::string& document) {
  httplib::Client client(options_.inbox_url);
  client.set_connection_timeout(1, 0);
  client.set_read_timeout(2, 0);
  auto reply = client.Put("/api/chaos", document, kJson);
  if (!reply || reply->status != 200) {
    return Status::Error("the mail sink at " + options_.inbox_url +
                         " did not take the provider setting" +
                         (reply ? ": " + reply->body.substr(0, 200) : ""));
  }
  return Status::Ok();
}

void BoardServer::Tick() {
  std::lock_guard<std::mutex> lock(provider_mu_);
  if (provider_until_ms_ == 0 || SystemClock::Default()->NowMillis() < provider_until_ms_) return;
  // The outage ends by itself in the sink; slow and failing end here. Either way: normal.
  if (SetChaos("{}").ok()) {
    provider_mode_ = "normal";
    provider_until_ms_ = 0;
  }
}

void BoardServer::Reset(httplib::Response& response) {
  fleet_->StopLoad();
  Status stopped = fleet_->Scale(0);  // workers put unfinished jobs back; then they are cleared
  auto redis = RedisConnection::Open(options_.redis_url);
  Status cleared = redis.ok() ? (*redis)
                                    ->Command({"DEL", "queue:" + options_.queue, "retry", "dead",
                                               "schedule", "stat:processed", "stat:failed"})
                                    .status()
                              : redis.status();
  {
    std::lock_guard<std::mutex> lock(provider_mu_);
    provider_mode_ = "normal";
    provider_until_ms_ = 0;
  }
  Status chaos = SetChaos("{}");
  stats_->ClearMails();
  Status started = fleet_->Scale(options_.workers);
  for (const Status* status : {&stopped, &cleared, &chaos, &started}) {
    if (!status->ok()) return Error(response, 500, "reset: " + status->message());
  }
  Answer(response, 200, {{"reset", true}, {"workers", fleet_->Workers()}});
}

}  // namespace fib
