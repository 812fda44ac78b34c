#include "common/text.h"

#include <charconv>
#include <cstdlib>
#include <random>

namespace fib {

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
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

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    unsigned char lead = static_cast<unsigned char>(text[i]);
    size_t length = lead < 0x80                    ? 1
                    : lead >= 0xc2 && lead <= 0xdf ? 2
                    : lead >= 0xe0 && lead <= 0xef ? 3
                    : lead >= 0xf0 && lead <= 0xf4 ? 4
                                                   : 0;
    if (length == 0 || i + length > text.size()) return false;
    // The second byte's range excludes overlong forms, surrogates and code points > U+10FFFF.
    unsigned char low = 0x80, high = 0xbf;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;
    for (size_t k = 1; k < length; ++k) {
      unsigned char c = static_cast<unsigned char>(text[i + k]);
      if (c < (k == 1 ? low : 0x80) || c > (k == 1 ? high : 0xbf)) return false;
    }
    i += length;
  }
  return true;
}

namespace {
bool NeedsLogEscape(std::string_view text, size_t i) {
  auto c = static_cast<unsigned char>(text[i]);
  if (c < 0x20 || c == 0x7f || c == '\\') return true;
  // U+0080..U+009F (C1 controls, e.g. CSI U+009B) are C2 80..C2 9F in UTF-8.
  return c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) <= 0x9f &&
         static_cast<unsigned char>(text[i + 1]) >= 0x80;
}
}  // namespace

void AppendEscapedForLog(std::string* out, std::string_view text) {
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (!NeedsLogEscape(text, i)) continue;
    out->append(text.substr(start, i - start));
    auto c = static_cast<unsigned char>(text[i]);
    static const char kHex[] = "0123456789abcdef";
    if (c == '\n') {
      out->append("\\n");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (c == '\\') {
      out->append("\\\\");
    } else {
      if (c == 0xc2) c = static_cast<unsigned char>(text[++i]);  // the C1 code point itself
      out->append({'\\', 'x', kHex[c >> 4], kHex[c & 15]});
    }
    start = i + 1;
  }
  out->append(text.substr(start));
}

std::string EscapeForLog(std::string_view text) {
  std::string out;
  AppendEscapedForLog(&out, text);
  return out;
}

std::string RedactUrlText(const std::string& text) {
  size_t scheme_end = text.find("://");
  size_t start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  // The last '@' anywhere, not just in the authority: a password with an unescaped '/', '?'
  // or '#' (a common slip) ends the authority early and would otherwise be shown.
  size_t at = text.rfind('@');
  if (at == std::string::npos || at < start) return text;
  std::string userinfo = text.substr(start, at - start);
  size_t colon = userinfo.find(':');
  std::string user = colon == std::string::npos ? userinfo : userinfo.substr(0, colon);
  std::string masked = colon == std::string::npos ? user : user + ":***";
  return text.substr(0, start) + masked + text.substr(at);
}

std::string UrlPassword(const std::string& url) {
  size_t scheme_end = url.find("://");
  size_t start = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  size_t at = url.rfind('@');
  if (at == std::string::npos || at < start) return "";
  size_t colon = url.find(':', start);
  return colon == std::string::npos || colon > at ? "" : url.substr(colon + 1, at - colon - 1);
}

std::string PercentEncode(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool PercentDecode(const std::string& in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    int value = 0;
    if (i + 2 >= in.size()) return false;
    auto [ptr, ec] = std::from_chars(in.data() + i + 1, in.data() + i + 3, value, 16);
    if (ec != std::errc() || ptr != in.data() + i + 3) return false;
    out->push_back(static_cast<char>(value));
    i += 2;
  }
  return true;
}

}  // namespace fib
