#include "tests/soak/steady_sender.h"

#include <httplib.h>

#include <chrono>
#include <memory>

namespace fib::test {

int64_t SenderResult::errors() const {
  int64_t rejected = 0;
  for (const auto& [status, count] : rejected_by_status) rejected += count;
  return transport_errors + rejected;
}

void SenderResult::Merge(const SenderResult& other) {
  sent += other.sent;
  accepted_ids.insert(accepted_ids.end(), other.accepted_ids.begin(), other.accepted_ids.end());
  transport_errors += other.transport_errors;
  for (const auto& [status, count] : other.rejected_by_status) rejected_by_status[status] += count;
  if (first_error.empty()) first_error = other.first_error;
  max_lag_ms = std::max(max_lag_ms, other.max_lag_ms);
}

SenderResult SendBurst(const SteadySenderOptions& options, int connections,
                       int requests_per_connection) {
  std::vector<std::unique_ptr<SteadySender>> senders;
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    SteadySenderOptions one = options;
    one.id_prefix = options.id_prefix + "-" + std::to_string(c);
    senders.push_back(std::make_unique<SteadySender>(one));
    threads.emplace_back([sender = senders.back().get(), requests_per_connection] {
      sender->SendUnpaced(requests_per_connection);
    });
  }
  SenderResult merged;
  for (int c = 0; c < connections; ++c) {
    threads[c].join();
    merged.Merge(senders[c]->result());
  }
  return merged;
}

void SteadySender::SendUnpaced(int requests) {
  httplib::Client client("127.0.0.1", options_.port);
  ConfigureClient(&client);
  for (int n = 0; n < requests; ++n) {
    ++result_.sent;
    SendOne(&client, options_.id_prefix + "-" + std::to_string(n));
  }
}

void SteadySender::ConfigureClient(httplib::Client* client) {
  client->set_keep_alive(true);
  // Headers and body go out in two writes; without NODELAY, Nagle + delayed ACK add ~40 ms each.
  client->set_tcp_nodelay(true);
  client->set_connection_timeout(5, 0);
  client->set_read_timeout(options_.read_timeout_s, 0);
}

void SteadySender::SendOne(httplib::Client* client, const std::string& id) {
  std::string body =
      "email=" + id + "%40soak.example&sequence_length=" + std::to_string(options_.sequence_length);
  auto response =
      client->Post("/sequences", {{"X-Request-Id", id}}, body, "application/x-www-form-urlencoded");
  if (!response) {
    ++result_.transport_errors;
    if (result_.first_error.empty()) {
      result_.first_error = id + ": " + httplib::to_string(response.error());
    }
  } else if (response->status / 100 != 2) {
    ++result_.rejected_by_status[response->status];
    if (result_.first_error.empty()) {
      result_.first_error =
          id + ": HTTP " + std::to_string(response->status) + " " + response->body.substr(0, 4000);
    }
  } else {
    result_.accepted_ids.push_back(id);
  }
}

void SteadySender::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void SteadySender::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  thread_.join();
}

void SteadySender::Loop() {
  httplib::Client client("127.0.0.1", options_.port);
  ConfigureClient(&client);
  const auto start = std::chrono::steady_clock::now();
  const auto interval = std::chrono::duration<double>(1.0 / options_.rate_rps);
  for (int64_t n = 0; !stop_; ++n) {
    auto intended =
        start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval * n);
    // Sleep in short steps so Stop is prompt even at low rates.
    while (!stop_ && std::chrono::steady_clock::now() < intended) {
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          intended - std::chrono::steady_clock::now(), std::chrono::milliseconds(50)));
    }
    if (stop_) break;
    auto lag = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - intended);
    result_.max_lag_ms = std::max<int64_t>(result_.max_lag_ms, lag.count());
    ++result_.sent;
    SendOne(&client, options_.id_prefix + "-" + std::to_string(n));
  }
}

}  // namespace fib::test
