// JobRegistry: job types by their Sidekiq class name. The worker never evaluates anything from
// a payload beyond looking up a registered name here.
// Thread-safety: register at start-up; afterwards Find and Run are safe from any thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "workers/jobs/job.h"

namespace fib {

class JobRegistry {
 public:
  // Adds `job` under `class_name`, replacing any earlier one.
  void Register(const std::string& class_name, std::shared_ptr<const Job> job);
  // Returns the job type, or nullptr when none is registered under that name.
  const Job* Find(const std::string& class_name) const;
  // Runs the named job; an unknown name is a failure (UnknownJobClassError), never a crash.
  JobStatus Run(const std::string& class_name, const nlohmann::json& args,
                const JobContext& context) const;
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, std::shared_ptr<const Job>> jobs_;
};

// Registers the job types that ship: SequenceEmailWorker and NoopWorker.
void RegisterBuiltinJobs(JobRegistry* registry);
// Registers CrashWorker (args: [delay_ms]): waits, then aborts the process running it. Only for
// fault tests and demos of poison pills (fibtastic-worker --enable-crash-job).
void RegisterCrashJob(JobRegistry* registry);

}  // namespace fib
