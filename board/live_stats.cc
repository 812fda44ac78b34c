#include "board/live_stats.h"

#include <httplib.h>

#include <chrono>

#include "common/clock.h"
#include "common/redis/redis_connection.h"
#include "common/text.h"

namespace fib {
namespace {

constexpr size_t kMaxMails = 2000;  // emails remembered for the page's rows
constexpr int kMaxProcesses = 32;   // heartbeats read per sample
constexpr const char* kFibTiming = "X-Fib-Timing";

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
}

void LiveStats::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
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
  httplib::Client client(options_.inbox_url);
  client.set_connection_timeout(0, 300000);
  client.set_read_timeout(2, 0);
  auto response = client.Get("/messages?limit=500&since_id=" + std::to_string(last_mail_id_));
  if (!response || response->status != 200) return;
  nlohmann::json list = nlohmann::json::parse(response->body, nullptr, false);
  if (!list.is_array()) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& message : list) {
    if (!message.is_object() || !message.contains("id")) continue;
    int64_t id = message.value("id", int64_t{0});
    last_mail_id_ = std::max(last_mail_id_, id);
    nlohmann::json headers = message.value("headers", nlohmann::json::object());
    mails_.push_back({{"id", id},
                      {"request_id", StringField(message, "request_id")},
                      {"received_at_us", message.value("received_at", int64_t{0})},
                      {"fib_timing", StringField(headers, kFibTiming)}});
    while (mails_.size() > kMaxMails) mails_.pop_front();
  }
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
