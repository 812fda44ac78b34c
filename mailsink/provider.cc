#include "mailsink/provider.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace fib {

Provider::Provider(MessageStore* store, SinkCounters* counters, Chaos* chaos, const Clock* clock)
    : store_(store), counters_(counters), chaos_(chaos), clock_(clock) {}

bool Provider::Wait() {
  // How often a held message looks at the chaos settings again.
  constexpr auto kRecheck = std::chrono::milliseconds(50);
  int64_t delay_ms = chaos_->DrawLatencyMs();
  auto start = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  // New settings apply to the messages already held, or clearing the chaos would leave them
  // waiting out a latency of up to an hour: each is held at most the longest latency the
  // current settings allow, counted from its start.
  while (!stopping_) {
    int64_t hold_ms = std::min(delay_ms, chaos_->MaxLatencyMs());
    auto until = start + std::chrono::milliseconds(hold_ms);
    auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    stop_cv_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(until - now, kRecheck),
                      [this] { return stopping_; });
  }
  return false;
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
