#include "tests/support/delivery.h"

#include <chrono>
#include <map>
#include <thread>

#include "tests/support/polling.h"

namespace fib::test {

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

Delivery WaitForDelivery(const MailSink& sink, const std::set<std::string>& ids, int timeout_ms,
                         int settle_ms, double* waited_s) {
  auto start = std::chrono::steady_clock::now();
  WaitFor([&] { return CountDelivery(sink.Messages(), ids).missing.empty(); }, timeout_ms);
  if (waited_s != nullptr) *waited_s = SecondsSince(start);
  std::this_thread::sleep_for(std::chrono::milliseconds(settle_ms));
  return CountDelivery(sink.Messages(), ids);
}

size_t CountMessagesFor(const nlohmann::json& messages, const std::set<std::string>& ids) {
  size_t count = 0;
  for (const auto& message : messages) {
    if (message["request_id"].is_string() &&
        ids.count(message["request_id"].get<std::string>()) > 0) {
      ++count;
    }
  }
  return count;
}

}  // namespace fib::test
