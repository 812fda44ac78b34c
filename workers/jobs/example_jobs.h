// The example C++ job types that ship with the guide in docs/profiles.md ("Add your own job
// type"). Add yours here, next to ThumbnailJob.
// Thread-safety: call at start-up, before the registry is shared.
#pragma once

#include "workers/jobs/job_registry.h"

namespace fib {

// Registers ThumbnailWorker (ThumbnailJob).
void RegisterExampleJobs(JobRegistry* registry);

}  // namespace fib
