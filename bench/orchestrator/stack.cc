#include "bench/orchestrator/stack.h"

#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/log.h"
#include "common/redis/redis_connection.h"

namespace fib::bench {

Stack::Stack(StackOptions options) : options_(std::move(options)), redis_url_(options_.redis_url) {}

Stack::~Stack() {
  if (options_.on_destroy) options_.on_destroy();
  StopAll();
}

std::string Stack::smtp_url() const { return "smtp://127.0.0.1:" + std::to_string(smtp_port_); }
std::string Stack::mail_url() const {
  if (options_.choice.target()) return options_.target_mail_url;
  return "http://127.0.0.1:" + std::to_string(mail_http_port_);
}

std::string Stack::web_url(const std::string& mode) const {
  if (options_.choice.target()) {
    auto it = options_.target_urls.find(mode);
    return it == options_.target_urls.end() ? "" : it->second;
  }
  for (const auto& s : webs_) {
    if (s.name == "web-" + mode) return "http://127.0.0.1:" + std::to_string(s.port);
  }
  return "";
}

std::vector<int> Stack::WebCpus() const {
  if (!options_.split_placement) return {};
  return {0};
}

std::vector<int> Stack::WorkerCpus() const {
  if (!options_.split_placement) return {};
  return {1};
}

std::string Stack::placement() const {
  if (options_.choice.target()) {
    return "the target's own: the orchestrator did not start the apps, so it did not place them "
           "(the load generator is not pinned)";
  }
  return options_.split_placement
             ? "split: web processes pinned to CPU 0, workers and mail sink to CPU 1 (taskset-like "
               "sched_setaffinity), like separate dynos"
             : "shared: no pinning; web, workers, mail sink, Redis and the load generator share "
               "all "
               "cores";
}

Status Stack::StartService(const std::string& name, std::vector<std::string> argv, int port,
                           std::vector<int> cpus, std::vector<Service>* into,
                           std::map<std::string, std::string> env) {
  std::string log_path = options_.log_dir + "/" + name + ".log";
  // The marker lets a test (and a person) find every process of one run in /proc/*/environ.
  env["FIBTASTIC_BENCH_RUN"] = options_.log_dir;
  auto child = ChildProcess::Start({std::move(argv), std::move(env), log_path, std::move(cpus)});
  if (!child.ok()) return child.status();
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.start_timeout_ms);
  bool up = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!(*child)->Running()) break;
    if (port == 0 || TcpPortOpen("127.0.0.1", port)) {
      up = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!up) {
    return Status::Error(name + " did not come up" +
                         (port ? " on 127.0.0.1:" + std::to_string(port) : std::string()) +
                         "; see its log: " + log_path);
  }
  std::lock_guard<std::mutex> lock(mu_);
  into->push_back({name, port, std::move(*child)});
  return Status::Ok();
}

Status Stack::StartRedis() {
  if (!redis_url_.empty()) {
    Log("using the Redis at REDIS_URL (not started by us)");
    return Status::Ok();
  }
  int port = FindFreePort();
  Status s = StartService("redis",
                          {"redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
                           "--save", "", "--appendonly", "no", "--dir", options_.log_dir},
                          port, {}, &infra_);
  if (s.ok()) redis_url_ = "redis://127.0.0.1:" + std::to_string(port) + "/0";
  return s;
}

Status Stack::StartMailSink(int delay_ms) {
  smtp_port_ = FindFreePort();
  mail_http_port_ = FindFreePort();
  Status s =
      StartService("mailsink",
                   {options_.bin_dir + "/fibtastic-mailsink", "--smtp-port",
                    std::to_string(smtp_port_), "--http-port", std::to_string(mail_http_port_),
                    "--delay-ms", std::to_string(delay_ms), "--max-messages", "100000"},
                   smtp_port_, WorkerCpus(), &infra_);
  if (!s.ok()) return s;
  if (!WaitForTcpPort("127.0.0.1", mail_http_port_, options_.start_timeout_ms)) {
    return Status::Error("the mail sink's inbox did not come up on 127.0.0.1:" +
                         std::to_string(mail_http_port_));
  }
  return Status::Ok();
}

std::map<std::string, std::string> Stack::RailsEnv() const {
  return {{"REDIS_URL", redis_url_}, {"SMTP_URL", smtp_url()}};
}

std::vector<std::string> Stack::RailsWebArgv(const std::string& mode, int port) const {
  return {options_.rails_dir + "/bin/web",
          "--mode",
          mode,
          "--port",
          std::to_string(port),
          "--bind",
          "127.0.0.1",
          "--threads",
          std::to_string(options_.web_threads),
          "--profile",
          options_.profile};
}

Status Stack::StartWeb(const std::string& mode, const std::string& profile) {
  if (options_.choice.target()) return Status::Ok();  // somebody else's app: nothing to start
  int port = FindFreePort();
  if (options_.choice.web == "rails") {
    return StartService("web-" + mode, RailsWebArgv(mode, port), port, WebCpus(), &webs_,
                        RailsEnv());
  }
  std::vector<std::string> argv = {options_.bin_dir + "/fibtastic-web",
                                   "--mode",
                                   mode,
                                   "--port",
                                   std::to_string(port),
                                   "--threads",
                                   std::to_string(options_.web_threads),
                                   "--smtp-url",
                                   smtp_url(),
                                   "--profile",
                                   profile,
                                   "--profiles-dir",
                                   options_.profiles_dir};
  if (mode == "background") {
    argv.push_back("--redis-url");
    argv.push_back(redis_url_);
  }
  return StartService("web-" + mode, argv, port, WebCpus(), &webs_);
}

Status Stack::StartWorkers(int count, int concurrency, bool pin) {
  if (options_.choice.target()) return Status::Ok();
  const bool rails = options_.choice.worker == "rails";
  for (int i = 0; i < count; ++i) {
    std::string name = "worker-" + std::to_string(workers_.size() + 1);
    std::vector<std::string> argv =
        rails ? std::vector<std::string>{options_.rails_dir + "/bin/worker", "--concurrency",
                                         std::to_string(concurrency), "--profile", options_.profile}
              : std::vector<std::string>{options_.bin_dir + "/fibtastic-worker",
                                         "-c",
                                         std::to_string(concurrency),
                                         "--redis-url",
                                         redis_url_,
                                         "--smtp-url",
                                         smtp_url(),
                                         "--profiles-dir",
                                         options_.profiles_dir,
                                         "--tag",
                                         name};
    Status s = StartService(name, argv, 0, pin ? WorkerCpus() : std::vector<int>{}, &workers_,
                            rails ? RailsEnv() : std::map<std::string, std::string>{});
    if (!s.ok()) return s;
  }
  if (rails && count > 0) {
    if (Status s = WaitForRegisteredWorkers(workers_.size()); !s.ok()) return s;
  }
  // Workers listen on no port: give them a moment and check they are still alive.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (auto& w : workers_) {
    if (!w.process->Running()) {
      return Status::Error(w.name + " exited at start-up; see its log: " + options_.log_dir + "/" +
                           w.name + ".log");
    }
  }
  return Status::Ok();
}

Status Stack::WaitForRegisteredWorkers(size_t count) {
  auto redis = RedisConnection::Open(redis_url_);
  if (!redis.ok()) return redis.status();
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.start_timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    auto reply = (*redis)->Command({"SCARD", "processes"});
    if (!reply.ok()) return reply.status();
    if (reply->integer >= static_cast<int64_t>(count)) return Status::Ok();
    for (auto& w : workers_) {
      if (!w.process->Running()) {
        return Status::Error(w.name + " exited at start-up; see its log: " + options_.log_dir +
                             "/" + w.name + ".log");
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Status::Error(
      "the Rails worker did not register in Redis (Sidekiq's 'processes' set) "
      "within " +
      std::to_string(options_.start_timeout_ms) + " ms; see its log in " + options_.log_dir);
}

namespace {

// Returns VmRSS (kB) of `pid`, 0 when it is gone.
int64_t ProcessRssKb(const std::string& pid) {
  std::ifstream status("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return 0;
}

// Returns the RSS of `pid` and of its descendants (Puma's and Sidekiq's forks).
int64_t TreeRssKb(const std::string& pid, int depth = 0) {
  int64_t kb = ProcessRssKb(pid);
  if (depth > 4) return kb;
  std::ifstream children("/proc/" + pid + "/task/" + pid + "/children");
  std::string child;
  while (children >> child) kb += TreeRssKb(child, depth + 1);
  return kb;
}

void StopServices(std::mutex* mu, std::vector<Service>* services) {
  std::vector<Service> taken;
  {
    std::lock_guard<std::mutex> lock(*mu);
    taken.swap(*services);
  }
  for (auto& s : taken) s.process->Signal(SIGTERM);
  for (auto& s : taken) s.process->Stop(30000);
}
}  // namespace

void Stack::StopWorkers() { StopServices(&mu_, &workers_); }
void Stack::StopWebs() { StopServices(&mu_, &webs_); }

void Stack::StopAll() {
  StopWorkers();
  StopWebs();
  StopServices(&mu_, &infra_);
}

std::vector<std::pair<std::string, int64_t>> Stack::RssKb() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<std::string, int64_t>> out;
  for (auto* group : {&webs_, &workers_, &infra_}) {
    for (auto& s : *group) {
      if (s.process->Running())
        out.emplace_back(s.name, TreeRssKb(std::to_string(s.process->pid())));
    }
  }
  return out;
}

void Stack::KillAll() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto* group : {&workers_, &webs_, &infra_}) {
      for (auto& s : *group) s.process->Signal(SIGKILL);
    }
  }
  if (options_.on_kill) options_.on_kill();
}

}  // namespace fib::bench
