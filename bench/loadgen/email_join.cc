#include "bench/loadgen/email_join.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "bench/loadgen/mono_time.h"
#include "common/flags.h"
#include "common/text.h"

namespace fib {
namespace {

// Returns the message's header `lower_name` (matched case-insensitively), or nullptr.
const std::string* HeaderOf(const nlohmann::json& message, std::string_view lower_name) {
  auto headers = message.find("headers");
  if (headers == message.end() || !headers->is_object()) return nullptr;
  for (const auto& [name, value] : headers->items()) {
    if (value.is_string() && name.size() == lower_name.size() &&
        std::equal(name.begin(), name.end(), lower_name.begin(),
                   [](char a, char b) { return std::tolower(a) == b; })) {
      return value.get_ptr<const std::string*>();
    }
  }
  return nullptr;
}

// Returns the message's X-Request-Id: the "request_id" field, else the header.
std::string RequestIdOf(const nlohmann::json& message) {
  auto id = message.find("request_id");
  if (id != message.end() && id->is_string()) return *id;
  const std::string* header = HeaderOf(message, "x-request-id");
  return header ? *header : "";
}

// Long-polls the sink until the email with X-Request-Id `id` is in or `timeout_ms` passed.
// Returns false when the sink has no wait endpoint (an unknown page, e.g. mailcatcher) or did
// not answer: the caller then sleeps between pages instead.
bool WaitForEmail(httplib::Client& client, const std::string& id, int64_t timeout_ms) {
  if (id.empty()) return false;
  auto response = client.Get("/messages/wait?request_id=" + PercentEncode(id) +
                             "&timeout_ms=" + std::to_string(timeout_ms));
  if (!response) return false;
  // 404 is also the wait's own "not within timeout_ms"; its text says so.
  return response->status == 200 ||
         (response->status == 404 && response->body.find("arrived within") != std::string::npos);
}

}  // namespace

EmailJoin::EmailJoin(std::string run_id, const std::vector<SentRequest>& expected)
    : prefix_(std::move(run_id) + "-") {
  for (const auto& r : expected) {
    if (pending_.emplace(r.number, Pending{r.intended_wall_us, r.response_us}).second) {
      order_.push_back(r.number);
    }
  }
  std::sort(order_.begin(), order_.end());
  result_.expected = static_cast<int64_t>(pending_.size());
}

void EmailJoin::AddMessages(const nlohmann::json& messages) {
  if (!messages.is_array()) return;
  for (const auto& m : messages) {
    if (!m.is_object()) continue;
    if (m.contains("id") && m["id"].is_number_integer()) {
      last_id_ = std::max(last_id_, m["id"].get<int64_t>());
    }
    std::string id = RequestIdOf(m);
    if (id.rfind(prefix_, 0) != 0) continue;
    auto number = ParseInt(id.substr(prefix_.size()), "request id");
    if (!number.ok()) continue;
    auto it = pending_.find(*number);
    if (it == pending_.end()) continue;  // a warmup request or an error response
    if (++it->second.emails > 1) {
      ++result_.duplicates;
      continue;
    }
    int64_t received_at = m.value("received_at", int64_t{0});
    int64_t e2e = received_at - it->second.intended_wall_us;
    result_.e2e.Record(e2e);
    if (e2e < it->second.response_us) ++result_.before_response;
    stages_.Add(it->second.intended_wall_us, HeaderOf(m, "x-fib-timing"), received_at);
    ++result_.received;
  }
}

EmailJoinResult EmailJoin::Finish() {
  result_.missing = result_.expected - result_.received;
  result_.stages = stages_.result();
  result_.missing_ids.clear();
  for (int64_t n : order_) {
    if (result_.missing_ids.size() >= 100) break;
    if (pending_[n].emails == 0) result_.missing_ids.push_back(prefix_ + std::to_string(n));
  }
  return result_;
}

std::string EmailJoin::OldestMissingId() {
  while (missing_cursor_ < order_.size() && pending_[order_[missing_cursor_]].emails > 0) {
    ++missing_cursor_;
  }
  if (missing_cursor_ == order_.size()) return "";
  return prefix_ + std::to_string(order_[missing_cursor_]);
}

Result<EmailJoinResult> EmailJoin::Run(const HttpUrl& mail, std::string run_id,
                                       const std::vector<SentRequest>& expected, double drain_s) {
  EmailJoin join(std::move(run_id), expected);
  httplib::Client client(mail.host, mail.port);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(10, 0);
  int64_t deadline = MonoMicros() + static_cast<int64_t>(drain_s * 1e6);
  bool can_wait = true;  // until the sink shows it has no GET /messages/wait
  for (;;) {
    std::string path = "/messages?since_id=" + std::to_string(join.last_id()) + "&limit=100000";
    auto response = client.Get(path);
    if (!response || response->status != 200) {
      return Status::Error("--mail: cannot read the inbox at http://" + mail.HostPort() + path +
                           ": " +
                           (response ? "HTTP " + std::to_string(response->status)
                                     : httplib::to_string(response.error())));
    }
    auto json = nlohmann::json::parse(response->body, nullptr, false);
    if (!json.is_array()) {
      return Status::Error("--mail: GET /messages at " + mail.HostPort() +
                           " did not return a JSON array");
    }
    join.AddMessages(json);
    if (join.complete() || MonoMicros() >= deadline) break;
    int64_t wait_ms = std::clamp<int64_t>((deadline - MonoMicros()) / 1000, 1, 1000);
    if (!can_wait || !WaitForEmail(client, join.OldestMissingId(), wait_ms)) {
      can_wait = false;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  return join.Finish();
}

}  // namespace fib
