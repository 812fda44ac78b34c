#include "common/smtp/mailer.h"

#include <time.h>

#include "common/text.h"
#include "common/time_format.h"

namespace fib {

std::string FormatMessage(const Email& email, const std::string& message_id_domain) {
  std::string out;
  out += "Date: " + Rfc5322Date(time(nullptr)) + "\r\n";
  out += "From: " + email.from + "\r\n";
  out += "To: " + email.to + "\r\n";
  out += "Subject: " + email.subject + "\r\n";
  out += "Message-ID: <" + RandomHex(24) + "@" + message_id_domain + ">\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/html; charset=UTF-8\r\n";
  for (const auto& [name, value] : email.headers)
    out.append(name).append(": ").append(value).append("\r\n");
  out += "\r\n";
  // Normalise bare LF to CRLF; libcurl dot-stuffs lines that start with '.'.
  for (size_t i = 0; i < email.html_body.size(); ++i) {
    char c = email.html_body[i];
    if (c == '\n' && (i == 0 || email.html_body[i - 1] != '\r')) out += '\r';
    out += c;
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

}  // namespace fib
