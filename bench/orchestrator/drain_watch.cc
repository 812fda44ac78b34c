#include "bench/orchestrator/drain_watch.h"

#include <fmt/format.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/clock.h"
#include "common/redis/redis_connection.h"

namespace fib::bench {

Result<int64_t> WaitForQueueDepth(const std::string& redis_url, const std::string& queue,
                                  int64_t depth, int timeout_ms) {
  auto redis = RedisConnection::Open(redis_url);
  if (!redis.ok()) return redis.status();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int64_t seen = 0;
  for (;;) {
    auto reply = (*redis)->Command({"LLEN", "queue:" + queue});
    if (!reply.ok()) return reply.status();
    seen = reply->integer;
    if (seen >= depth) return seen;
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Error(fmt::format("only {} of {} jobs reached queue '{}' within {} ms", seen,
                                       depth, queue, timeout_ms));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<std::vector<int64_t>> InboxReceivedTimes(const std::string& mail_url) {
  httplib::Client client(mail_url);
  client.set_read_timeout(30, 0);
  auto response = client.Get("/messages");
  if (!response || response->status != 200) {
    return Status::Error(fmt::format("cannot list the mail sink's inbox at {}/messages ({})",
                                     mail_url,
                                     response ? fmt::format("HTTP {}", response->status)
                                              : httplib::to_string(response.error())));
  }
  nlohmann::json list = nlohmann::json::parse(response->body, nullptr, false);
  if (!list.is_array()) return Status::Error("the mail sink's /messages is not a JSON array");
  std::vector<int64_t> times;
  for (const auto& m : list) {
    if (m.is_object() && m.contains("received_at") && m["received_at"].is_number_integer()) {
      times.push_back(m["received_at"].get<int64_t>());
    }
  }
  return times;
}

int64_t WallMicros() { return SystemClock::Default()->NowMicros(); }

}  // namespace fib::bench
