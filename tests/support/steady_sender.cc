#include "tests/support/steady_sender.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <memory>

namespace fib::test {
namespace {

std::unique_ptr<httplib::Client> SenderClient(const SteadySenderOptions& options) {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", options.port);
  client->set_connection_timeout(std::chrono::milliseconds(options.connect_timeout_ms));
  client->set_read_timeout(std::chrono::milliseconds(options.timeout_ms));
  client->set_write_timeout(std::chrono::milliseconds(options.timeout_ms));
  client->set_keep_alive(true);
  // Headers and body go out in two writes; with Nagle on, the body of every request after the
  // first would wait for the server's delayed ACK (~40 ms) and hide the web's own latency.
  client->set_tcp_nodelay(true);
  return client;
}

// Returns the one-line description of a request that was not accepted.
std::string Failure(const SentRequest& request, size_t max_body) {
  if (request.status == 0) return request.request_id + ": " + request.error;
  std::string line = request.request_id + ": HTTP " + std::to_string(request.status);
  if (request.status / 100 == 2) return line + " without its X-Request-Id echoed";
  return max_body == 0 ? line : line + " " + request.body.substr(0, max_body);
}

}  // namespace

int64_t SenderResult::errors() const {
  int64_t rejected = 0;
  for (const auto& [status, count] : rejected_by_status) rejected += count;
  return transport_errors + rejected;
}

std::set<std::string> SenderResult::AcceptedIdSet() const {
  return {accepted_ids.begin(), accepted_ids.end()};
}

void SenderResult::Merge(const SenderResult& other) {
  sent += other.sent;
  accepted_ids.insert(accepted_ids.end(), other.accepted_ids.begin(), other.accepted_ids.end());
  transport_errors += other.transport_errors;
  for (const auto& [status, count] : other.rejected_by_status) rejected_by_status[status] += count;
  if (first_error.empty()) first_error = other.first_error;
  for (const std::string& failure : other.failures) {
    if (failures.size() < 10) failures.push_back(failure);
  }
  max_lag_ms = std::max(max_lag_ms, other.max_lag_ms);
}

SenderResult SummarizeRecords(const std::vector<SentRequest>& records) {
  SenderResult result;
  for (const SentRequest& request : records) {
    ++result.sent;
    result.max_lag_ms = std::max(result.max_lag_ms, static_cast<int64_t>(request.lag_ms));
    if (request.accepted()) {
      result.accepted_ids.push_back(request.request_id);
      continue;
    }
    if (request.status == 0) {
      ++result.transport_errors;
    } else {
      ++result.rejected_by_status[request.status];
    }
    if (result.first_error.empty()) result.first_error = Failure(request, 4000);
    if (result.failures.size() < 10) result.failures.push_back(Failure(request, 0));
  }
  return result;
}

SteadySender::SteadySender(SteadySenderOptions options)
    : options_(std::move(options)), records_(options_.connections) {}

SteadySender::~SteadySender() { Stop(); }

void SteadySender::Start() {
  epoch_ = std::chrono::steady_clock::now();
  for (int i = 0; i < options_.connections; ++i) threads_.emplace_back([this, i] { SendLoop(i); });
}

void SteadySender::Join() {
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

void SteadySender::Stop() {
  stop_ = true;
  Join();
}

double SteadySender::Now() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_).count();
}

std::vector<SentRequest> SteadySender::Records() const {
  std::vector<SentRequest> all;
  for (const auto& list : records_) all.insert(all.end(), list.begin(), list.end());
  std::stable_sort(all.begin(), all.end(),
                   [](const SentRequest& a, const SentRequest& b) { return a.sent_s < b.sent_s; });
  return all;
}

bool SteadySender::SleepUntil(std::chrono::steady_clock::time_point due) const {
  // Short steps, so Stop is prompt even at low rates.
  while (!stop_ && std::chrono::steady_clock::now() < due) {
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        due - std::chrono::steady_clock::now(), std::chrono::milliseconds(50)));
  }
  return !stop_;
}

// Open loop: request n is due at n / rate, whatever happened to request n - connections; a slow
// answer delays only this connection's next requests, which then go out back to back.
void SteadySender::SendLoop(int connection) {
  auto client = SenderClient(options_);
  for (int64_t n = connection; options_.requests < 0 || n < options_.requests;
       n += options_.connections) {
    auto due = epoch_;
    if (options_.rate_rps > 0) {
      due += std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(n / options_.rate_rps));
    }
    if (!SleepUntil(due)) break;
    SentRequest request;
    request.request_id = options_.id_prefix + "-" + std::to_string(n);
    std::string body = "email=" + request.request_id + "%40" + options_.email_domain +
                       "&sequence_length=" + std::to_string(options_.sequence_length);
    request.sent_s = Now();
    request.lag_ms =
        options_.rate_rps > 0 ? std::max(0.0, (request.sent_s - n / options_.rate_rps) * 1000) : 0;
    auto result = client->Post("/sequences", {{"X-Request-Id", request.request_id}}, body,
                               "application/x-www-form-urlencoded");
    request.latency_ms = (Now() - request.sent_s) * 1000;
    if (result) {
      request.status = result->status;
      request.id_echoed = result->get_header_value("X-Request-Id") == request.request_id;
      request.job_id = result->get_header_value("X-Job-Id");
      if (result->status / 100 != 2) request.body = result->body.substr(0, 4000);
    } else {
      request.error = httplib::to_string(result.error());
      // The connection may be half-dead after a timeout; start the next request afresh.
      client = SenderClient(options_);
    }
    records_[connection].push_back(std::move(request));
  }
}

SenderResult SendBurst(SteadySenderOptions options, int connections, int requests_per_connection) {
  options.rate_rps = 0;
  options.connections = connections;
  options.requests = static_cast<int64_t>(connections) * requests_per_connection;
  SteadySender sender(std::move(options));
  sender.Start();
  sender.Join();
  return sender.Result();
}

}  // namespace fib::test
