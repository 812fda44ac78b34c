#include "bench/orchestrator/stack.h"

#include <signal.h>
#include <unistd.h>

#include <thread>

#include "common/log.h"

namespace fib::bench {

Stack::Stack(StackOptions options) : options_(std::move(options)), redis_url_(options_.redis_url) {}

Stack::~Stack() {
  if (options_.on_destroy) options_.on_destroy();
  StopAll();
}

std::string Stack::smtp_url() const { return "smtp://127.0.0.1:" + std::to_string(smtp_port_); }
std::string Stack::mail_url() const {
  return "http://127.0.0.1:" + std::to_string(mail_http_port_);
}

std::string Stack::web_url(const std::string& mode) const {
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
  return options_.split_placement
             ? "split: web processes pinned to CPU 0, workers and mail sink to CPU 1 (taskset-like "
               "sched_setaffinity), like separate dynos"
             : "shared: no pinning; web, workers, mail sink, Redis and the load generator share "
               "all "
               "cores";
}

Status Stack::StartService(const std::string& name, std::vector<std::string> argv, int port,
                           std::vector<int> cpus, std::vector<Service>* into) {
  std::string log_path = options_.log_dir + "/" + name + ".log";
  // The marker lets a test (and a person) find every process of one run in /proc/*/environ.
  auto child = ChildProcess::Start(
      {std::move(argv), {{"FIBTASTIC_BENCH_RUN", options_.log_dir}}, log_path, std::move(cpus)});
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

Status Stack::StartWeb(const std::string& mode, const std::string& profile) {
  int port = FindFreePort();
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
  for (int i = 0; i < count; ++i) {
    std::string name = "worker-" + std::to_string(workers_.size() + 1);
    Status s = StartService(name,
                            {options_.bin_dir + "/fibtastic-worker", "-c",
                             std::to_string(concurrency), "--redis-url", redis_url_, "--smtp-url",
                             smtp_url(), "--profiles-dir", options_.profiles_dir, "--tag", name},
                            0, pin ? WorkerCpus() : std::vector<int>{}, &workers_);
    if (!s.ok()) return s;
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

namespace {
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
