// Mailer: sends an email (the seam between jobs and the outside world). SmtpMailer
// (common/smtp/smtp_mailer.h) is the real one; tests record instead.
// Thread-safety: implementations say; SmtpMailer::Send may be called from many threads at once.
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
std::string FormatMessage(const Email& email,
                          const std::string& message_id_domain = "fibtastic.local");

class Mailer {
 public:
  virtual ~Mailer() = default;
  // Delivers `email`. Returns an error naming the server and the SMTP reply on failure.
  virtual Status Send(const Email& email) = 0;
};

}  // namespace fib
