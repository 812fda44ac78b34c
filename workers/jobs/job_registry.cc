#include "workers/jobs/job_registry.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "workers/jobs/sequence_email_job.h"

namespace fib {

void JobRegistry::Register(const std::string& class_name, std::shared_ptr<const Job> job) {
  jobs_[class_name] = std::move(job);
}

const Job* JobRegistry::Find(const std::string& class_name) const {
  auto it = jobs_.find(class_name);
  return it == jobs_.end() ? nullptr : it->second.get();
}

JobStatus JobRegistry::Run(const std::string& class_name, const nlohmann::json& args,
                           const JobContext& context) const {
  const Job* job = Find(class_name);
  if (!job) {
    std::string known;
    for (const auto& [name, _] : jobs_) known += (known.empty() ? "" : ", ") + name;
    return JobStatus::Fail(kUnknownJobError, "no job class named '" + class_name +
                                                 "' is registered in this worker (known: " + known +
                                                 ")");
  }
  if (!args.is_array()) {
    return JobStatus::Fail(kArgumentError, class_name + ": args must be a JSON array, got " +
                                               std::string(args.type_name()));
  }
  return job->Perform(args, context);
}

std::vector<std::string> JobRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, _] : jobs_) names.push_back(name);
  return names;
}

namespace {
// Does nothing: for measuring the queue and worker machinery alone.
class NoopJob : public Job {
 public:
  JobStatus Perform(const nlohmann::json&, const JobContext&) const override {
    return JobStatus::Ok();
  }
};
// Sleeps args[0] ms (default 0, at most 60 s), then aborts the whole process: a poison pill made
// on purpose, for fault tests and the lesson on isolation.
class CrashJob : public Job {
 public:
  JobStatus Perform(const nlohmann::json& args, const JobContext&) const override {
    int64_t delay_ms = 0;
    if (args.is_array() && !args.empty() && args[0].is_number_integer()) {
      delay_ms = std::clamp<int64_t>(args[0].get<int64_t>(), 0, 60000);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    std::fprintf(stderr, "CrashWorker: aborting this process on purpose (--enable-crash-job)\n");
    std::abort();
  }
};
}  // namespace

void RegisterCrashJob(JobRegistry* registry) {
  registry->Register("CrashWorker", std::make_shared<CrashJob>());
}

void RegisterBuiltinJobs(JobRegistry* registry) {
  registry->Register(SequenceEmailJob::kClassName, std::make_shared<SequenceEmailJob>());
  registry->Register("NoopWorker", std::make_shared<NoopJob>());
}

}  // namespace fib
