// LiveStats: samples the stack a few times a second for the lesson board's live panel — queue
// depth, retry/dead/scheduled counts, jobs processed per second (Sidekiq's stat:processed), the
// worker processes' heartbeats (Sidekiq's `processes` set), the mail provider's chaos state — and
// collects the emails that land in the mail sink (its /messages JSON), keyed by X-Request-Id.
// Both histories are bounded rings. Thread-safety: Start/Stop from the owner; the rest from any
// thread (one mutex inside).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>

#include "board/board_options.h"
#include "common/redis/redis_connection.h"

namespace fib {

class LiveStats {
 public:
  explicit LiveStats(const BoardOptions& options);
  ~LiveStats();
  LiveStats(const LiveStats&) = delete;
  LiveStats& operator=(const LiveStats&) = delete;

  // Starts the sampling thread; `tick` runs on it after each sample (e.g. timed chaos reverts).
  void Start(std::function<void()> tick);
  void Stop();

  // Samples with seq > since_seq (at most the ring), and emails with id > since_mail.
  nlohmann::json SamplesSince(int64_t since_seq);
  nlohmann::json MailsSince(int64_t since_mail);
  // The latest sample ({} before the first).
  nlohmann::json Latest();
  // Forgets the emails seen so far (reset): later ones only.
  void ClearMails();

 private:
  void Run();
  nlohmann::json SampleRedis();
  void PollInbox();
  nlohmann::json ChaosState();

  const BoardOptions& options_;
  std::function<void()> tick_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;                       // guarded by mu_
  std::deque<nlohmann::json> samples_;      // guarded by mu_
  std::deque<nlohmann::json> mails_;        // guarded by mu_
  int64_t next_seq_ = 1;                    // guarded by mu_
  std::unique_ptr<RedisConnection> redis_;  // sampling thread only
  int64_t last_mail_id_ = 0;                // sampling thread only
  // (t_ms, stat:processed) over the last ~2 s; sampling thread only.
  std::deque<std::pair<int64_t, int64_t>> processed_window_;
};

}  // namespace fib
