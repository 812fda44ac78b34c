// RecordingMailer: the unit tests' seam in place of SMTP — records what would be sent and fails
// with `fail_with` when it is set.
// Thread-safety: none; one test thread.
#pragma once

#include <string>
#include <vector>

#include "common/smtp/mailer.h"

namespace fib::test {

class RecordingMailer : public Mailer {
 public:
  Status Send(const Email& email) override {
    sent.push_back(email);
    return fail_with.empty() ? Status::Ok() : Status::Error(fail_with);
  }
  std::vector<Email> sent;
  std::string fail_with;
};

}  // namespace fib::test
