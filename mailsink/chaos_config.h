// ChaosConfig: the provider failures the mail sink injects on purpose (GET/PUT /api/chaos,
// --chaos): a reply code and probability per SMTP step, an outage window, a rate limit,
// disconnects in the middle of DATA and added latency. Parsing is strict: the text is untrusted.
// Thread-safety: value types and pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "mailsink/chaos_point.h"

namespace fib {

struct ChaosFault {
  int code = 0;            // SMTP reply 400..599; 0 = off
  double probability = 0;  // 0..1 of the commands at this point
};

enum class OutageMode {
  kRefuse,    // close every new connection at once after accept, without a word
  kReply421,  // greet with "421 4.3.2" and close
};

inline constexpr double kMaxOutageS = 3600;
inline constexpr double kMaxRatePerS = 100000;
inline constexpr int64_t kMaxBurst = 100000;
inline constexpr int64_t kMaxLatencyMs = 3600LL * 1000;  // ms + jitter_ms, as --delay-ms

struct ChaosConfig {
  std::array<ChaosFault, kChaosPointCount> faults{};
  double outage_for_s = 0;  // 0 = no outage; counted from the moment the config is set
  OutageMode outage_mode = OutageMode::kReply421;
  double rate_limit_per_s = 0;   // 0 = no limit; messages (MAIL commands) per second
  int64_t rate_limit_burst = 0;  // bucket size; 0 = the default, max(1, ceil(rate_limit_per_s))
  double disconnect_mid_data_probability = 0;  // close the connection right after "354"
  int64_t latency_ms = 0;                      // held before the final reply to DATA (per message)
  int64_t latency_jitter_ms = 0;  // latency is uniform in latency_ms +- this (at least 0)
  std::optional<uint64_t> seed;   // reseeds the draws when the config is set

  ChaosFault& fault(ChaosPoint point) { return faults[static_cast<size_t>(point)]; }
  const ChaosFault& fault(ChaosPoint point) const { return faults[static_cast<size_t>(point)]; }
};

// Largest PUT /api/chaos body (the inbox's request body cap).
inline constexpr size_t kMaxChaosBodyBytes = 4 * 1024;

// Parses and validates a chaos document (see docs/mail-sink.md "Provider failures"). Unknown
// fields, wrong types and values out of range are errors naming the field and the allowed range.
// `{}` is the empty config (normal service).
Result<ChaosConfig> ParseChaosConfig(std::string_view text);
// Returns the document ParseChaosConfig reads back as `config` (only the fields that are on).
nlohmann::json ChaosConfigJson(const ChaosConfig& config);
// Returns `base` with the old provider flags laid over it: --delay-ms is latency_ms, --fail-rate
// is a data_end fault with 451. An error names the flag when `base` sets the same field too.
Result<ChaosConfig> ApplyProviderPresets(ChaosConfig base, int64_t delay_ms, double fail_rate);

}  // namespace fib
