#include "tests/fault_worker_fixture.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>


namespace fib::test {

SteadySender::SteadySender(SenderOptions options) : options_(std::move(options)) {}

SteadySender::~SteadySender() { Join(); }

void SteadySender::Start() {
  start_ = std::chrono::steady_clock::now();
  for (int t = 0; t < options_.threads; ++t) threads_.emplace_back([this, t] { SendLoop(t); });
}

void SteadySender::Join() {
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

std::set<std::string> SteadySender::AcceptedIds() const {
  std::lock_guard lock(mu_);
  return accepted_ids_;
}

std::vector<std::string> SteadySender::Failures() const {
  std::lock_guard lock(mu_);
  return failures_;
}

// Open loop: each request has its due time; a slow answer delays only this connection's next
// requests, which then go out back to back until the schedule is met again.
void SteadySender::SendLoop(int thread_index) {
  httplib::Client client("127.0.0.1", options_.port);
  client.set_keep_alive(true);
  // Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm and the
  // server's delayed ACK hold every request ~40 ms.
  client.set_tcp_nodelay(true);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(10, 0);
  for (int i = thread_index; i < options_.requests; i += options_.threads) {
    auto due =
        start_ + std::chrono::microseconds(static_cast<int64_t>(i * 1e6 / options_.rate_rps));
    std::this_thread::sleep_until(due);
    std::string id = fmt::format("{}-{}", options_.id_prefix, i);
    std::string body =
        fmt::format("email=fw{}%40example.com&sequence_length={}", i, options_.sequence_length);
    auto response = client.Post("/sequences", {{"X-Request-Id", id}}, body,
                                "application/x-www-form-urlencoded");
    ++sent_;
    bool ok =
        response && response->status == 200 && response->get_header_value("X-Request-Id") == id;
    std::lock_guard lock(mu_);
    if (ok) {
      ++accepted_;
      accepted_ids_.insert(id);
    } else if (failures_.size() < 10) {
      failures_.push_back(response
                              ? fmt::format("{}: HTTP {}", id, response->status)
                              : fmt::format("{}: {}", id, httplib::to_string(response.error())));
    }
  }
}

LatencySummary Summarize(std::vector<double> latencies_ms) {
  LatencySummary summary;
  summary.count = latencies_ms.size();
  if (latencies_ms.empty()) return summary;
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto rank = [&](double q) {
    size_t index = static_cast<size_t>(std::ceil(q * latencies_ms.size()));
    return latencies_ms[std::clamp<size_t>(index, 1, latencies_ms.size()) - 1];
  };
  summary.p50_ms = rank(0.5);
  summary.p90_ms = rank(0.9);
  summary.max_ms = latencies_ms.back();
  return summary;
}

}  // namespace fib::test
