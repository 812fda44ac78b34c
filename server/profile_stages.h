// Profile stages in the web request: adapts a profile's [[request]] and [[response]] stages
// (workers/profiles/profile.h) to RequestPipeline, so `fibtastic-web --profile lesson` does the
// lesson's "load user (3 ms)" before the job point and "render (20 ms)" after it. Thread-safety:
// the stages are stateless; Run may be called from many request threads at once.
#pragma once

#include "common/smtp/mailer.h"
#include "server/request_pipeline.h"
#include "workers/profiles/profile.h"

namespace fib {

// Adds the profile's request stages before the job and its response stages after it.
// REQUIRES: profile and mailer (used by smtp stages) outlive the pipeline.
void AddProfileStages(const Profile& profile, Mailer* mailer, RequestPipeline* pipeline);

}  // namespace fib
