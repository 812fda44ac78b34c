#include "server/dispatch/inline_dispatcher.h"

namespace fib {

InlineDispatcher::InlineDispatcher(const JobRegistry* registry, Mailer* mailer, const Clock* clock)
    : registry_(registry), mailer_(mailer), clock_(clock) {}

DispatchResult InlineDispatcher::Dispatch(const std::string& class_name, const nlohmann::json& args,
                                          const std::string& request_id, int64_t request_start_us) {
  JobContext context;
  context.request_id = request_id;
  context.mailer = mailer_;
  context.clock = clock_;
  context.timing.request_start_us = request_start_us;
  context.timing.perform_us = clock_->NowMicros();
  DispatchResult result;
  result.timing_name = "job";
  int64_t start_us = clock_->MonotonicMicros();
  JobStatus status = registry_->Run(class_name, args, context);
  result.duration_us = clock_->MonotonicMicros() - start_us;
  if (status.ok()) return result;
  // An SMTP failure is the provider's fault (502); anything else means the job refused its input.
  result.outcome = status.error_class() == kSmtpError ? DispatchOutcome::kMailFailed
                                                      : DispatchOutcome::kInvalidJob;
  result.message = status.error_class() + ": " + status.message();
  return result;
}

std::string InlineDispatcher::Describe() const {
  return "the job runs inside the request: the page appears after the email has been sent";
}

}  // namespace fib
