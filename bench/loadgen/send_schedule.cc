#include "bench/loadgen/send_schedule.h"

#include <algorithm>
#include <cmath>

namespace fib {

std::optional<ArrivalProcess> ParseArrivalProcess(const std::string& name) {
  if (name == "constant") return ArrivalProcess::kConstant;
  if (name == "poisson") return ArrivalProcess::kPoisson;
  if (name == "burst") return ArrivalProcess::kBurst;
  return std::nullopt;
}

const char* ArrivalProcessName(ArrivalProcess arrivals) {
  switch (arrivals) {
    case ArrivalProcess::kPoisson:
      return "poisson";
    case ArrivalProcess::kBurst:
      return "burst";
    case ArrivalProcess::kConstant:
      break;
  }
  return "constant";
}

uint64_t ConnectionSeed(uint64_t seed, int index) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(index + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

SendSchedule::SendSchedule(int64_t origin_us, double rate_rps, ArrivalProcess arrivals,
                           uint64_t seed)
    : origin_us_(origin_us),
      interval_us_(rate_rps > 0 ? 1e6 / rate_rps : 0),
      arrivals_(arrivals),
      rng_(seed) {
  if (arrivals_ == ArrivalProcess::kPoisson && !closed_loop()) {
    poisson_offset_us_ = PoissonGap(&rng_);
  }
}

SendSchedule SendSchedule::Burst(int64_t origin_us, double total_rate_rps, int64_t burst_size,
                                 int index, int connections) {
  SendSchedule s(origin_us, total_rate_rps / connections, ArrivalProcess::kBurst);
  s.burst_size_ = burst_size;
  s.burst_period_us_ = static_cast<double>(burst_size) * 1e6 / total_rate_rps;
  s.burst_index_ = index;
  s.burst_connections_ = connections;
  return s;
}

double SendSchedule::PoissonGap(std::mt19937_64* rng) const {
  // 53 random bits as a uniform in [0, 1); -log(1 - u) is then finite.
  double u = static_cast<double>((*rng)() >> 11) * 0x1.0p-53;
  return -std::log1p(-u) * interval_us_;
}

int64_t SendSchedule::StartOf(int64_t k) const {
  double offset = static_cast<double>(k) * interval_us_;
  if (arrivals_ == ArrivalProcess::kBurst) {
    int64_t burst = (burst_index_ + k * burst_connections_) / burst_size_;  // whole bursts
    offset = static_cast<double>(burst) * burst_period_us_;
  }
  return origin_us_ + static_cast<int64_t>(std::llround(offset));
}

int64_t SendSchedule::NextStart() const {
  if (arrivals_ == ArrivalProcess::kPoisson) {
    return origin_us_ + static_cast<int64_t>(std::llround(poisson_offset_us_));
  }
  return StartOf(sent_);
}

void SendSchedule::OnSent(int64_t now_us) {
  ++sent_;
  last_sent_us_ = now_us;
  if (arrivals_ == ArrivalProcess::kPoisson && !closed_loop()) {
    poisson_offset_us_ += PoissonGap(&rng_);
  }
}

int64_t SendSchedule::IntendedStart(int64_t now_us) const {
  return closed_loop() ? now_us : NextStart();
}

int64_t SendSchedule::NextSendTime(int64_t now_us) {
  if (closed_loop()) return now_us;
  int64_t intended = NextStart();
  if (intended >= now_us) return intended;  // on pace
  // Random and burst arrivals come close together by nature: spacing a late one out would
  // smooth away the very variability they exist to show. Send it now (its latency still counts
  // from its intended start).
  if (arrivals_ != ArrivalProcess::kConstant) return now_us;
  // Behind: catch up at twice the (mean) rate.
  auto half_interval = static_cast<int64_t>(std::llround(interval_us_ / 2));
  return std::max(intended, last_sent_us_ + half_interval);
}

int64_t SendSchedule::Unsent(int64_t until_us) const {
  if (closed_loop() || until_us <= origin_us_) return 0;
  if (arrivals_ == ArrivalProcess::kPoisson) {
    // Replay the stream from here: a copy, so the schedule itself does not move.
    std::mt19937_64 rng = rng_;
    int64_t unsent = 0;
    for (double offset = poisson_offset_us_;
         origin_us_ + static_cast<int64_t>(std::llround(offset)) < until_us;
         offset += PoissonGap(&rng)) {
      ++unsent;
    }
    return unsent;
  }
  if (arrivals_ == ArrivalProcess::kBurst) {
    // Bursts 0..b start before until_us; this connection's requests among their b + 1 bursts'
    // (b + 1)·size run requests are those with i + k·connections < (b + 1)·size.
    double bursts =
        std::ceil(static_cast<double>(until_us - origin_us_) / burst_period_us_);  // b + 1
    double run_requests = bursts * static_cast<double>(burst_size_);
    double mine = std::ceil((run_requests - burst_index_) / burst_connections_);
    auto intended = static_cast<int64_t>(std::max(0.0, mine));
    return intended > sent_ ? intended - sent_ : 0;
  }
  auto intended =
      static_cast<int64_t>(std::ceil(static_cast<double>(until_us - origin_us_) / interval_us_));
  return intended > sent_ ? intended - sent_ : 0;
}

}  // namespace fib
