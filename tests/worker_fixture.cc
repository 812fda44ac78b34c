#include "tests/worker_fixture.h"

#include <httplib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <sstream>
#include <thread>

#include "common/clock.h"
#include "common/text.h"
#include "tests/support/ports.h"

namespace fib::test {

MailSink::MailSink(std::vector<std::string> extra_flags)
    : smtp_port_(FreePort()), http_port_(FreePort()) {
  std::vector<std::string> argv = {BinPath("fibtastic-mailsink"), "--smtp-port",
                                   std::to_string(smtp_port_), "--http-port",
                                   std::to_string(http_port_)};
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  process_ = std::make_unique<Subprocess>(argv);
  if (!WaitForPort(smtp_port_, 10000) || !WaitForPort(http_port_, 10000)) {
    FAIL("fibtastic-mailsink did not start:\n" << process_->Log());
  }
}

nlohmann::json MailSink::Messages() {
  httplib::Client client("127.0.0.1", http_port_);
  client.set_read_timeout(10, 0);
  auto response = client.Get("/messages");
  if (!response || response->status != 200) FAIL("GET /messages failed:\n" << Log());
  return nlohmann::json::parse(response->body);
}

nlohmann::json MailSink::Message(int64_t id) { return GetJson("/messages/" + std::to_string(id)); }

nlohmann::json MailSink::Stats() { return GetJson("/stats"); }

nlohmann::json MailSink::GetJson(const std::string& path) {
  httplib::Client client("127.0.0.1", http_port_);
  auto response = client.Get(path.c_str());
  if (!response || response->status != 200) FAIL("GET " << path << " failed:\n" << Log());
  return nlohmann::json::parse(response->body);
}

nlohmann::json MailSink::WaitForMessages(size_t count, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  nlohmann::json messages = Messages();
  while (messages.size() < count && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    messages = Messages();
  }
  return messages;
}

std::unique_ptr<Subprocess> StartWorker(const RedisServer& redis, const std::string& smtp_url,
                                        std::vector<std::string> extra) {
  std::vector<std::string> argv = {
      BinPath("fibtastic-worker"), "--redis-url", redis.url(),         "--smtp-url", smtp_url,
      "--heartbeat-interval-s",    "1",           "--poll-interval-s", "0.2"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  // The environment must not redirect the worker elsewhere.
  auto worker = std::make_unique<Subprocess>(
      argv, std::map<std::string, std::string>{{"REDIS_PROVIDER", ""}, {"REDIS_URL", ""}});
  if (!WaitForLog(*worker, "starting: identity=", 10000)) {
    FAIL("fibtastic-worker did not start:\n" << worker->Log());
  }
  return worker;
}

bool WaitForLog(Subprocess& process, const std::string& text, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (process.Log().find(text) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

int CountInLog(Subprocess& process, const std::string& text) {
  std::string log = process.Log();
  int count = 0;
  for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++count;
  return count;
}

std::unique_ptr<RedisJobQueue> Producer(const RedisServer& redis) {
  RedisQueueOptions options;
  options.url = redis.url();
  return std::make_unique<RedisJobQueue>(options);
}

JobPayload SequenceJob(const std::string& email, int length, const std::string& request_id) {
  JobPayload payload =
      NewJobPayload("SequenceEmailWorker", {email, length}, *SystemClock::Default());
  payload.request_id = request_id;
  payload.enqueued_at = SystemClock::Default()->NowSeconds();
  return payload;
}

Delivery CountDelivery(const nlohmann::json& messages, const std::set<std::string>& expected) {
  std::map<std::string, int> seen;
  for (const auto& message : messages) {
    if (message["request_id"].is_string()) ++seen[message["request_id"].get<std::string>()];
  }
  Delivery delivery;
  for (const std::string& id : expected) {
    auto it = seen.find(id);
    if (it == seen.end()) {
      delivery.missing.push_back(id);
      continue;
    }
    ++delivery.delivered;
    delivery.duplicates += it->second - 1;
  }
  return delivery;
}

bool WaitForValue(const std::function<std::string()>& probe, const std::string& want,
                  int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (probe() == want) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

bool WaitFor(const std::function<bool()>& condition, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

size_t InProgressJobs(const RedisServer& redis) {
  std::istringstream keys(redis.Cli({"KEYS", "fibtastic:inprogress:*"}));
  size_t total = 0;
  std::string key;
  while (std::getline(keys, key)) {
    if (!key.empty()) total += std::stoul(redis.Cli({"LLEN", key}));
  }
  return total;
}

std::string LocateJob(const RedisServer& redis, const std::string& request_id) {
  const std::string needle = "\"request_id\":\"" + request_id + "\"";
  std::vector<std::pair<std::string, std::string>> places = {
      {"queue:default", redis.Cli({"LRANGE", "queue:default", "0", "-1"})},
      {"retry", redis.Cli({"ZRANGE", "retry", "0", "-1"})},
      {"dead", redis.Cli({"ZRANGE", "dead", "0", "-1"})},
      {"schedule", redis.Cli({"ZRANGE", "schedule", "0", "-1"})}};
  std::istringstream keys(redis.Cli({"KEYS", "fibtastic:inprogress:*"}));
  for (std::string key; std::getline(keys, key);) {
    if (!key.empty()) places.emplace_back(key, redis.Cli({"LRANGE", key, "0", "-1"}));
  }
  std::string found;
  for (const auto& [place, contents] : places) {
    if (contents.find(needle) != std::string::npos) found += (found.empty() ? "" : ", ") + place;
  }
  return found.empty() ? "nowhere" : found;
}

Delivery WaitForDelivery(MailSink& sink, const std::set<std::string>& ids, int timeout_ms,
                         int settle_ms) {
  WaitFor([&] { return CountDelivery(sink.Messages(), ids).missing.empty(); }, timeout_ms);
  std::this_thread::sleep_for(std::chrono::milliseconds(settle_ms));
  return CountDelivery(sink.Messages(), ids);
}

}  // namespace fib::test
