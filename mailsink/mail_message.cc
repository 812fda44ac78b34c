#include "mailsink/mail_message.h"

#include <cctype>

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

MailMessage MailMessage::Parse(std::string_view raw) {
  MailMessage message;
  size_t pos = 0;
  size_t body_start = raw.size();
  while (pos < raw.size()) {
    size_t line_start = pos;
    std::string_view line = NextLine(raw, &pos);
    if (line.empty()) {
      body_start = pos;
      break;
    }
    bool continuation = line.front() == ' ' || line.front() == '\t';
    if (continuation && !message.headers_.empty()) {
      message.headers_.back().second += line;  // unfolding removes only the line break
      continue;
    }
    size_t colon = line.find(':');
    if (continuation || colon == std::string_view::npos || !IsFieldName(line.substr(0, colon))) {
      body_start = line_start;  // not a header: the header section ended without a blank line
      break;
    }
    message.headers_.emplace_back(std::string(line.substr(0, colon)),
                                  std::string(line.substr(colon + 1)));
  }
  for (auto& field : message.headers_) field.second = Trim(field.second);
  message.body_ = std::string(raw.substr(body_start));
  return message;
}

std::optional<std::string> MailMessage::Header(std::string_view name) const {
  for (const auto& [field, value] : headers_) {
    if (EqualsIgnoreCase(field, name)) return value;
  }
  return std::nullopt;
}

std::string MailMessage::MediaType() const {
  std::string type = Header("Content-Type").value_or("text/plain");
  return Lower(Trim(type.substr(0, type.find(';'))));
}

std::string MailMessage::Subject() const {
  return DecodeEncodedWords(Header("Subject").value_or(""));
}

std::string MailMessage::DecodedBody() const {
  if (MediaType().rfind("multipart/", 0) == 0) return body_;
  std::string encoding = Lower(Trim(Header("Content-Transfer-Encoding").value_or("")));
  if (encoding == "base64") return DecodeBase64(body_);
  if (encoding == "quoted-printable") return DecodeQuotedPrintable(body_);
  return body_;
}

}  // namespace fib
