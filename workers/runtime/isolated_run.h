// IsolatedRunner: runs one job in a process of its own, so a job that crashes its process (a bug
// in job code, a library that aborts, a stack overflow) takes no other job with it. The worker
// runs jobs recovered from dead workers this way, one per process, because one of them may be
// what killed their worker (docs/reliability.md, "Poison pills"). ChildProcessRunner starts
// `fibtastic-worker ... --run-isolated <pid>` for each job: the payload goes in on the child's
// stdin, the JobRunner's outcome comes back on its fd 3, and the parent records it in Redis.
// Thread-safety: Run and KillAll may be called from many threads at once.
#pragma once

#include <sys/types.h>

#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "workers/queue/job_queue.h"
#include "workers/runtime/job_runner.h"

namespace fib {

struct IsolatedResult {
  enum class Kind {
    kFinished,  // the job ran to an outcome (done, retry, dead, dropped) in its process
    kCrashed,   // its process died without an outcome: the job's fault (counts as a recovery)
    kNotRun,    // no outcome for a reason not the job's (cannot start a process, shutdown)
  };
  Kind kind = Kind::kNotRun;
  JobOutcome outcome;   // kFinished
  std::string problem;  // kCrashed/kNotRun: what happened, e.g. "killed by signal 6 (Aborted)"
};

class IsolatedRunner {
 public:
  virtual ~IsolatedRunner() = default;
  // Runs `job` alone and returns how it ended. Blocks until then.
  virtual IsolatedResult Run(const FetchedJob& job) = 0;
  // Ends every run in progress at once (shutdown); those Runs return kNotRun.
  virtual void KillAll() = 0;
};

class ChildProcessRunner : public IsolatedRunner {
 public:
  // `argv`: the program (executed as is, not looked up in PATH) and the flags that make it run
  // one job from stdin and write the outcome to fd 3 (RunIsolatedChild).
  explicit ChildProcessRunner(std::vector<std::string> argv);
  IsolatedResult Run(const FetchedJob& job) override;
  void KillAll() override;

 private:
  const std::vector<std::string> argv_;
  std::mutex mu_;
  std::set<pid_t> running_;  // guarded by mu_
  bool killing_ = false;     // guarded by mu_; set by KillAll, never cleared
};

// The child's side: reads the job (EncodeIsolatedJob) from `in_fd` to its end, runs it with
// `runner`, writes EncodeOutcome to `out_fd`. Returns the process's exit code (0: outcome
// written; 1: the input was unreadable or the outcome could not be written).
int RunIsolatedChild(const JobRunner& runner, int in_fd, int out_fd);

// The pipe formats: length-prefixed fields, so any bytes (payloads need not be UTF-8) pass
// unchanged.
std::string EncodeIsolatedJob(const FetchedJob& job);
Result<FetchedJob> DecodeIsolatedJob(std::string_view text);
std::string EncodeOutcome(const JobOutcome& outcome);
Result<JobOutcome> DecodeOutcome(std::string_view text);

}  // namespace fib
