// SmtpMailer: the real Mailer, sending over SMTP with libcurl; callers never see CURL. The only
// libcurl user in the tree.
// Thread-safety: Send may be called from many threads at once (one curl handle per thread).
#pragma once

#include <string>
#include <vector>

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
  // Errors name the server by its redacted URL and never contain the URL's password.
  Status Send(const Email& email) override;
  // The URL with its password masked ("smtp://user:***@host:587"): the only form to show.
  const std::string& redacted_url() const { return redacted_url_; }

 private:
  SmtpMailerOptions options_;
  std::string redacted_url_;
  std::vector<std::string> secrets_;  // the password as written and percent-decoded
};

}  // namespace fib
