// Stack: the processes one benchmark scenario runs against — a private redis-server (unless a
// REDIS_URL was given), the mail sink, the web app in both variants, and workers — started on
// free loopback ports and always stopped, also on Ctrl-C (KillAll from the signal thread). The
// web and worker are ours or the Rails peer's (options.choice); for a target (--target) the Stack
// starts nothing and only hands out the URLs it was given, so it can never stop those apps.
// Thread-safety: Start*/Stop* from the orchestrator thread; KillAll from any thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bench/orchestrator/stack_choice.h"
#include "common/process.h"
#include "common/status.h"

namespace fib::bench {

struct StackOptions {
  std::string bin_dir;          // where fibtastic-* programs are
  std::string profiles_dir;     // bench/profiles
  std::string log_dir;          // one log file per process
  std::string redis_url;        // external Redis; "" = start a private redis-server
  bool split_placement = true;  // web on CPU 0, workers on CPU 1 (like separate dynos)
  int web_threads = 5;          // as Puma's default
  int start_timeout_ms = 15000;
  StackChoice choice;            // our programs, the Rails peer's, or a target (docs/targets.md)
  std::string rails_dir;         // peers/rails-fibtastic (bin/web, bin/worker)
  std::string profile = "none";  // the Rails peer's --profile (RailsProfile)
  std::map<std::string, std::string> target_urls;  // a target: mode -> base URL
  std::string target_mail_url;                     // a target: the inbox, "" = none given
  // Called first when the Stack is destroyed, on every path (e.g. to take it out of the Ctrl-C
  // handler's sight before it is freed); may be empty.
  std::function<void()> on_destroy;
  // Called last by KillAll (the Ctrl-C path), e.g. to remove what a scenario made besides
  // processes (the heroku scenario's network namespaces); may be empty.
  std::function<void()> on_kill;
};

struct Service {
  std::string name;
  int port = 0;
  std::unique_ptr<ChildProcess> process;
};

class Stack {
 public:
  explicit Stack(StackOptions options);
  ~Stack();  // stops everything

  // Each Start* returns an error naming the program and pointing at its log when it does not
  // come up (e.g. a busy port, a bad profile).
  Status StartRedis();
  Status StartMailSink(int delay_ms);
  Status StartWeb(const std::string& mode, const std::string& profile);  // "inline"/"background"
  // Starts `count` worker processes (each registers the jobs of every profile in profiles_dir).
  Status StartWorkers(int count, int concurrency, bool pin);
  void StopWorkers();
  void StopWebs();
  void StopAll();
  // Sends SIGKILL to every child now (signal thread; the destructor reaps them).
  void KillAll();
  // Returns the resident memory (kB) of each running process, its forked children included (a
  // Puma or Sidekiq that forks), by service name; empty for a target.
  std::vector<std::pair<std::string, int64_t>> RssKb();

  std::string redis_url() const { return redis_url_; }
  std::string smtp_url() const;
  std::string mail_url() const;
  std::string web_url(const std::string& mode) const;
  std::string placement() const;
  const StackOptions& options() const { return options_; }

 private:
  Status StartService(const std::string& name, std::vector<std::string> argv, int port,
                      std::vector<int> cpus, std::vector<Service>* into,
                      std::map<std::string, std::string> env = {});
  // The Rails peer's web / worker command line and environment.
  std::vector<std::string> RailsWebArgv(const std::string& mode, int port) const;
  std::map<std::string, std::string> RailsEnv() const;
  // Waits until `count` worker processes have registered in Redis (Sidekiq's "processes" set):
  // Ruby boots in seconds, and a job enqueued before would count the boot as queue wait.
  Status WaitForRegisteredWorkers(size_t count);
  std::vector<int> WebCpus() const;
  std::vector<int> WorkerCpus() const;

  StackOptions options_;
  std::string redis_url_;
  int smtp_port_ = 0, mail_http_port_ = 0;
  std::mutex mu_;
  std::vector<Service> infra_;  // redis, mail sink
  std::vector<Service> webs_;
  std::vector<Service> workers_;
};

}  // namespace fib::bench
