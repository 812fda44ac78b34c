#include "workers/example_jobs.h"

#include "workers/thumbnail_job.h"

namespace fib {

void RegisterExampleJobs(JobRegistry* registry) {
  registry->Register(ThumbnailJob::kClassName, std::make_shared<ThumbnailJob>());
}

}  // namespace fib
