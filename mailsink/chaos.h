// Chaos: the provider failures the mail sink injects at runtime, switched by PUT /api/chaos or
// --chaos (ChaosConfig): the SMTP side asks it at each step whether to fail, and it draws from
// one seeded engine, so a given seed and call order give the same outcomes.
// Thread-safety: every method may be called from any thread; the config, the engine, the outage
// window and the rate bucket sit under one mutex (held for a draw, never while waiting).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>

#include "common/clock.h"
#include "mailsink/chaos_config.h"
#include "mailsink/token_bucket.h"

namespace fib {

// How many faults were injected, by kind (GET /stats "chaos", GET /api/chaos "injected").
struct ChaosCounters {
  std::array<std::atomic<int64_t>, kChaosPointCount> by_point{};  // per-step faults
  std::atomic<int64_t> outage_refused{0};  // connections closed at accept during an outage
  std::atomic<int64_t> outage_421{0};      // 421s (greeting or MAIL) during an outage
  std::atomic<int64_t> rate_limited{0};    // MAIL answered 421 4.7.0 over the rate limit
  std::atomic<int64_t> disconnects_mid_data{0};
  std::atomic<int64_t> delayed_messages{0};  // messages held by the latency setting
};

class Chaos {
 public:
  // `seed` 0 picks a random seed (a seed in `config` wins). `clock` must outlive this.
  Chaos(ChaosConfig config, uint64_t seed, const Clock* clock);

  // Replaces the whole config at once (nothing else changes); the outage window and a full rate
  // bucket start now; a seed in `config` reseeds the draws. Logs the change.
  void Set(const ChaosConfig& config);
  ChaosConfig config() const;
  // Returns {"config", "outage_remaining_s", "rate_limit_tokens", "injected"} for GET /api/chaos.
  nlohmann::json StateJson() const;
  // Returns the counters as a JSON object (GET /stats "chaos").
  nlohmann::json CountersJson() const;
  const ChaosCounters& counters() const { return counters_; }

  // Each On* returns the fault to inject at that step, or nothing for normal service.
  // At accept: an outage in "refuse" mode (silent close), then the connect fault.
  std::optional<ChaosReply> OnConnect();
  // Instead of the 220: an outage in "421" mode, then the greeting fault.
  std::optional<ChaosReply> OnGreeting();
  // A command about to be accepted (kEhlo, kAuth, kMail, kRcpt). At MAIL also: an outage (so
  // kept-alive connections see it too), then the fault, then the rate limit (421 4.7.0).
  std::optional<ChaosReply> OnCommand(ChaosPoint point);
  // The end of DATA, before the message is stored.
  std::optional<ChaosReply> OnDataEnd();
  // Returns true when this message's connection should drop right after "354".
  bool DrawDisconnectMidData();
  // Returns how long to hold this message before its final reply (0 when latency is off).
  int64_t DrawLatencyMs();
  // Returns the longest hold the current settings allow (latency ms + jitter_ms; 0 when off).
  int64_t MaxLatencyMs() const;

 private:
  bool Draw(double probability);                      // REQUIRES: mutex_ held
  std::optional<ChaosReply> Fault(ChaosPoint point);  // REQUIRES: mutex_ held
  double OutageRemainingS() const;                    // REQUIRES: mutex_ held
  void Reset(const ChaosConfig& config);              // REQUIRES: mutex_ held

  const Clock* clock_;
  mutable std::mutex mutex_;
  ChaosConfig config_;
  std::mt19937_64 random_;
  int64_t outage_until_us_ = 0;                // monotonic
  mutable std::optional<TokenBucket> bucket_;  // refilled by reads too
  ChaosCounters counters_;
};

}  // namespace fib
