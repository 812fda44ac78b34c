// SequenceEmailJob (Sidekiq class SequenceEmailWorker): computes the FibTastic numbers with the
// exponential method and emails them, as the original app. Args: [email, sequence_length].
// Thread-safety: stateless; Perform may run concurrently.
#pragma once

#include <string>

#include "common/smtp/mailer.h"
#include "common/status.h"
#include "workers/jobs/job.h"

namespace fib {

struct SequenceRequest {
  std::string email;
  int sequence_length = 0;
};

inline constexpr int kMaxSequenceLength = 27;
inline constexpr size_t kMaxEmailLength = 254;

// Validates as the original app (1..27 after integer conversion, with its messages) plus a sane
// email check (one address, no CR/LF or spaces, at most 254 characters). The error message is
// meant for the person who filled in the form.
Result<SequenceRequest> ValidateSequenceRequest(const std::string& email,
                                                const std::string& sequence_length);
// Returns an error message for a bad address, or "" when it is acceptable.
std::string CheckEmailAddress(const std::string& email);

// Returns the email the job sends (from fibmaster@example.com, HTML body as the original).
Email SequenceEmail(const SequenceRequest& request, const JobContext& context);

class SequenceEmailJob : public Job {
 public:
  static constexpr char kClassName[] = "SequenceEmailWorker";
  // Accepts sequence_length as a JSON integer or a numeric string (Rails passes params as strings).
  JobStatus Perform(const nlohmann::json& args, const JobContext& context) const override;
};

}  // namespace fib
