// ProfileJob: a job type defined by a profile's [[job]] stages, registered under the profile's
// job_class, so profiles add job types without C++ (docs/profiles.md).
// Thread-safety: immutable after construction; Perform may run on many threads at once.
#pragma once

#include <vector>

#include "common/require.h"
#include "common/status.h"
#include "workers/jobs/job.h"
#include "workers/jobs/job_registry.h"
#include "workers/profiles/profile.h"

namespace fib {

class ProfileJob : public Job {
 public:
  // REQUIRES: profile.DefinesJob().
  explicit ProfileJob(Profile profile) : profile_(std::move(profile)) {
    FIB_REQUIRE(profile_.DefinesJob());
  }

  // Runs the [[job]] stages in order. Args: a free-form JSON array; args[0], if a string, is the
  // recipient of smtp stages (default user@example.com). Fails with SmtpError when a send fails.
  JobStatus Perform(const nlohmann::json& args, const JobContext& context) const override;
  const Profile& profile() const { return profile_; }

 private:
  Profile profile_;
};

// Registers a ProfileJob for each profile that defines [[job]] stages. Register the C++ job types
// (RegisterBuiltinJobs, RegisterExampleJobs) first: a profile without [[job]] stages must name one
// of them (it adds nothing), and a profile with [[job]] stages must not take over a name already
// registered. Returns an error naming the profile and job class otherwise.
Status RegisterProfileJobs(const std::vector<Profile>& profiles, JobRegistry* registry);

}  // namespace fib
