// SmtpMailer: the real Mailer, sending over SMTP with libcurl; callers never see CURL. The only
// libcurl user in the tree.
// Thread-safety: Send may be called from many threads at once (one curl handle per thread).
#pragma once

#include <string>

#include "common/smtp/mailer.h"

namespace fib {

struct SmtpMailerOptions {
  std::string url = "smtp://127.0.0.1:1025";  // SMTP_URL
  int connect_timeout_ms = 5000;
  int timeout_ms = 30000;  // whole send, including a slow provider's delay
};

class SmtpMailer : public Mailer {
 public:
  explicit SmtpMailer(SmtpMailerOptions options);
  Status Send(const Email& email) override;
  const SmtpMailerOptions& options() const { return options_; }

 private:
  SmtpMailerOptions options_;
};

}  // namespace fib
