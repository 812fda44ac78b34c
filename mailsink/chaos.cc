#include "mailsink/chaos.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/log.h"

namespace fib {
namespace {

ChaosReply InjectedReply(int code, ChaosPoint point) {
  std::string where = ChaosPointName(point);
  if (code == 421) {
    return {421,
            fmt::format("4.3.2 Service not available (injected at {} by the chaos settings), "
                        "closing connection",
                        where),
            true};
  }
  bool close = point == ChaosPoint::kConnect || point == ChaosPoint::kGreeting;
  if (code < 500) {
    return {code,
            fmt::format("4.3.0 Temporary failure (injected at {} by the chaos settings); "
                        "please retry",
                        where),
            close};
  }
  return {code,
          fmt::format("5.3.0 Permanent failure (injected at {} by the chaos settings)", where),
          close};
}

uint64_t PickSeed(uint64_t seed) { return seed != 0 ? seed : std::random_device{}(); }

}  // namespace

Chaos::Chaos(ChaosConfig config, uint64_t seed, const Clock* clock)
    : clock_(clock), random_(PickSeed(config.seed.value_or(seed))) {
  std::lock_guard<std::mutex> lock(mutex_);
  Reset(config);
}

void Chaos::Reset(const ChaosConfig& config) {
  config_ = config;
  if (config.seed) random_.seed(PickSeed(*config.seed));
  int64_t now_us = clock_->MonotonicMicros();
  outage_until_us_ = now_us + static_cast<int64_t>(std::llround(config.outage_for_s * 1e6));
  bucket_.reset();
  if (config.rate_limit_per_s > 0) {
    int64_t burst =
        config.rate_limit_burst > 0
            ? config.rate_limit_burst
            : std::max<int64_t>(1, static_cast<int64_t>(std::ceil(config.rate_limit_per_s)));
    bucket_.emplace(config.rate_limit_per_s, burst, now_us);
  }
}

void Chaos::Set(const ChaosConfig& config) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Reset(config);
  }
  Log("chaos settings now {}", ChaosConfigJson(config).dump());
}

ChaosConfig Chaos::config() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return config_;
}

double Chaos::OutageRemainingS() const {
  if (config_.outage_for_s <= 0) return 0;
  return std::max<double>(0,
                          static_cast<double>(outage_until_us_ - clock_->MonotonicMicros()) / 1e6);
}

nlohmann::json Chaos::CountersJson() const {
  nlohmann::json injected = nlohmann::json::object();
  for (size_t i = 0; i < kChaosPointCount; ++i) {
    injected[ChaosPointName(static_cast<ChaosPoint>(i))] = counters_.by_point[i].load();
  }
  injected["outage_refused"] = counters_.outage_refused.load();
  injected["outage_421"] = counters_.outage_421.load();
  injected["rate_limited"] = counters_.rate_limited.load();
  injected["disconnects_mid_data"] = counters_.disconnects_mid_data.load();
  injected["delayed_messages"] = counters_.delayed_messages.load();
  return injected;
}

nlohmann::json Chaos::StateJson() const {
  std::lock_guard<std::mutex> lock(mutex_);
  nlohmann::json state = {{"config", ChaosConfigJson(config_)},
                          {"outage_remaining_s", OutageRemainingS()},
                          {"injected", CountersJson()}};
  if (bucket_) {
    state["rate_limit_tokens"] = bucket_->Available(clock_->MonotonicMicros());
  }
  return state;
}

bool Chaos::Draw(double probability) {
  if (probability <= 0) return false;
  // uniform_real_distribution's own algorithm is unspecified; this one is the same everywhere.
  double draw = static_cast<double>(random_() >> 11) * 0x1.0p-53;  // [0, 1)
  return draw < probability;
}

std::optional<ChaosReply> Chaos::Fault(ChaosPoint point) {
  const ChaosFault& fault = config_.fault(point);
  if (fault.code == 0 || !Draw(fault.probability)) return std::nullopt;
  ++counters_.by_point[static_cast<size_t>(point)];
  return InjectedReply(fault.code, point);
}

std::optional<ChaosReply> Chaos::OnConnect() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (config_.outage_mode == OutageMode::kRefuse && OutageRemainingS() > 0) {
    ++counters_.outage_refused;
    return ChaosReply{0, "", true};
  }
  return Fault(ChaosPoint::kConnect);
}

std::optional<ChaosReply> Chaos::OnGreeting() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (config_.outage_mode == OutageMode::kReply421 && OutageRemainingS() > 0) {
    ++counters_.outage_421;
    return ChaosReply{421,
                      fmt::format("4.3.2 Service not available (simulated outage, {:.1f} s "
                                  "left), closing connection; try again later",
                                  OutageRemainingS()),
                      true};
  }
  return Fault(ChaosPoint::kGreeting);
}

std::optional<ChaosReply> Chaos::OnCommand(ChaosPoint point) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (point != ChaosPoint::kMail) return Fault(point);
  if (OutageRemainingS() > 0) {
    // A client that kept its connection from before the outage meets it at its next message.
    if (config_.outage_mode == OutageMode::kRefuse) {
      ++counters_.outage_refused;
      return ChaosReply{0, "", true};
    }
    ++counters_.outage_421;
    return ChaosReply{421, "4.3.2 Service not available (simulated outage), closing connection",
                      true};
  }
  if (auto fault = Fault(point)) return fault;
  if (bucket_ && !bucket_->TryTake(clock_->MonotonicMicros())) {
    ++counters_.rate_limited;
    return ChaosReply{421,
                      fmt::format("4.7.0 Rate limit exceeded ({} messages/s), closing "
                                  "connection; try again later",
                                  config_.rate_limit_per_s),
                      true};
  }
  return std::nullopt;
}

std::optional<ChaosReply> Chaos::OnDataEnd() {
  std::lock_guard<std::mutex> lock(mutex_);
  return Fault(ChaosPoint::kDataEnd);
}

bool Chaos::DrawDisconnectMidData() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!Draw(config_.disconnect_mid_data_probability)) return false;
  ++counters_.disconnects_mid_data;
  return true;
}

int64_t Chaos::DrawLatencyMs() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (config_.latency_ms <= 0 && config_.latency_jitter_ms <= 0) return 0;
  int64_t ms = config_.latency_ms;
  if (config_.latency_jitter_ms > 0) {
    auto span = static_cast<uint64_t>(2 * config_.latency_jitter_ms + 1);
    ms += static_cast<int64_t>(random_() % span) - config_.latency_jitter_ms;
  }
  ++counters_.delayed_messages;
  return std::max<int64_t>(0, ms);
}

int64_t Chaos::MaxLatencyMs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::max<int64_t>(0, config_.latency_ms + config_.latency_jitter_ms);
}

}  // namespace fib
