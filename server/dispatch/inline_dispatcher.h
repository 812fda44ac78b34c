// InlineDispatcher: the "inline" variant — runs the job inside the HTTP request through the same
// JobRegistry the worker uses, with a real Mailer, so the response waits for the whole job.
// Thread-safety: Dispatch may be called from many threads at once (registry is read-only,
// SmtpMailer keeps one connection per thread).
#pragma once

#include <memory>

#include "common/clock.h"
#include "common/smtp/mailer.h"
#include "server/dispatch/job_dispatcher.h"
#include "workers/jobs/job_registry.h"

namespace fib {

class InlineDispatcher : public JobDispatcher {
 public:
  // REQUIRES: registry, mailer and clock outlive this object.
  InlineDispatcher(const JobRegistry* registry, Mailer* mailer, const Clock* clock);

  DispatchResult Dispatch(const std::string& class_name, const nlohmann::json& args,
                          const std::string& request_id, int64_t request_start_us) override;
  std::string ModeName() const override { return "inline"; }
  std::string Describe() const override;

 private:
  const JobRegistry* registry_;
  Mailer* mailer_;
  const Clock* clock_;
};

}  // namespace fib
