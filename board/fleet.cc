#include "board/fleet.h"

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "common/clock.h"

namespace fib {
namespace {

namespace fs = std::filesystem;

// The stack's default webs run the FibTastic job (SequenceEmailWorker), which is also what the
// "fibtastic" profile names: the picker's default uses them instead of starting new ones.
bool IsStackDefault(const std::string& profile) {
  return profile.empty() || profile == "fibtastic";
}

nlohmann::json ReadJsonFile(const std::string& path) {
  std::ifstream in(path);
  nlohmann::json json = nlohmann::json::parse(in, nullptr, false);
  return json.is_discarded() ? nlohmann::json(nullptr) : json;
}

// What the chart needs from a loadgen report: its summary and per-second p50/p99.
nlohmann::json LoadResult(const nlohmann::json& report) {
  if (!report.is_object()) return nullptr;
  nlohmann::json result = {{"summary", nullptr}, {"timeseries", nlohmann::json::array()}};
  auto summary = report.find("summary");
  if (summary != report.end() && summary->is_object()) {
    result["summary"] = {{"requests", summary->value("requests", 0)},
                         {"rps", summary->value("rps", 0.0)},
                         {"errors", summary->value("errors", 0)},
                         {"latency_ms", summary->value("latency_ms", nlohmann::json::object())}};
  }
  auto series = report.find("timeseries");
  if (series != report.end() && series->is_array()) result["timeseries"] = *series;
  return result;
}

}  // namespace

Fleet::Fleet(const BoardOptions& options) : options_(options) {}

Fleet::~Fleet() {
  StopLoad();
  // Joined outside load_mu_: the run's thread takes that lock to record its result.
  std::thread run;
  {
    std::lock_guard<std::mutex> lock(load_mu_);
    run = std::move(load_thread_);
  }
  if (run.joinable()) run.join();
  Status ignored = Scale(0);
  (void)ignored;
  std::lock_guard<std::mutex> lock(web_mu_);
  for (auto& [key, web] : webs_) web->Stop(3000);
}

Status Fleet::Scale(int count) {
  if (count < 0 || count > options_.max_workers) {
    return Status::Error(fmt::format("workers must be 0..{}, got {}", options_.max_workers, count));
  }
  std::lock_guard<std::mutex> lock(mu_);
  // SIGTERM every surplus worker first, then wait: they shut down in parallel.
  std::vector<Worker> leaving;
  while (static_cast<int>(workers_.size()) > count) {
    leaving.push_back(std::move(workers_.back()));
    workers_.pop_back();
  }
  for (auto& worker : leaving) worker.process->Signal(SIGTERM);
  for (auto& worker : leaving) worker.process->Stop(8000);
  if (workers_.empty()) next_worker_ = 1;
  while (static_cast<int>(workers_.size()) < count) {
    std::string name = fmt::format("worker.{}", next_worker_++);
    ChildOptions child;
    child.argv = {options_.bin_dir + "/fibtastic-worker",
                  "--redis-url",
                  options_.redis_url,
                  "--smtp-url",
                  options_.smtp_url,
                  "--concurrency",
                  std::to_string(options_.worker_concurrency),
                  "--queue",
                  options_.queue,
                  "--tag",
                  name,
                  "--timeout",
                  "5",
                  "--retry-delay-scale",
                  fmt::format("{}", options_.retry_delay_scale),
                  "--poll-interval-s",
                  "1",
                  "--heartbeat-interval-s",
                  "1",
                  "--max-prefetch",
                  "0",  // jobs wait in Redis, where the queue depth shows them
                  "--no-log-jobs"};
    if (!options_.profiles_dir.empty()) {
      child.argv.insert(child.argv.end(), {"--profiles-dir", options_.profiles_dir});
    }
    child.log_path = options_.log_dir + "/" + name + ".log";
    auto process = ChildProcess::Start(child);
    if (!process.ok()) return process.status();
    workers_.push_back({std::move(*process), name, std::chrono::steady_clock::now()});
  }
  return Status::Ok();
}

nlohmann::json Fleet::Workers() {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json list = nlohmann::json::array();
  auto now = std::chrono::steady_clock::now();
  for (auto& worker : workers_) {
    double up_s = std::chrono::duration<double>(now - worker.started).count();
    list.push_back({{"name", worker.name},
                    {"pid", worker.process->pid()},
                    {"state", worker.process->Running() ? "up" : "crashed"},
                    {"up_s", up_s}});
  }
  return list;
}

int Fleet::worker_count() {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(workers_.size());
}

std::vector<std::string> Fleet::ProfileNames() const {
  std::vector<std::string> names = {"fibtastic"};
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(options_.profiles_dir, error)) {
    if (entry.path().extension() != ".toml") continue;
    std::string name = entry.path().stem().string();
    if (name != "fibtastic") names.push_back(name);
  }
  std::sort(names.begin() + 1, names.end());
  return names;
}

Result<std::string> Fleet::WebUrl(const std::string& variant, const std::string& profile) {
  if (variant != "inline" && variant != "background") {
    return Status::Error("variant must be 'inline' or 'background', got '" + variant.substr(0, 32) +
                         "'");
  }
  if (IsStackDefault(profile)) {
    return variant == "inline" ? options_.inline_url : options_.background_url;
  }
  auto names = ProfileNames();
  if (std::find(names.begin(), names.end(), profile) == names.end()) {
    return Status::Error("no profile '" + profile.substr(0, 40) + "' in " + options_.profiles_dir);
  }
  std::lock_guard<std::mutex> lock(web_mu_);
  std::string key = variant + "/" + profile;
  auto found = web_urls_.find(key);
  if (found != web_urls_.end() && webs_[key]->Running()) return found->second;
  return StartWeb(variant, profile);
}

// REQUIRES: web_mu_ held.
Result<std::string> Fleet::StartWeb(const std::string& variant, const std::string& profile) {
  int port = FindFreePort();
  ChildOptions child;
  child.argv = {options_.bin_dir + "/fibtastic-web",
                "--mode",
                variant,
                "--port",
                std::to_string(port),
                "--profile",
                profile,
                "--profiles-dir",
                options_.profiles_dir,
                "--no-access-log"};
  if (variant == "inline") {
    child.argv.insert(child.argv.end(), {"--smtp-url", options_.smtp_url});
  } else {
    child.argv.insert(child.argv.end(),
                      {"--redis-url", options_.redis_url, "--queue", options_.queue});
  }
  std::string key = variant + "/" + profile;
  child.log_path = options_.log_dir + "/web-" + variant + "-" + profile + ".log";
  auto process = ChildProcess::Start(child);
  if (!process.ok()) return process.status();
  if (!WaitForTcpPort("127.0.0.1", port, 10000)) {
    return Status::Error("the " + key + " web did not start; see " + child.log_path);
  }
  webs_[key] = std::move(*process);
  web_urls_[key] = fmt::format("http://127.0.0.1:{}", port);
  return web_urls_[key];
}

Status Fleet::StartLoad(const LoadRequest& request) {
  if (!(request.rate_rps > 0 && request.rate_rps <= options_.max_rate_rps)) {
    return Status::Error(
        fmt::format("rate must be > 0 and <= {} requests/s", options_.max_rate_rps));
  }
  if (!(request.duration_s >= 1 && request.duration_s <= options_.max_duration_s)) {
    return Status::Error(fmt::format("duration must be 1..{} s", options_.max_duration_s));
  }
  if (request.sequence_length < 1 || request.sequence_length > 30) {
    return Status::Error("sequence_length must be 1..30 for load runs");
  }
  {
    std::lock_guard<std::mutex> lock(load_mu_);
    if (load_state_.value("running", false)) {
      return Status::Error("a load run is already going; wait for it to finish");
    }
  }
  auto url = WebUrl(request.variant, request.profile);
  if (!url.ok()) return url.status();
  std::lock_guard<std::mutex> lock(load_mu_);
  if (load_state_.value("running", false)) {
    return Status::Error("a load run is already going; wait for it to finish");
  }
  if (load_thread_.joinable()) load_thread_.join();
  load_stopped_ = false;
  int64_t started_ms = SystemClock::Default()->NowMillis();
  load_state_ = {{"running", true},
                 {"variant", request.variant},
                 {"profile", request.profile},
                 {"rate_rps", request.rate_rps},
                 {"duration_s", request.duration_s},
                 {"started_at_ms", started_ms},
                 {"result", nullptr}};
  load_thread_ =
      std::thread([this, request, u = *url, started_ms] { RunLoad(request, u, started_ms); });
  return Status::Ok();
}

void Fleet::RunLoad(const LoadRequest& request, const std::string& url, int64_t started_ms) {
  std::string json_path = fmt::format("{}/load-{}.json", options_.log_dir, started_ms);
  ChildOptions child;
  child.argv = {
      options_.bin_dir + "/fibtastic-loadgen",
      "--url",
      url + "/sequences",
      "--method",
      "POST",
      "--form",
      "--body",
      fmt::format("email=load{{n}}@example.com&sequence_length={}", request.sequence_length),
      "--rate",
      fmt::format("{}", request.rate_rps),
      "--duration",
      fmt::format("{}", request.duration_s),
      "--connections",
      "16",
      "--threads",
      "1",
      "--run-id",
      fmt::format("board-load-{}", started_ms),
      "--json",
      json_path,
      "--no-progress"};
  child.log_path = options_.log_dir + "/loadgen.log";
  auto process = ChildProcess::Start(child);
  int code = -1;
  ChildProcess* running = nullptr;
  if (process.ok()) {
    std::lock_guard<std::mutex> lock(load_mu_);
    load_ = std::move(*process);
    running = load_.get();
    if (load_stopped_) running->Signal(SIGTERM);  // stopped while it was being started
  }
  if (running) code = running->Wait(static_cast<int>(request.duration_s * 1000) + 30000);
  if (running && code == -1) code = running->Stop(2000);
  nlohmann::json result = LoadResult(ReadJsonFile(json_path));
  std::error_code ignored;
  fs::remove(json_path, ignored);
  std::lock_guard<std::mutex> lock(load_mu_);
  load_state_["running"] = false;
  load_state_["exit_code"] = code;
  load_state_["finished_at_ms"] = SystemClock::Default()->NowMillis();
  load_state_["result"] = result;
  if (!process.ok()) load_state_["error"] = process.status().message();
  load_.reset();
}

nlohmann::json Fleet::LoadState() {
  std::lock_guard<std::mutex> lock(load_mu_);
  return load_state_;
}

void Fleet::StopLoad() {
  std::lock_guard<std::mutex> lock(load_mu_);
  load_stopped_ = true;
  if (load_) load_->Signal(SIGTERM);
}

}  // namespace fib
