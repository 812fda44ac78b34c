#include "tests/timed_sender.h"

#include <httplib.h>

#include <algorithm>

namespace fib::test {
namespace {

std::unique_ptr<httplib::Client> ShortTimeoutClient(int port, int timeout_ms) {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", port);
  time_t seconds = timeout_ms / 1000;
  time_t micros = static_cast<time_t>(timeout_ms % 1000) * 1000;
  client->set_connection_timeout(seconds, micros);
  client->set_read_timeout(seconds, micros);
  client->set_write_timeout(seconds, micros);
  client->set_keep_alive(true);
  // Headers and body go out in two writes; with Nagle on, the body of every request after the
  // first would wait for the server's delayed ACK (~40 ms) and hide the web's own latency.
  client->set_tcp_nodelay(true);
  return client;
}

}  // namespace

TimedSender::TimedSender(TimedSenderOptions options)
    : options_(std::move(options)), records_(options_.connections) {}

TimedSender::~TimedSender() { Stop(); }

void TimedSender::Start() {
  epoch_ = std::chrono::steady_clock::now();
  for (int i = 0; i < options_.connections; ++i) threads_.emplace_back([this, i] { SendLoop(i); });
}

void TimedSender::Stop() {
  stop_ = true;
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

double TimedSender::Now() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_).count();
}

std::vector<TimedRequest> TimedSender::Records() const {
  std::vector<TimedRequest> all;
  for (const auto& list : records_) all.insert(all.end(), list.begin(), list.end());
  std::sort(all.begin(), all.end(),
            [](const TimedRequest& a, const TimedRequest& b) { return a.sent_s < b.sent_s; });
  return all;
}

void TimedSender::SendLoop(int connection) {
  auto client = ShortTimeoutClient(options_.port, options_.timeout_ms);
  // Open loop: request n is due at n / rate, whatever happened to request n - connections.
  for (int64_t n = connection; !stop_; n += options_.connections) {
    auto due = epoch_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(n / options_.rate_rps));
    std::this_thread::sleep_until(due);
    if (stop_) break;
    TimedRequest request;
    request.request_id = options_.id_prefix + "-" + std::to_string(n);
    std::string body = "email=" + request.request_id +
                       "%40example.com&sequence_length=" + std::to_string(options_.sequence_length);
    request.sent_s = Now();
    auto result = client->Post("/sequences", {{"X-Request-Id", request.request_id}}, body,
                               "application/x-www-form-urlencoded");
    request.latency_ms = (Now() - request.sent_s) * 1000;
    if (result) {
      request.status = result->status;
      request.job_id = result->get_header_value("X-Job-Id");
    } else {
      // The connection may be half-dead after a timeout; start the next request afresh.
      client = ShortTimeoutClient(options_.port, options_.timeout_ms);
    }
    records_[connection].push_back(std::move(request));
  }
}

}  // namespace fib::test
