// BoardServer: the lesson board's HTTP server (docs/lesson-board.md): the page (embedded static
// files), GET /api/state for the live panel and GET /api/events (the same, pushed as Server-Sent
// Events whenever a sample or an email arrives), and the control endpoints (submit, load, scale,
// provider, reset), each behind RequestGuard. Built on BoundedServer (bounded requests, security
// headers). Thread-safety: Listen/Serve/Drain as BoundedServer; handlers run on its threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "board/board_options.h"
#include "board/fleet.h"
#include "board/live_stats.h"
#include "board/request_guard.h"
#include "common/http/bounded_server.h"
#include "common/status.h"

namespace fib {

class BoardServer {
 public:
  // REQUIRES: fleet and stats outlive the server.
  BoardServer(const BoardOptions& options, Fleet* fleet, LiveStats* stats);

  // Binds (options.port, 0 = any); the guard then knows the port.
  Status Listen();
  int port() const { return port_; }
  // Serves until Drain().
  void Serve() { http_.listen_after_bind(); }
  // Ends the event streams first (they would hold the drain), then drains.
  void Drain() {
    stats_->StopWaiters();
    http_.Drain();
  }
  int event_streams() const { return event_streams_.load(); }
  // Runs on the sampling thread: reverts a timed provider setting when its time is up.
  void Tick();

 private:
  class EventStream;
  void Routes();
  // Adds POST `path`: the guard's checks, a JSON object body with only `fields`, then `handler`.
  void Control(const std::string& path, std::set<std::string> fields,
               const std::function<void(const nlohmann::json&, httplib::Response&)>& handler);
  void Page(httplib::Response& response) const;
  void State(const httplib::Request& request, httplib::Response& response);
  void Events(const httplib::Request& request, httplib::Response& response);
  // Reads ?since=&since_mail= (whole numbers); false after answering 400.
  static bool ParseSince(const httplib::Request& request, httplib::Response& response,
                         int64_t* since, int64_t* since_mail);
  // /api/state's JSON: samples after `since`, emails after `since_mail`, workers, load, provider.
  nlohmann::json StateJson(int64_t since, int64_t since_mail);
  void Submit(const nlohmann::json& body, httplib::Response& response);
  void Load(const nlohmann::json& body, httplib::Response& response);
  void Scale(const nlohmann::json& body, httplib::Response& response);
  void Provider(const nlohmann::json& body, httplib::Response& response);
  void Reset(httplib::Response& response);
  Status SetChaos(const std::string& document);

  const BoardOptions& options_;
  Fleet* fleet_;
  LiveStats* stats_;
  BoundedServer http_;
  std::string token_;
  std::unique_ptr<RequestGuard> guard_;
  int port_ = -1;
  std::atomic<int64_t> next_request_ = 1;
  std::atomic<int> event_streams_{0};
  std::mutex provider_mu_;
  std::string provider_mode_ = "normal";  // guarded by provider_mu_
  int64_t provider_until_ms_ = 0;         // guarded by provider_mu_; 0 = no timed revert
};

}  // namespace fib
