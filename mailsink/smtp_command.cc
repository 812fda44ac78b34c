#include "mailsink/smtp_command.h"

#include <cctype>
#include <cstdint>

#include "mailsink/mime_decode.h"

namespace fib {
namespace {

constexpr size_t kMaxPathBytes = 256;  // RFC 5321 §4.5.3.1.3

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view SkipSpaces(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  return text;
}

// Returns the index of the '>' closing a path that starts with '<' at 0, honouring quoted
// local parts ("a>b"@host), or npos.
size_t ClosingBracket(std::string_view text) {
  bool quoted = false;
  for (size_t i = 1; i < text.size(); ++i) {
    if (quoted && text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      quoted = !quoted;
    } else if (!quoted && text[i] == '>') {
      return i;
    }
  }
  return std::string_view::npos;
}

Status CheckAddress(std::string_view address) {
  if (address.size() > kMaxPathBytes) return Status::Error("address longer than 256 octets");
  bool quoted = false;
  for (unsigned char c : address) {
    if (IsControl(c)) return Status::Error("control character in address");
    if (c == '"') quoted = !quoted;
    if (c == ' ' && !quoted) return Status::Error("space in address");
  }
  return Status::Ok();
}

// Drops an obsolete source route: "@a,@b:user@host" -> "user@host".
std::string_view StripSourceRoute(std::string_view address) {
  if (address.empty() || address.front() != '@') return address;
  size_t colon = address.find(':');
  return colon == std::string_view::npos ? address : address.substr(colon + 1);
}

Status ParseParams(std::string_view rest, SmtpPathArgument* out) {
  while (!(rest = SkipSpaces(rest)).empty()) {
    size_t end = rest.find(' ');
    std::string_view param = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    size_t eq = param.find('=');
    std::string_view key = param.substr(0, eq);
    if (key.empty()) return Status::Error("empty parameter keyword");
    for (unsigned char c : key) {
      if (!std::isalnum(c) && c != '-') return Status::Error("bad parameter keyword");
    }
    std::string value = eq == std::string_view::npos ? "" : std::string(param.substr(eq + 1));
    out->params.emplace_back(Upper(key), std::move(value));
  }
  return Status::Ok();
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

SmtpCommand SplitCommand(std::string_view line) {
  size_t space = line.find(' ');
  if (space == std::string_view::npos) return {Upper(line), {}};
  return {Upper(line.substr(0, space)), line.substr(space + 1)};
}

Result<SmtpPathArgument> ParsePathArgument(std::string_view args, std::string_view keyword) {
  args = SkipSpaces(args);
  if (args.size() <= keyword.size() || !EqualsIgnoreCase(args.substr(0, keyword.size()), keyword) ||
      args[keyword.size()] != ':') {
    return Status::Error("expected " + std::string(keyword) + ":<address>");
  }
  std::string_view rest = SkipSpaces(args.substr(keyword.size() + 1));
  std::string_view address;
  if (!rest.empty() && rest.front() == '<') {
    size_t close = ClosingBracket(rest);
    if (close == std::string_view::npos) return Status::Error("missing '>' after the address");
    address = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest.front() != ' ') return Status::Error("expected a space after '>'");
  } else {
    size_t end = rest.find(' ');
    address = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    if (address.empty()) return Status::Error("missing address");
  }
  SmtpPathArgument out;
  Status valid = CheckAddress(address);
  if (!valid.ok()) return valid;
  out.address = std::string(StripSourceRoute(address));
  Status params = ParseParams(rest, &out);
  if (!params.ok()) return params;
  return out;
}

bool DecodeBase64(std::string_view in, std::string* out) {
  out->clear();
  if (in.size() % 4 != 0) return false;
  auto value = [](char c) { return Base64Value(static_cast<unsigned char>(c)); };
  for (size_t i = 0; i < in.size(); i += 4) {
    bool last = i + 4 == in.size();
    int pad = last ? (in[i + 3] == '=') + (in[i + 2] == '=' && in[i + 3] == '=') : 0;
    uint32_t bits = 0;
    for (size_t j = 0; j < 4; ++j) {
      int v = j >= 4 - static_cast<size_t>(pad) ? 0 : value(in[i + j]);
      if (v < 0) return false;
      bits = bits << 6 | static_cast<uint32_t>(v);
    }
    out->push_back(static_cast<char>(bits >> 16));
    if (pad < 2) out->push_back(static_cast<char>(bits >> 8 & 0xff));
    if (pad < 1) out->push_back(static_cast<char>(bits & 0xff));
  }
  return true;
}

}  // namespace fib
