// SmtpMailer: the real Mailer, sending over SMTP with libcurl; callers never see CURL. The only
// libcurl user in the tree. TLS rule: smtps:// is implicit TLS; smtp:// with a user name or
// ?tls=required must STARTTLS (the send fails rather than show the password in clear text);
// ?tls=none opts out (a server without TLS, e.g. mailcatcher); otherwise plain SMTP.
// Thread-safety: Send may be called from many threads at once (one curl handle per thread).
#pragma once

#include <string>
#include <vector>

#include "common/smtp/mailer.h"

namespace fib {

struct SmtpMailerOptions {
  std::string url = "smtp://127.0.0.1:1025";  // SMTP_URL; may end in ?tls=required|none
  int connect_timeout_ms = 5000;
  int timeout_ms = 30000;     // whole send, including a slow provider's delay
  std::string ca_file = "";   // SMTP_CA_FILE: PEM CAs to verify the server; "": the system's
  bool tls_insecure = false;  // SMTP_TLS_INSECURE=1: skip certificate and host name checks
};

// Returns an error naming a bad SMTP_URL (scheme, ?tls= value), for exit 2 at start.
Status CheckSmtpUrl(const std::string& url);

class SmtpMailer : public Mailer {
 public:
  explicit SmtpMailer(SmtpMailerOptions options);
  // Errors name the server by its redacted URL and never contain the URL's password.
  Status Send(const Email& email) override;
  // The URL with its password masked ("smtp://user:***@host:587"): the only form to show.
  const std::string& redacted_url() const { return redacted_url_; }

 private:
  // Sets STARTTLS (per the rule above), certificate checks and AUTH PLAIN on `curl` (a CURL*).
  void ConfigureTls(void* curl) const;

  SmtpMailerOptions options_;
  std::string curl_url_;  // the URL without our ?tls= parameter
  bool require_tls_ = false;
  bool has_user_ = false;
  Status url_status_ = Status::Ok();
  std::string redacted_url_;
  std::vector<std::string> secrets_;  // the password as written and percent-decoded
};

class FlagSet;

// Registers --smtp-ca-file and --smtp-tls-insecure (the web's and the worker's, one wording).
// Fill the targets from SMTP_CA_FILE / SMTP_TLS_INSECURE=1 first: the flags override them.
void RegisterSmtpTlsFlags(FlagSet* flags, std::string* ca_file, bool* tls_insecure);

}  // namespace fib
