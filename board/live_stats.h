// LiveStats: samples the stack a few times a second for the lesson board's live panel — queue
// depth, retry/dead/scheduled counts, jobs processed per second (Sidekiq's stat:processed), the
// worker processes' heartbeats (Sidekiq's `processes` set), the mail provider's chaos state — and
// collects the emails that land in the mail sink, keyed by X-Request-Id: pushed by the sink's
// live stream (GET /events, read by a client thread that reconnects with backoff), with polling
// of its /messages JSON only while that stream is down. Both histories are bounded rings; every
// new sample or email bumps a version that WaitForChange waits on (the board's /api/events).
// Thread-safety: Start/Stop from the owner; the rest from any thread (one mutex inside).
#pragma once

#include <atomic>
#include <chrono>
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

namespace httplib {
class Client;
}

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

  // Samples with seq > since_seq (at most the ring), and emails with id > since_mail (the
  // board's own sequence of emails: the sink's ids, "sink_id", restart with it).
  nlohmann::json SamplesSince(int64_t since_seq);
  nlohmann::json MailsSince(int64_t since_mail);
  // The latest sample ({} before the first).
  nlohmann::json Latest();
  // Forgets the emails seen so far (reset): later ones only.
  void ClearMails();

  // Waits until the version passes `seen` (a new sample or email), `deadline` passes or waiters
  // are stopped; returns the version then.
  int64_t WaitForChange(int64_t seen, std::chrono::steady_clock::time_point deadline);
  int64_t version();
  // Ends every WaitForChange now, and later ones at once (shutdown: streams end promptly).
  void StopWaiters();
  bool waiters_stopped();
  // True while the sink's live stream is connected (tests, and polling stands down).
  bool inbox_streaming();

 private:
  void Run();
  nlohmann::json SampleRedis();
  void PollInbox();
  // The client thread: reads the sink's GET /events, reconnecting with backoff.
  void StreamInbox();
  // One SSE event's text (lines up to the blank line): a `message` event adds its email.
  void TakeEvent(const std::string& text);
  // Adds one email of the sink's summary JSON, unless its id was seen. REQUIRES: mu_ held.
  void AddMailLocked(const nlohmann::json& message);
  // Starts over from id 0 when the sink's ids went backwards (it restarted).
  void ResyncMailIds();
  bool stopping();
  nlohmann::json ChaosState();

  const BoardOptions& options_;
  std::function<void()> tick_;
  std::thread thread_;
  std::thread inbox_thread_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable changed_;          // version_ moved or waiters stopped
  bool stop_ = false;                        // guarded by mu_
  bool waiters_stopped_ = false;             // guarded by mu_
  int64_t version_ = 0;                      // guarded by mu_
  bool inbox_streaming_ = false;             // guarded by mu_
  httplib::Client* inbox_client_ = nullptr;  // guarded by mu_; the stream's, to stop it
  std::deque<nlohmann::json> samples_;       // guarded by mu_
  std::deque<nlohmann::json> mails_;         // guarded by mu_
  int64_t next_seq_ = 1;                     // guarded by mu_
  int64_t next_mail_seq_ = 1;  // guarded by mu_; the mails' "id" (the board's own sequence)
  std::unique_ptr<RedisConnection> redis_;  // sampling thread only
  int64_t last_mail_id_ = 0;                // guarded by mu_
  // (t_ms, stat:processed) over the last ~2 s; sampling thread only.
  std::deque<std::pair<int64_t, int64_t>> processed_window_;
};

}  // namespace fib
