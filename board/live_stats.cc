#include "board/live_stats.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <string_view>

#include "common/clock.h"
#include "common/redis/redis_connection.h"
#include "common/text.h"

namespace fib {
namespace {

constexpr size_t kMaxMails = 2000;  // emails remembered for the page's rows
constexpr int kMaxProcesses = 32;   // heartbeats read per sample
constexpr const char* kFibTiming = "X-Fib-Timing";
// The sink's stream sends a heartbeat every 15 s when idle: a longer silence means it is gone.
constexpr int kStreamReadTimeoutS = 20;
// One SSE event; a longer one is skipped (its email gets no time) so memory stays bounded and the
// stream moves past it (dropping the stream would meet it again on every reconnect).
constexpr size_t kMaxEventBytes = 1024 * 1024;
constexpr int kMinBackoffMs = 100;
constexpr int kMaxBackoffMs = 5000;

int64_t IntOf(const RedisValue& value) {
  if (value.is_integer()) return value.integer;
  if (value.is_string()) {
    try {
      return std::stoll(value.str);
    } catch (...) {  // a foreign value in our key: count it as 0
      return 0;
    }
  }
  return 0;
}

// A string field of an untrusted JSON object, "" when absent or not a string.
std::string StringField(const nlohmann::json& object, const char* name) {
  auto found = object.find(name);
  return found != object.end() && found->is_string() ? found->get<std::string>() : "";
}

// A number field of an untrusted JSON object, 0 when absent or not a number.
double NumberField(const nlohmann::json& object, const char* name) {
  auto found = object.find(name);
  return found != object.end() && found->is_number() ? found->get<double>() : 0.0;
}

// One entry of Sidekiq's process registry, as `heroku ps` would list it.
nlohmann::json ProcessJson(const std::string& key, const RedisValue& reply) {
  nlohmann::json entry = {{"identity", key}};
  if (!reply.is_array() || reply.elements.size() < 3) return entry;
  nlohmann::json info = nlohmann::json::parse(reply.elements[0].str, nullptr, false);
  if (info.is_object()) {
    entry["tag"] = StringField(info, "tag");
    entry["pid"] = static_cast<int64_t>(NumberField(info, "pid"));
    entry["concurrency"] = static_cast<int64_t>(NumberField(info, "concurrency"));
    entry["started_at"] = NumberField(info, "started_at");
  }
  entry["busy"] = IntOf(reply.elements[1]);
  entry["beat"] = reply.elements[2].is_string() ? std::atof(reply.elements[2].str.c_str()) : 0.0;
  return entry;
}

}  // namespace

LiveStats::LiveStats(const BoardOptions& options) : options_(options) {}

LiveStats::~LiveStats() { Stop(); }

void LiveStats::Start(std::function<void()> tick) {
  tick_ = std::move(tick);
  thread_ = std::thread([this] { Run(); });
  inbox_thread_ = std::thread([this] { StreamInbox(); });
}

void LiveStats::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    waiters_stopped_ = true;
    // Ends a stream blocked in a read at once (httplib: stop() may come from another thread).
    if (inbox_client_ != nullptr) inbox_client_->stop();
  }
  wake_.notify_all();
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (inbox_thread_.joinable()) inbox_thread_.join();
}

bool LiveStats::stopping() {
  std::lock_guard<std::mutex> lock(mu_);
  return stop_;
}

void LiveStats::StopWaiters() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiters_stopped_ = true;
  }
  changed_.notify_all();
}

bool LiveStats::waiters_stopped() {
  std::lock_guard<std::mutex> lock(mu_);
  return waiters_stopped_;
}

bool LiveStats::inbox_streaming() {
  std::lock_guard<std::mutex> lock(mu_);
  return inbox_streaming_;
}

int64_t LiveStats::version() {
  std::lock_guard<std::mutex> lock(mu_);
  return version_;
}

int64_t LiveStats::WaitForChange(int64_t seen, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait_until(lock, deadline, [&] { return waiters_stopped_ || version_ != seen; });
  return version_;
}

void LiveStats::StreamInbox() {
  int backoff_ms = kMinBackoffMs;
  while (!stopping()) {
    ResyncMailIds();
    httplib::Client client(options_.inbox_url);
    client.set_connection_timeout(0, 300000);
    client.set_read_timeout(kStreamReadTimeoutS, 0);
    int64_t since = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      inbox_client_ = &client;
      since = last_mail_id_;
    }
    std::string buffer;
    bool skipping = false;  // inside an oversized event: discard to its end
    bool connected = false;
    client.Get(
        "/events?since_id=" + std::to_string(since),
        [&](const httplib::Response& response) {
          connected = response.status == 200;
          std::lock_guard<std::mutex> lock(mu_);
          inbox_streaming_ = connected && !stop_;
          return inbox_streaming_;
        },
        [&](const char* data, size_t size) {
          buffer.append(data, size);
          for (size_t end = buffer.find("\n\n"); end != std::string::npos;
               end = buffer.find("\n\n")) {
            if (!skipping) TakeEvent(buffer.substr(0, end));
            skipping = false;
            buffer.erase(0, end + 2);
          }
          if (buffer.size() > kMaxEventBytes) {
            skipping = true;
            buffer.erase(0, buffer.size() - 1);  // the last byte may be half of the "\n\n"
          }
          return !stopping();
        });
    {
      std::lock_guard<std::mutex> lock(mu_);
      inbox_client_ = nullptr;
      inbox_streaming_ = false;
    }
    // Dropped (the sink restarted or went away): poll meanwhile (Run), retry with backoff.
    backoff_ms = connected ? kMinBackoffMs : std::min(backoff_ms * 2, kMaxBackoffMs);
    std::unique_lock<std::mutex> lock(mu_);
    if (wake_.wait_for(lock, std::chrono::milliseconds(backoff_ms), [this] { return stop_; })) {
      return;
    }
  }
}

void LiveStats::TakeEvent(const std::string& text) {
  std::string event = "message", data;
  for (size_t at = 0; at <= text.size();) {
    size_t end = std::min(text.find('\n', at), text.size());
    std::string_view line(text.data() + at, end - at);
    if (line.rfind("event:", 0) == 0) event = Trim(line.substr(6));
    if (line.rfind("data:", 0) == 0) data += Trim(line.substr(5));
    at = end + 1;
  }
  if (event != "message" || data.empty()) return;  // comments (heartbeats), retry:, others
  nlohmann::json message = nlohmann::json::parse(data, nullptr, false);
  std::lock_guard<std::mutex> lock(mu_);
  AddMailLocked(message);
}

void LiveStats::ResyncMailIds() {
  httplib::Client client(options_.inbox_url);
  client.set_connection_timeout(0, 300000);
  client.set_read_timeout(1, 0);
  auto response = client.Get("/stats");
  if (!response || response->status != 200) return;
  nlohmann::json stats = nlohmann::json::parse(response->body, nullptr, false);
  if (!stats.is_object() || !stats.contains("received")) return;
  // Ids count the messages received since the sink started: fewer than we saw means a restart.
  int64_t received = static_cast<int64_t>(NumberField(stats, "received"));
  std::lock_guard<std::mutex> lock(mu_);
  if (received < last_mail_id_) last_mail_id_ = 0;
}

void LiveStats::Run() {
  const size_t max_samples =
      static_cast<size_t>(options_.history_s * 1000 / std::max(options_.sample_interval_ms, 50));
  while (true) {
    nlohmann::json sample = SampleRedis();
    sample["provider"] = ChaosState();
    PollInbox();
    {
      std::unique_lock<std::mutex> lock(mu_);
      sample["seq"] = next_seq_++;
      samples_.push_back(std::move(sample));
      while (samples_.size() > max_samples) samples_.pop_front();
      ++version_;
      changed_.notify_all();
      if (wake_.wait_for(lock, std::chrono::milliseconds(options_.sample_interval_ms),
                         [this] { return stop_; })) {
        return;
      }
    }
    if (tick_) tick_();
  }
}

nlohmann::json LiveStats::SampleRedis() {
  nlohmann::json sample = {{"t_ms", SystemClock::Default()->NowMillis()}};
  if (!redis_) {
    auto opened = RedisConnection::Open(options_.redis_url, {500, 500});
    if (!opened.ok()) {
      sample["error"] = opened.status().message();
      return sample;
    }
    redis_ = std::move(*opened);
  }
  auto replies = redis_->Pipeline({{"LLEN", "queue:" + options_.queue},
                                   {"ZCARD", "retry"},
                                   {"ZCARD", "dead"},
                                   {"ZCARD", "schedule"},
                                   {"GET", "stat:processed"},
                                   {"GET", "stat:failed"},
                                   {"SMEMBERS", "processes"}});
  if (!replies.ok()) {
    sample["error"] = replies.status().message();
    return sample;
  }
  const auto& r = *replies;
  int64_t processed = IntOf(r[4]);
  sample.update({{"queue", IntOf(r[0])},
                 {"retry", IntOf(r[1])},
                 {"dead", IntOf(r[2])},
                 {"scheduled", IntOf(r[3])},
                 {"processed", processed},
                 {"failed", IntOf(r[5])}});
  int64_t now_ms = sample["t_ms"];
  // Over the last ~2 s: the workers count processed jobs in batches, so one interval is spiky.
  if (!processed_window_.empty() && processed < processed_window_.back().second) {
    processed_window_.clear();  // reset
  }
  processed_window_.emplace_back(now_ms, processed);
  while (processed_window_.size() > 2 && now_ms - processed_window_.front().first > 2000) {
    processed_window_.pop_front();
  }
  double per_s = 0;
  const auto& [first_ms, first_processed] = processed_window_.front();
  if (now_ms > first_ms) {
    per_s = static_cast<double>(processed - first_processed) * 1000.0 /
            static_cast<double>(now_ms - first_ms);
  }
  sample["processed_per_s"] = per_s;
  std::vector<std::vector<std::string>> reads;
  std::vector<std::string> keys;
  for (const auto& member : r[6].elements) {
    if (static_cast<int>(keys.size()) >= kMaxProcesses) break;
    keys.push_back(member.str);
    reads.push_back({"HMGET", member.str, "info", "busy", "beat"});
  }
  nlohmann::json processes = nlohmann::json::array();
  int64_t busy = 0, concurrency = 0;
  if (!reads.empty()) {
    auto infos = redis_->Pipeline(reads);
    for (size_t i = 0; infos.ok() && i < infos->size(); ++i) {
      nlohmann::json entry = ProcessJson(keys[i], (*infos)[i]);
      if (!entry.contains("pid")) continue;  // expired between SMEMBERS and HMGET
      busy += entry.value("busy", int64_t{0});
      concurrency += entry.value("concurrency", int64_t{0});
      processes.push_back(std::move(entry));
    }
  }
  sample.update({{"busy", busy}, {"concurrency", concurrency}, {"processes", processes}});
  return sample;
}

nlohmann::json LiveStats::ChaosState() {
  httplib::Client client(options_.inbox_url);
  client.set_connection_timeout(0, 300000);
  client.set_read_timeout(1, 0);
  auto response = client.Get("/api/chaos");
  if (!response || response->status != 200) return nullptr;
  nlohmann::json state = nlohmann::json::parse(response->body, nullptr, false);
  if (!state.is_object()) return nullptr;
  return {{"config", state.value("config", nlohmann::json::object())},
          {"outage_remaining_s", state.value("outage_remaining_s", 0.0)}};
}

void LiveStats::PollInbox() {
  int64_t since = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (inbox_streaming_) return;  // pushed: polling is the fallback only
    since = last_mail_id_;
  }
  httplib::Client client(options_.inbox_url);
  client.set_connection_timeout(0, 300000);
  client.set_read_timeout(2, 0);
  auto response = client.Get("/messages?limit=500&since_id=" + std::to_string(since));
  if (!response || response->status != 200) return;
  nlohmann::json list = nlohmann::json::parse(response->body, nullptr, false);
  if (!list.is_array()) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& message : list) AddMailLocked(message);
}

void LiveStats::AddMailLocked(const nlohmann::json& message) {
  if (!message.is_object() || !message.contains("id")) return;
  auto id_field = message.find("id");
  if (!id_field->is_number_integer()) return;
  int64_t id = id_field->get<int64_t>();
  if (id <= last_mail_id_) return;  // seen (the stream and a poll can overlap)
  last_mail_id_ = id;
  nlohmann::json headers = message.value("headers", nlohmann::json::object());
  // "id" is the board's own sequence (the page's since_mail): the sink's ids restart with it.
  mails_.push_back({{"id", next_mail_seq_++},
                    {"sink_id", id},
                    {"request_id", StringField(message, "request_id")},
                    {"received_at_us", static_cast<int64_t>(NumberField(message, "received_at"))},
                    {"fib_timing", headers.is_object() ? StringField(headers, kFibTiming) : ""}});
  while (mails_.size() > kMaxMails) mails_.pop_front();
  ++version_;
  changed_.notify_all();
}

nlohmann::json LiveStats::SamplesSince(int64_t since_seq) {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& sample : samples_) {
    if (sample.value("seq", int64_t{0}) > since_seq) out.push_back(sample);
  }
  return out;
}

nlohmann::json LiveStats::MailsSince(int64_t since_mail) {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& mail : mails_) {
    if (mail.value("id", int64_t{0}) > since_mail) out.push_back(mail);
  }
  return out;
}

nlohmann::json LiveStats::Latest() {
  std::lock_guard<std::mutex> lock(mu_);
  return samples_.empty() ? nlohmann::json::object() : samples_.back();
}

void LiveStats::ClearMails() {
  std::lock_guard<std::mutex> lock(mu_);
  mails_.clear();
}

}  // namespace fib
