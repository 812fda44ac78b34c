// SendSchedule: when one connection sends its next request (wrk2's open-loop schedule).
// Request k is intended to start at origin + k / rate. When the connection falls behind (the
// server was slow), it catches up at twice its rate instead of bursting: a late request goes no
// sooner than half an interval after the previous send. Latency is always measured from the
// intended start, so the wait counts. Rate 0 means closed loop: send at once.
// (wrk2 anchors catch-up at the first late send; a timer firing a microsecond late then leaves a
// stale anchor that lets the next stall end in a burst. Spacing from the last send cannot.)
// With Poisson arrivals the intended starts are a seeded Poisson process instead (exponential
// gaps of mean 1/rate, drawn from a seed-determined stream): the same seed gives the same
// schedule, so a queue's randomness is reproducible; the open loop and its latency clock are
// unchanged. A late Poisson request goes at once, without the 2x catch-up spacing: short gaps are
// what a Poisson process is made of (a third of its gaps are under half the mean), and spacing
// them out would make the arrivals more even than Poisson and the queue shorter than theory.
// With burst arrivals, `size` requests are intended at the same instant every size / rate
// seconds (the same mean rate). The run's connections share each burst: the k-th request of
// connection i is the run's request g = i + k * connections, intended at burst floor(g / size).
// A connection sends its share of a burst back to back (no catch-up spacing: the burst is the
// point), so a burst larger than the connections queues in the load generator, from its intended
// time, as it would in a server's accept queue.
// Thread-safety: none; owned by one connection on one thread. Times are monotonic µs.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>

namespace fib {

enum class ArrivalProcess { kConstant, kPoisson, kBurst };

// Parses "constant", "poisson" or "burst"; nullopt otherwise.
std::optional<ArrivalProcess> ParseArrivalProcess(const std::string& name);
const char* ArrivalProcessName(ArrivalProcess arrivals);
// Returns the seed of connection `index`'s stream from the run's `seed` (splitmix64), so
// connections' arrivals are independent and their sum is again Poisson.
uint64_t ConnectionSeed(uint64_t seed, int index);

class SendSchedule {
 public:
  // `rate_rps` is this connection's share of the offered rate (0 = closed loop). Poisson:
  // the first request is intended one random gap after `origin_us`.
  SendSchedule(int64_t origin_us, double rate_rps,
               ArrivalProcess arrivals = ArrivalProcess::kConstant, uint64_t seed = 1);
  // Burst arrivals: `burst_size` requests every burst_size / `total_rate_rps` seconds from
  // `origin_us`, shared by `connections` connections of which this is number `index`.
  // REQUIRES: total_rate_rps > 0, burst_size >= 1, 0 <= index < connections.
  static SendSchedule Burst(int64_t origin_us, double total_rate_rps, int64_t burst_size, int index,
                            int connections);

  // Returns when the next request may be sent, given that it is `now_us` and the connection is
  // free: its intended start when on pace, else the next catch-up slot (2x rate). The result
  // is <= now_us when it may be sent now.
  int64_t NextSendTime(int64_t now_us);
  // Returns the intended start of the next request (for the latency clock). Closed loop:
  // `now_us`.
  int64_t IntendedStart(int64_t now_us) const;
  // Marks the next request as sent at `now_us`.
  void OnSent(int64_t now_us);
  // Returns how many requests were intended to start before `until_us` but not sent yet.
  int64_t Unsent(int64_t until_us) const;

  int64_t sent() const { return sent_; }
  bool closed_loop() const { return interval_us_ <= 0; }

 private:
  // Returns the intended start of request `sent_`.
  int64_t NextStart() const;
  // Constant and burst arrivals: returns the intended start of this connection's request k.
  int64_t StartOf(int64_t k) const;
  // Returns an exponential gap of mean interval_us_ from `rng` (portable: no std distribution).
  double PoissonGap(std::mt19937_64* rng) const;

  int64_t origin_us_;
  double interval_us_;  // 1e6 / rate: the mean gap
  ArrivalProcess arrivals_;
  std::mt19937_64 rng_;
  double poisson_offset_us_ = 0;  // Poisson: request sent_'s intended start - origin
  int64_t burst_size_ = 1;        // burst: requests per burst
  double burst_period_us_ = 0;    // burst: time between bursts
  int burst_index_ = 0;           // burst: this connection's number and the run's connections
  int burst_connections_ = 1;
  int64_t sent_ = 0;
  int64_t last_sent_us_ = INT64_MIN / 2;
};

}  // namespace fib
