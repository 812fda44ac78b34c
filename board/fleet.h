// Fleet: the processes the lesson board starts and owns — worker processes (the scale knob),
// one load-generator run at a time (the load knob), and a web per variant for each profile other
// than the stack's default, started on first use (the profile picker).
// Thread-safety: every public method may be called from any thread (one mutex inside); Scale and
// WebUrl block while processes start or stop.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "board/board_options.h"
#include "common/process.h"
#include "common/status.h"

namespace fib {

struct LoadRequest {
  std::string variant;  // inline | background
  std::string profile;  // a name from ProfileNames()
  double rate_rps = 16;
  double duration_s = 5;
  int sequence_length = 24;
};

class Fleet {
 public:
  explicit Fleet(const BoardOptions& options);
  ~Fleet();  // stops everything it started
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // Starts or stops (SIGTERM, then the worker's own timeout) worker processes until `count` run.
  Status Scale(int count);
  // The board's worker processes, `heroku ps` style: [{"name":"worker.1","pid":..,"up_s":..}].
  nlohmann::json Workers();
  int worker_count();

  // The profiles the picker offers (file names in profiles_dir without .toml).
  std::vector<std::string> ProfileNames() const;
  // Returns the base URL of the web for variant/profile, starting it if needed.
  Result<std::string> WebUrl(const std::string& variant, const std::string& profile);

  // Starts a load-generator run; an error when one is running or the input is out of bounds.
  Status StartLoad(const LoadRequest& request);
  // The current or last run: {"running":..,"variant":..,"started_at_ms":..,"result":{..}}.
  nlohmann::json LoadState();
  // Stops a running load run (for reset).
  void StopLoad();

 private:
  void RunLoad(const LoadRequest& request, const std::string& url, int64_t started_ms);
  Result<std::string> StartWeb(const std::string& variant, const std::string& profile);

  const BoardOptions& options_;
  std::mutex mu_;
  struct Worker {
    std::unique_ptr<ChildProcess> process;
    std::string name;
    std::chrono::steady_clock::time_point started;
  };
  std::vector<Worker> workers_;  // guarded by mu_
  int next_worker_ = 1;          // guarded by mu_
  // Its own lock: starting a web (up to 10 s) must not hold up Workers() for the live panel.
  std::mutex web_mu_;
  std::map<std::string, std::unique_ptr<ChildProcess>> webs_;  // "variant/profile"; web_mu_
  std::map<std::string, std::string> web_urls_;                // guarded by web_mu_
  std::mutex load_mu_;
  std::thread load_thread_;             // guarded by load_mu_
  std::unique_ptr<ChildProcess> load_;  // guarded by load_mu_
  bool load_stopped_ = false;           // guarded by load_mu_; StopLoad came before load_ was set
  nlohmann::json load_state_ = {{"running", false}};  // guarded by load_mu_
};

}  // namespace fib
