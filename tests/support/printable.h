// Printable: raw protocol bytes as one readable log line (tests print what they sent/received).
// Thread-safety: pure function.
#pragma once

#include <cstdio>
#include <string>

namespace fib::test {

// Returns `bytes` shortened to `max` characters, with CR, LF, other control and non-ASCII bytes
// escaped (\r, \n, \xNN), and the full size appended when shortened.
inline std::string Printable(const std::string& bytes, size_t max = 70) {
  std::string out;
  for (unsigned char c : bytes.substr(0, max)) {
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (bytes.size() > max) out += "...(" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

}  // namespace fib::test
