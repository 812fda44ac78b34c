// Mailer: sends an email. SmtpMailer is the real one (libcurl SMTP); callers never see CURL.
// Thread-safety: SmtpMailer::Send may be called from many threads at once (one handle per thread).
#pragma once

#include <map>
#include <string>

#include "common/status.h"

namespace fib {

struct Email {
  std::string from;
  std::string to;
  std::string subject;
  std::string html_body;
  std::map<std::string, std::string> headers;  // extra headers, e.g. X-Request-Id, X-Job-Id
};

// Returns the RFC 5322 message (headers, blank line, body; CRLF line ends).
// REQUIRES: no CR or LF in any header value (Send checks and refuses).
std::string FormatMessage(const Email& email, const std::string& message_id_domain = "fibtastic.local");

class Mailer {
 public:
  virtual ~Mailer() = default;
  // Delivers `email`. Returns an error naming the server and the SMTP reply on failure.
  virtual Status Send(const Email& email) = 0;
};

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
