#include "mailsink/mime_decode.h"

#include <cctype>
#include <cstdint>

namespace fib {
namespace {

int Base64Value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int HexValue(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = static_cast<unsigned char>(std::toupper(c));
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes the Q encoding of RFC 2047: like quoted-printable, but '_' means a space.
std::string DecodeQ(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      out += ' ';
    } else if (text[i] == '=' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Tries to decode one encoded word starting at text[0] == '='. On success sets *length to the
// bytes it spans and returns true.
bool DecodeOneWord(std::string_view text, std::string* out, size_t* length) {
  if (text.size() < 8 || text.substr(0, 2) != "=?") return false;
  size_t q1 = text.find('?', 2);
  if (q1 == std::string_view::npos || q1 + 2 >= text.size() || text[q1 + 2] != '?') return false;
  char encoding = static_cast<char>(std::toupper(static_cast<unsigned char>(text[q1 + 1])));
  size_t end = text.find("?=", q1 + 3);
  if (end == std::string_view::npos || (encoding != 'B' && encoding != 'Q')) return false;
  std::string_view payload = text.substr(q1 + 3, end - (q1 + 3));
  if (payload.find(' ') != std::string_view::npos) return false;
  *out += encoding == 'B' ? DecodeBase64(payload) : DecodeQ(payload);
  *length = end + 2;
  return true;
}

}  // namespace

std::string DecodeBase64(std::string_view text) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : text) {
    if (c == '=') break;
    int v = Base64Value(c);
    if (v < 0) continue;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

std::string DecodeQuotedPrintable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    // A plain byte here and a lone '=' at the end are both kept as they are.
    // NOLINTNEXTLINE(bugprone-branch-clone)
    if (text[i] != '=') {
      out += text[i];
    } else if (i + 1 < text.size() && (text[i + 1] == '\r' || text[i + 1] == '\n')) {
      i += (text[i + 1] == '\r' && i + 2 < text.size() && text[i + 2] == '\n') ? 2 : 1;
    } else if (i + 2 < text.size() && HexValue(text[i + 1]) >= 0 && HexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string DecodeEncodedWords(std::string_view text) {
  std::string out;
  size_t pending_space_start = std::string::npos;  // whitespace after a decoded word
  for (size_t i = 0; i < text.size();) {
    size_t length = 0;
    std::string decoded;
    if (text[i] == '=' && DecodeOneWord(text.substr(i), &decoded, &length)) {
      // Whitespace between two encoded words is dropped (RFC 2047 §6.2).
      if (pending_space_start != std::string::npos) out.resize(pending_space_start);
      out += decoded;
      i += length;
      pending_space_start = out.size();
      while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) out += text[i++];
      continue;
    }
    pending_space_start = std::string::npos;
    out += text[i++];
  }
  return out;
}

}  // namespace fib
