// MailMessage: an RFC 5322 message split into unfolded headers and a body, with
// case-insensitive header lookup and the body decoded for display. Deliberately not a MIME
// parser: a multipart body is kept raw.
// Cost contract: Parse is linear in the size of the message and does all the per-message work
// a listing needs (the decoded subject, the first occurrence of each header name), so readers
// never re-scan the headers. The body is not copied: it is the tail of the raw text, from
// body_offset(), which the caller keeps (StoredMessage::raw). At most
// MailParseLimits::max_header_fields fields and max_header_bytes of header text are kept; the
// fields beyond are dropped (counted in headers_dropped()); the message itself is still parsed
// to its end, and its raw text still has every header.
// Thread-safety: immutable after Parse; const methods are safe from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fib {

struct MailParseLimits {
  size_t max_header_fields = 1000;       // fields kept; later ones are dropped and counted
  size_t max_header_bytes = 256 * 1024;  // name + value bytes kept over all fields
};

class MailMessage {
 public:
  using HeaderField = std::pair<std::string, std::string>;  // name as sent, unfolded value

  // Splits `raw` (CRLF or LF line ends) at the first empty line. Folded header lines are joined
  // (RFC 5322 §2.2.3); a line that is neither a header nor a continuation starts the body.
  static MailMessage Parse(std::string_view raw, const MailParseLimits& limits = {});

  // Returns every kept header in order of appearance.
  const std::vector<HeaderField>& headers() const { return headers_; }
  // Returns the indexes into headers() of the first field of each name (ASCII
  // case-insensitive), in order of appearance.
  const std::vector<size_t>& first_of_each_name() const { return first_of_each_name_; }
  // Returns the value of the first header called `name` (ASCII case-insensitive), or nullopt.
  // Linear in the number of headers.
  std::optional<std::string> Header(std::string_view name) const;
  // Header fields that did not fit MailParseLimits and were dropped (0 normally).
  size_t headers_dropped() const { return headers_dropped_; }

  // Where the body starts in the raw text given to Parse.
  size_t body_offset() const { return body_offset_; }
  // Returns the body exactly as received (after the blank line). REQUIRES: `raw` is the text
  // this message was parsed from.
  std::string_view Body(std::string_view raw) const;

  // Returns the lower-cased media type without parameters, "text/plain" when absent (RFC 2045).
  std::string MediaType() const;
  // Returns the Subject with RFC 2047 encoded words decoded (at Parse time), or "".
  const std::string& Subject() const { return subject_; }
  // Returns the body for reading: for a single-part message with base64 or quoted-printable
  // Content-Transfer-Encoding, the decoded bytes; otherwise (multipart included) the raw body.
  // REQUIRES: `raw` is the text this message was parsed from.
  std::string DecodedBody(std::string_view raw) const;

  // Bytes of memory this object holds beyond sizeof(MailMessage) (the raw text not included).
  size_t HeapBytes() const;

 private:
  std::vector<HeaderField> headers_;
  std::vector<size_t> first_of_each_name_;
  std::string subject_;
  size_t body_offset_ = 0;
  size_t headers_dropped_ = 0;
};

}  // namespace fib
