#include "bench/report/html_text.h"

#include <fmt/format.h>

#include <cmath>

#include "common/text.h"

namespace fib {

namespace {
const char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// Returns the length of the valid UTF-8 sequence at text[i] (1..4), or 0 when it is invalid.
size_t Utf8Length(std::string_view text, size_t i) {
  auto byte = [&text](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  size_t n = lead < 0x80           ? 1
             : (lead >> 5) == 0x6  ? 2
             : (lead >> 4) == 0xE  ? 3
             : (lead >> 3) == 0x1E ? 4
                                   : 0;
  if (n == 0 || i + n > text.size() || (n == 2 && lead < 0xC2)) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  // Overlong 3/4-byte forms, surrogates and code points above U+10FFFF.
  if (n == 3 && ((lead == 0xE0 && byte(i + 1) < 0xA0) || (lead == 0xED && byte(i + 1) >= 0xA0)))
    return 0;
  if (n == 4 && ((lead == 0xF0 && byte(i + 1) < 0x90) || lead > 0xF4 ||
                 (lead == 0xF4 && byte(i + 1) >= 0x90)))
    return 0;
  return n;
}
}  // namespace

std::string HtmlFromData(std::string_view text) {
  std::string clean;
  clean.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t n = Utf8Length(text, i);
    bool control =
        n == 1 &&
        ((static_cast<unsigned char>(text[i]) < 0x20 && text[i] != '\t' && text[i] != '\n') ||
         text[i] == 0x7F);
    if (n == 0 || control) {
      clean += kReplacement;
      i += n == 0 ? 1 : n;
    } else {
      clean.append(text.substr(i, n));
      i += n;
    }
  }
  return HtmlEscape(clean);
}

std::string ScriptJson(const nlohmann::json& json) {
  // dump() with `replace` keeps invalid UTF-8 from throwing; ensure_ascii = false keeps the file
  // small, so U+2028/U+2029 (raw in the output) are escaped below.
  std::string text = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (text.compare(i, 3, "\xE2\x80\xA8") == 0 || text.compare(i, 3, "\xE2\x80\xA9") == 0) {
      out += text[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string ExactNumber(double value) {
  if (!std::isfinite(value)) return "–";
  return fmt::format("{}", value);
}

std::string ShortNumber(double value) {
  if (!std::isfinite(value)) return "–";
  double magnitude = std::fabs(value);
  if (magnitude >= 100 || value == std::round(value)) return fmt::format("{:.0f}", value);
  if (magnitude >= 10) return fmt::format("{:.1f}", value);
  if (magnitude >= 1) return fmt::format("{:.2f}", value);
  return fmt::format("{:.3g}", value);
}

}  // namespace fib
