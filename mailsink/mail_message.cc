#include "mailsink/mail_message.h"

#include <algorithm>
#include <cctype>
#include <unordered_set>

#include "common/text.h"
#include "mailsink/mime_decode.h"
#include "mailsink/smtp_command.h"

namespace fib {
namespace {

// Returns the next line (without its line end) and advances *pos past the line end.
std::string_view NextLine(std::string_view text, size_t* pos) {
  size_t start = *pos;
  size_t lf = text.find('\n', start);
  size_t end = lf == std::string_view::npos ? text.size() : lf;
  *pos = lf == std::string_view::npos ? text.size() : lf + 1;
  std::string_view line = text.substr(start, end - start);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// RFC 5322 §2.2: a field name is printable US-ASCII except the colon.
bool IsFieldName(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (c < 33 || c > 126) return false;
  }
  return true;
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

MailMessage MailMessage::Parse(std::string_view raw, const MailParseLimits& limits) {
  MailMessage message;
  size_t pos = 0;
  size_t body_start = raw.size();
  size_t kept_bytes = 0;
  // The field being read: it is kept (or dropped, when over the limits) at the next field.
  bool open = false;
  bool over = false;
  std::string name;
  std::string value;
  auto close_field = [&] {
    if (!open) return;
    open = false;
    if (over || message.headers_.size() >= limits.max_header_fields) {
      ++message.headers_dropped_;
      return;
    }
    kept_bytes += name.size() + value.size();
    message.headers_.emplace_back(std::move(name), Trim(value));
  };
  auto fits = [&] { return kept_bytes + name.size() + value.size() <= limits.max_header_bytes; };
  while (pos < raw.size()) {
    size_t line_start = pos;
    std::string_view line = NextLine(raw, &pos);
    if (line.empty()) {
      body_start = pos;
      break;
    }
    bool continuation = line.front() == ' ' || line.front() == '\t';
    if (continuation && open) {
      if (!over) value += line;  // unfolding removes only the line break
      if (!over && !fits()) {
        over = true;
        value = std::string();
      }
      continue;
    }
    size_t colon = line.find(':');
    if (continuation || colon == std::string_view::npos || !IsFieldName(line.substr(0, colon))) {
      body_start = line_start;  // not a header: the header section ended without a blank line
      break;
    }
    close_field();
    open = true;
    name = std::string(line.substr(0, colon));
    value = std::string(line.substr(colon + 1));
    over = !fits();
  }
  close_field();
  message.body_offset_ = body_start;
  // First field of each name, in one pass (lower-cased names in a hash set).
  std::unordered_set<std::string> seen;
  seen.reserve(message.headers_.size());
  for (size_t i = 0; i < message.headers_.size(); ++i) {
    if (seen.insert(Lower(message.headers_[i].first)).second) {
      message.first_of_each_name_.push_back(i);
    }
  }
  message.subject_ = DecodeEncodedWords(message.Header("Subject").value_or(""));
  return message;
}

std::optional<std::string> MailMessage::Header(std::string_view name) const {
  for (const auto& [field, value] : headers_) {
    if (EqualsIgnoreCase(field, name)) return value;
  }
  return std::nullopt;
}

std::string_view MailMessage::Body(std::string_view raw) const {
  return raw.substr(std::min(body_offset_, raw.size()));
}

size_t MailMessage::HeapBytes() const {
  size_t bytes = headers_.capacity() * sizeof(HeaderField) +
                 first_of_each_name_.capacity() * sizeof(size_t) + subject_.capacity();
  for (const auto& [name, value] : headers_) bytes += name.capacity() + value.capacity();
  return bytes;
}

std::string MailMessage::MediaType() const {
  std::string type = Header("Content-Type").value_or("text/plain");
  return Lower(Trim(type.substr(0, type.find(';'))));
}

std::string MailMessage::DecodedBody(std::string_view raw) const {
  std::string_view body = Body(raw);
  if (MediaType().rfind("multipart/", 0) == 0) return std::string(body);
  std::string encoding = Lower(Trim(Header("Content-Transfer-Encoding").value_or("")));
  if (encoding == "base64") return DecodeBase64(body);
  if (encoding == "quoted-printable") return DecodeQuotedPrintable(body);
  return std::string(body);
}

}  // namespace fib
