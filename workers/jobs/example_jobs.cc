#include "workers/jobs/example_jobs.h"

#include "workers/jobs/thumbnail_job.h"

namespace fib {

void RegisterExampleJobs(JobRegistry* registry) {
  registry->Register(ThumbnailJob::kClassName, std::make_shared<ThumbnailJob>());
}

}  // namespace fib
