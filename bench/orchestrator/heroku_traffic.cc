#include "bench/orchestrator/heroku_traffic.h"

#include <fmt/format.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench/orchestrator/drain_watch.h"

namespace fib::bench {

namespace {

int64_t Planned(const PostPlan& plan) {
  return plan.count > 0 ? plan.count : std::llround(plan.rate_rps * plan.duration_s);
}

void PostThread(const PostPlan& plan, int64_t start_us, std::atomic<int64_t>* next,
                std::vector<Posted>* out) {
  httplib::Client client(plan.url);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(10, 0);
  const int64_t total = Planned(plan);
  for (int64_t n = (*next)++; n < total; n = (*next)++) {
    int64_t due_us = start_us + static_cast<int64_t>(1e6 * n / plan.rate_rps);
    int64_t wait_us = due_us - WallMicros();
    if (wait_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(wait_us));
    Posted& p = (*out)[static_cast<size_t>(n)];
    p.id = plan.prefix + std::to_string(n);
    p.sent_us = WallMicros();
    httplib::Headers headers = {{"X-Request-Id", p.id}};
    auto res = client.Post("/sequences", headers,
                           fmt::format("email=user{}%40example.com&sequence_length=10", n),
                           "application/x-www-form-urlencoded");
    p.done_us = WallMicros();
    p.status = res ? res->status : 0;
  }
}

}  // namespace

std::vector<Posted> PostJobs(const PostPlan& plan) {
  std::vector<Posted> out(static_cast<size_t>(Planned(plan)));
  std::atomic<int64_t> next{0};
  const int64_t start_us = WallMicros();
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(plan.threads));
  for (int i = 0; i < plan.threads; ++i) {
    threads.emplace_back(PostThread, std::cref(plan), start_us, &next, &out);
  }
  for (auto& t : threads) t.join();
  return out;
}

Result<std::map<std::string, std::vector<int64_t>>> InboxByRequestId(const std::string& mail_url) {
  httplib::Client client(mail_url);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(30, 0);
  auto response = client.Get("/messages");
  if (!response || response->status != 200) {
    return Status::Error(fmt::format("cannot list the inbox at {}/messages ({})", mail_url,
                                     response ? fmt::format("HTTP {}", response->status)
                                              : httplib::to_string(response.error())));
  }
  nlohmann::json list = nlohmann::json::parse(response->body, nullptr, false);
  if (!list.is_array()) return Status::Error("the mail sink's /messages is not a JSON array");
  std::map<std::string, std::vector<int64_t>> by_id;
  for (const auto& m : list) {
    if (!m.is_object() || !m.contains("request_id") || !m["request_id"].is_string()) continue;
    int64_t at = m.value("received_at", int64_t{0});
    by_id[m["request_id"].get<std::string>()].push_back(at);
  }
  return by_id;
}

Tally Count(const std::vector<Posted>& posted,
            const std::map<std::string, std::vector<int64_t>>& inbox) {
  Tally t;
  for (const auto& p : posted) {
    ++t.sent;
    auto found = inbox.find(p.id);
    size_t emails = found == inbox.end() ? 0 : found->second.size();
    if (emails > 1) ++t.duplicated;
    if (Accepted(p.status)) {
      ++t.accepted;
      emails > 0 ? ++t.delivered : ++t.lost;
      continue;
    }
    if (p.status == 503) {
      ++t.rejected_503;
      t.max_503_ms = std::max(t.max_503_ms, (p.done_us - p.sent_us) / 1000.0);
    } else {
      ++t.other_failures;
    }
    if (emails > 0) ++t.unaccepted_delivered;
  }
  return t;
}

Result<std::map<std::string, std::vector<int64_t>>> WaitForEmails(const std::string& mail_url,
                                                                  const std::vector<Posted>& posted,
                                                                  int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto inbox = InboxByRequestId(mail_url);
    if (!inbox.ok()) return inbox;
    bool all = true;
    for (const auto& p : posted) {
      if (Accepted(p.status) && inbox->find(p.id) == inbox->end()) {
        all = false;
        break;
      }
    }
    if (all || std::chrono::steady_clock::now() >= deadline) return inbox;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

}  // namespace fib::bench
