// ChildProcess: a program started by one of ours (the bench orchestrator starts redis-server,
// the mail sink, web and workers). Output goes to a log file; the child dies with its parent
// (PR_SET_PDEATHSIG), so nothing is left running even if the parent is killed with -9.
// Thread-safety: one owner thread; Signal() and Running() may be called from any thread (a signal
// is never sent to a pid already reaped, which the system may have given to another process).
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"

namespace fib {

struct ChildOptions {
  std::vector<std::string> argv;           // argv[0]: a path, or a name looked up in PATH
  std::map<std::string, std::string> env;  // added to (or replacing in) our environment
  std::string log_path;                    // stdout+stderr; "" = /dev/null
  std::vector<int> cpus;                   // pin to these CPUs (sched_setaffinity); empty = any
};

class ChildProcess {
 public:
  // Starts the program. Returns an error naming the program when it cannot be started.
  static Result<std::unique_ptr<ChildProcess>> Start(const ChildOptions& options);
  ~ChildProcess();  // Stop(5000)
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  bool Running();
  void Signal(int signal);
  // Waits up to timeout_ms. Returns the exit code, 128+signal when killed, -1 on timeout.
  int Wait(int timeout_ms);
  // SIGTERM, wait up to timeout_ms, then SIGKILL. Returns as Wait().
  int Stop(int timeout_ms = 5000);

 private:
  ChildProcess(pid_t pid, std::string name) : pid_(pid), name_(std::move(name)) {}
  pid_t pid_;
  std::string name_;
  std::mutex mu_;  // guards the reaping (waitpid) against Signal's kill
  bool exited_ = false;
  int exit_code_ = -1;
};

// Returns true when something accepts TCP connections on host:port now.
bool TcpPortOpen(const std::string& host, int port);
// Waits until host:port accepts connections; false on timeout.
bool WaitForTcpPort(const std::string& host, int port, int timeout_ms);
// Returns a loopback port that was free a moment ago.
int FindFreePort();

// Process liveness on this machine, so a worker can requeue the jobs of a predecessor killed with
// -9 at once instead of waiting for its heartbeat key to expire.
// Returns a token naming process `pid` as seen from here: "<boot id>/<pid namespace>/<pid>/<start
// time in clock ticks>", or "" when /proc cannot tell (then no one can prove the process gone).
std::string ProcessLivenessToken(pid_t pid);
// Returns true only when `token` names a process of this boot and pid namespace that has exited:
// its pid is free, a zombie, or reused by a later process. False when unsure (another machine or
// container, an unreadable /proc, a malformed token).
bool ProcessProvablyGone(const std::string& token);

}  // namespace fib
