#include "mailsink/provider.h"

#include <fmt/format.h>

#include <chrono>

namespace fib {

Provider::Provider(MessageStore* store, SinkCounters* counters, Chaos* chaos, const Clock* clock)
    : store_(store), counters_(counters), chaos_(chaos), clock_(clock) {}

bool Provider::Wait() {
  int64_t delay_ms = chaos_->DrawLatencyMs();
  std::unique_lock<std::mutex> lock(mutex_);
  if (delay_ms <= 0) return !stopping_;
  return !stop_cv_.wait_for(lock, std::chrono::milliseconds(delay_ms),
                            [this] { return stopping_; });
}

SmtpVerdict Provider::Deliver(SmtpEnvelopeMessage message, const std::string& client,
                              int64_t data_end_at_us) {
  if (!Wait()) return {421, "4.3.2 Service shutting down, message not accepted; please retry"};
  if (auto fault = chaos_->OnDataEnd()) {
    if (fault->code == 451) ++counters_->failed_451;
    return {fault->code, fault->text};
  }
  StoredMessage stored;
  stored.client = client;
  stored.helo = std::move(message.helo);
  stored.mail_from = std::move(message.mail_from);
  stored.rcpt_to = std::move(message.rcpt_to);
  stored.data_end_at_us = data_end_at_us;
  stored.raw = std::move(message.data);
  stored.received_at_us = clock_->NowMicros();
  auto saved = store_->Add(std::move(stored));
  if (!saved) {
    ++counters_->rejected;
    return {552, fmt::format("5.3.4 Message needs more memory than the whole inbox may hold "
                             "(--max-store-bytes {})",
                             store_->max_bytes())};
  }
  return {250, fmt::format("2.0.0 Ok: queued as {}", saved->id)};
}

void Provider::Stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  stopping_ = true;
  stop_cv_.notify_all();
}

}  // namespace fib
