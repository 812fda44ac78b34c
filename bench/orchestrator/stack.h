// Stack: the processes one benchmark scenario runs against — a private redis-server (unless a
// REDIS_URL was given), the mail sink, the web app in both variants, and workers — started on
// free loopback ports and always stopped, also on Ctrl-C (KillAll from the signal thread).
// Thread-safety: Start*/Stop* from the orchestrator thread; KillAll from any thread.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

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

  std::string redis_url() const { return redis_url_; }
  std::string smtp_url() const;
  std::string mail_url() const;
  std::string web_url(const std::string& mode) const;
  std::string placement() const;
  const StackOptions& options() const { return options_; }

 private:
  Status StartService(const std::string& name, std::vector<std::string> argv, int port,
                      std::vector<int> cpus, std::vector<Service>* into);
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
