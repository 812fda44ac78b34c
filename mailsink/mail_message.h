// MailMessage: an RFC 5322 message split into unfolded headers and a body, with
// case-insensitive header lookup and the body decoded for display. Deliberately not a MIME
// parser: a multipart body is kept raw.
// Thread-safety: immutable after Parse; const methods are safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fib {

class MailMessage {
 public:
  using HeaderField = std::pair<std::string, std::string>;  // name as sent, unfolded value

  // Splits `raw` (CRLF or LF line ends) at the first empty line. Folded header lines are joined
  // (RFC 5322 §2.2.3); a line that is neither a header nor a continuation starts the body.
  static MailMessage Parse(std::string_view raw);

  // Returns every header in order of appearance.
  const std::vector<HeaderField>& headers() const { return headers_; }
  // Returns the value of the first header called `name` (ASCII case-insensitive), or nullopt.
  std::optional<std::string> Header(std::string_view name) const;
  // Returns the body exactly as received (after the blank line).
  const std::string& body() const { return body_; }

  // Returns the lower-cased media type without parameters, "text/plain" when absent (RFC 2045).
  std::string MediaType() const;
  // Returns the Subject with RFC 2047 encoded words decoded, or "".
  std::string Subject() const;
  // Returns the body for reading: for a single-part message with base64 or quoted-printable
  // Content-Transfer-Encoding, the decoded bytes; otherwise (multipart included) the raw body.
  std::string DecodedBody() const;

 private:
  std::vector<HeaderField> headers_;
  std::string body_;
};

}  // namespace fib
