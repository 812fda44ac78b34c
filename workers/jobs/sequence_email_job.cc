#include "workers/jobs/sequence_email_job.h"

#include <fmt/format.h>

#include "common/flags.h"
#include "common/text.h"
#include "workers/jobs/fib_sequence.h"
#include "workers/jobs/trace_headers.h"

namespace fib {

std::string CheckEmailAddress(const std::string& email) {
  if (email.empty()) return "please provide an email address";
  if (email.size() > kMaxEmailLength) {
    return fmt::format("the email address is too long ({} characters; at most {})", email.size(),
                       kMaxEmailLength);
  }
  size_t at = email.find('@');
  if (at == std::string::npos || at == 0 || at + 1 >= email.size() ||
      email.find('@', at + 1) != std::string::npos) {
    return "please provide one email address, like name@example.com";
  }
  for (unsigned char c : email) {
    if (c < 0x21 || c == 0x7f || c == ',' || c == ';' || c == '<' || c == '>' || c == '"' ||
        c == '(' || c == ')' || c == '\\') {
      return "the email address may not contain spaces, line breaks, quotes, brackets, commas "
             "or semicolons; please provide one plain address";
    }
  }
  // Bytes that are not UTF-8 cannot be an address anyone can receive mail at (and would be
  // mangled into U+FFFD on their way through the JSON job payload).
  if (!IsValidUtf8(email)) {
    return "the email address is not valid UTF-8 text; please provide one plain address";
  }
  if (email.find('.', at) == std::string::npos) {
    return "the email address needs a domain with a dot, like name@example.com";
  }
  return "";
}

Result<SequenceRequest> ValidateSequenceRequest(const std::string& email,
                                                const std::string& sequence_length) {
  std::string problem = CheckEmailAddress(email);
  if (!problem.empty()) return Status::Error(problem);
  // The original converts with to_i and checks > 0 and < 28.
  auto length = ParseInt(Trim(sequence_length), "sequence_length");
  if (!length.ok() || *length <= 0) return Status::Error("please provide a valid sequence length");
  if (*length > kMaxSequenceLength) {
    return Status::Error(
        "Sorry, sequences longer than 27 are reserved for our paid customers. Please choose 1 to "
        "27.");
  }
  return SequenceRequest{email, static_cast<int>(*length)};
}

Email SequenceEmail(const SequenceRequest& request, const JobContext& context) {
  std::vector<int64_t> numbers = RecSequence(request.sequence_length);
  Email email;
  email.from = "fibmaster@example.com";
  email.to = request.email;
  email.subject = "Your Fib Sequence!";
  email.html_body = fmt::format(
      "<!DOCTYPE html>\n<html>\n<head><meta content=\"text/html; charset=UTF-8\" "
      "http-equiv=\"Content-Type\" /></head>\n<body>\n"
      "<h1>Here's those Fibonacci Numbers you requested:</h1>\n<p>{}</p>\n</body>\n</html>\n",
      fmt::join(numbers, ", "));
  AddTraceHeaders(context, &email);
  return email;
}

JobStatus SequenceEmailJob::Perform(const nlohmann::json& args, const JobContext& context) const {
  if (!args.is_array() || args.size() != 2) {
    return JobStatus::Fail(kArgumentError,
                           fmt::format("wrong number of arguments (given {}, expected 2: email, "
                                       "sequence_length)",
                                       args.is_array() ? args.size() : 1));
  }
  if (!args[0].is_string()) {
    return JobStatus::Fail(kArgumentError, "email (argument 1) must be a string, got " +
                                               std::string(args[0].type_name()));
  }
  std::string length_text;
  if (args[1].is_number_integer()) {
    length_text = std::to_string(args[1].get<int64_t>());
  } else if (args[1].is_string()) {
    length_text = args[1].get<std::string>();
  } else {
    return JobStatus::Fail(
        kArgumentError,
        "sequence_length (argument 2) must be an integer or a numeric string, got " +
            std::string(args[1].type_name()));
  }
  auto request = ValidateSequenceRequest(args[0].get<std::string>(), length_text);
  if (!request.ok()) return JobStatus::Fail(kArgumentError, request.message());
  if (!context.mailer) return JobStatus::Fail(kSmtpError, "no mailer configured");
  Status sent = context.mailer->Send(SequenceEmail(*request, context));
  if (!sent.ok()) return JobStatus::Fail(kSmtpError, sent.message());
  return JobStatus::Ok();
}

}  // namespace fib
