#include "workers/profiles/profile_job.h"

#include <fmt/format.h>

#include "workers/profiles/stage_runner.h"

namespace fib {

JobStatus ProfileJob::Perform(const nlohmann::json& args, const JobContext& context) const {
  if (!args.is_array()) {
    return JobStatus::Fail(
        kArgumentError,
        profile_.job_class + ": args must be a JSON array, got " + std::string(args.type_name()));
  }
  return StageRunner(profile_).RunPhase(StagePhase::kJob, args, context, nullptr);
}

Status RegisterProfileJobs(const std::vector<Profile>& profiles, JobRegistry* registry) {
  for (const Profile& profile : profiles) {
    bool registered = registry->Find(profile.job_class) != nullptr;
    if (!profile.DefinesJob()) {
      if (registered) continue;
      return Status::Error(fmt::format(
          "profile '{}' names job_class '{}' but has no [[job]] stages, and no job type of that "
          "name is registered (known: {}); add [[job]] stages or register the C++ class first",
          profile.name, profile.job_class, fmt::join(registry->Names(), ", ")));
    }
    if (registered) {
      return Status::Error(fmt::format(
          "profile '{}' defines [[job]] stages for job_class '{}', but a job type of that name is "
          "already registered; choose another job_class or remove its [[job]] stages",
          profile.name, profile.job_class));
    }
    registry->Register(profile.job_class, std::make_shared<ProfileJob>(profile));
  }
  return Status::Ok();
}

}  // namespace fib
