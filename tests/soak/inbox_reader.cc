#include "tests/soak/inbox_reader.h"

#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>

namespace fib::test {

void InboxReader::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void InboxReader::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  thread_.join();
  PollOnce();  // whatever arrived since the last poll
}

void InboxReader::Loop() {
  while (!stop_) {
    PollOnce();
    for (int slept_ms = 0; !stop_ && slept_ms < options_.poll_interval_ms; slept_ms += 25) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
}

void InboxReader::PollOnce() {
  httplib::Client client("127.0.0.1", options_.http_port);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(30, 0);
  // Page until the sink has nothing newer, so a burst cannot outrun the ring.
  for (;;) {
    int64_t since;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      since = last_id_;
    }
    auto response = client.Get("/messages?since_id=" + std::to_string(since) +
                               "&limit=" + std::to_string(options_.page_limit));
    std::lock_guard<std::mutex> lock(mutex_);
    if (!response || response->status != 200) {
      ++poll_errors_;
      last_error_ = response ? "HTTP " + std::to_string(response->status)
                             : httplib::to_string(response.error());
      return;
    }
    auto page = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
    if (!page.is_array()) {
      ++poll_errors_;
      last_error_ = "GET /messages did not return a JSON array";
      return;
    }
    for (const auto& message : page) {
      int64_t id = message.value("id", int64_t{0});
      if (id > last_id_ + 1) missed_by_gap_ += id - last_id_ - 1;
      last_id_ = std::max(last_id_, id);
      ++emails_read_;
      if (message["request_id"].is_string()) ++emails_by_id_[message["request_id"]];
    }
    if (static_cast<int>(page.size()) < options_.page_limit) return;
  }
}

DeliveryCount InboxReader::Count(const std::vector<std::string>& ids) const {
  std::lock_guard<std::mutex> lock(mutex_);
  DeliveryCount count;
  count.expected = static_cast<int64_t>(ids.size());
  for (const std::string& id : ids) {
    auto it = emails_by_id_.find(id);
    if (it == emails_by_id_.end()) {
      if (count.missing.size() < 20) count.missing.push_back(id);
      continue;
    }
    ++count.delivered;
    count.duplicates += it->second - 1;
  }
  return count;
}

int64_t InboxReader::emails_read() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return emails_read_;
}
int64_t InboxReader::missed_by_gap() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return missed_by_gap_;
}
int64_t InboxReader::poll_errors() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return poll_errors_;
}
std::string InboxReader::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

}  // namespace fib::test
