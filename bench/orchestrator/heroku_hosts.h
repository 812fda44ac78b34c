// HerokuHosts: the lesson's production topology as network hosts (docs/heroku.md): app-one
// (web), app-two (workers), redistogo (Redis with a password), provider (mail sink, AUTH +
// STARTTLS). Secrets reach programs through files and the environment, never argv.
// Thread-safety: one owner thread; KillAll() from any thread (the Ctrl-C watcher).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bench/orchestrator/netns.h"
#include "common/process.h"
#include "common/status.h"

namespace fib::bench {

struct HerokuOptions {
  std::string bin_dir;
  std::string profiles_dir;
  std::string log_dir;
  std::string profile = "lesson";
  int mail_delay_ms = 0;  // the provider's --delay-ms (the profile's)
  int web_threads = 5;
  // Threads per worker process: one, so each process (dyno) and not this machine's two shared
  // cores sets the drain rate, and worker=2 can show its gain.
  int worker_concurrency = 1;
  int smtp_timeout_ms = 5000;  // the worker's whole-send limit, so a cut connection is noticed
  int start_timeout_ms = 15000;
};

// One listening socket seen in a host's namespace.
struct Listener {
  std::string host;
  std::string address;  // "10.213.7.2", "0.0.0.0", "::"
  int port = 0;
};

class HerokuHosts {
 public:
  static constexpr int kWebPort = 3000, kInlinePort = 3001, kRedisPort = 6379;
  static constexpr int kSmtpPort = 587, kInboxPort = 1080;

  explicit HerokuHosts(HerokuOptions options);
  ~HerokuHosts();  // Stop()

  // Builds the network, the certificate and secrets, then starts redistogo, provider and both
  // webs on app-one. Returns an error naming the step and the log to read.
  Status Start();
  // Starts `count` more worker processes on app-two, each with `threads` (0: the options');
  // StopWorkers stops them all (TERM, then waits: jobs in flight finish or go back).
  Status StartWorkers(int count, int threads = 0);
  void StopWorkers();
  int workers() const { return static_cast<int>(workers_.size()); }
  int worker_concurrency() const { return options_.worker_concurrency; }
  // Stops every process, removes the network and the secrets folder. Idempotent.
  void Stop();
  // SIGKILLs every process, removes the network and secrets (the Ctrl-C path).
  void KillAll();

  std::string WebUrl(bool inline_mode) const;
  std::string MailUrl() const;   // the inbox, from the machine
  std::string RedisUrl() const;  // with the password, for the machine's own queue sampling
  Network& network() { return network_; }
  // Returns every TCP listener in the hosts' namespaces (from /proc/<pid>/net/tcp{,6}).
  std::vector<Listener> Listeners() const;

 private:
  Status MakeSecrets();
  Status StartOn(const std::string& host, const std::string& name, std::vector<std::string> argv,
                 std::map<std::string, std::string> env, int port,
                 std::vector<std::unique_ptr<ChildProcess>>* into);
  std::map<std::string, std::string> AppEnv() const;

  HerokuOptions options_;
  Network network_;
  std::string secrets_dir_;
  std::string redis_password_, smtp_password_;
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, pid_t>> pids_;  // host and pid of every service, for Listeners
  std::vector<std::unique_ptr<ChildProcess>> services_;
  std::vector<std::unique_ptr<ChildProcess>> workers_;
};

}  // namespace fib::bench
