#include "common/text.h"

#include <cstdlib>
#include <random>

namespace fib {

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RandomHex(size_t n) {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  static const char kDigits[] = "0123456789abcdef";
  std::string out(n, '0');
  for (auto& c : out) c = kDigits[engine() & 15];
  return out;
}

std::string Uuid4() {
  std::string h = RandomHex(32);
  h[12] = '4';
  h[16] = "89ab"[h[16] % 4];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

std::string Trim(std::string_view text) {
  size_t b = 0, e = text.size();
  while (b < e && isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  return std::string(text.substr(b, e - b));
}

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v && *v) ? std::string(v) : fallback;
}

}  // namespace fib
