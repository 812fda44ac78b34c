// RedisSampler: every interval during a run, samples the Sidekiq-format queue state: LLEN
// queue:<q>, ZCARD retry, ZCARD dead, and busy workers (sum of `busy` over the hashes of the
// `processes` members), so a report can show the queue growing while the web answers fast.
// Thread-safety: Start/Stop from one thread; the sampling runs on its own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace fib {

class RedisConnection;

struct RedisSample {
  double t_s = 0;  // since the start of the measured window (negative during warmup)
  int64_t queue_depth = 0, retry = 0, dead = 0, busy = 0;
  int64_t concurrency = 0;  // sum of the live processes' heartbeat concurrency
};

class RedisSampler {
 public:
  // Connects to `url` (error names the URL and what to do).
  static Result<std::unique_ptr<RedisSampler>> Open(const std::string& url, std::string queue,
                                                    int64_t interval_ms);
  ~RedisSampler();

  // Samples until Stop(); t_s counts from monotonic µs `origin_us`.
  void Start(int64_t origin_us);
  void Stop();
  // Returns one sample now (also used by tests).
  Result<RedisSample> SampleOnce();
  std::vector<RedisSample> samples() const;
  int64_t failures() const { return failures_; }

 private:
  RedisSampler(std::unique_ptr<RedisConnection> redis, std::string queue, int64_t interval_ms);
  void Loop(int64_t origin_us);

  std::unique_ptr<RedisConnection> redis_;
  std::string queue_;
  int64_t interval_ms_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<RedisSample> samples_;
  std::atomic<int64_t> failures_{0};
};

}  // namespace fib
