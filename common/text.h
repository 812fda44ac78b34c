// Small text helpers shared by the web app, the mail sink and reports.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace fib {

// Returns `text` with & < > " ' replaced by HTML entities.
std::string HtmlEscape(std::string_view text);
// Returns `n` random lowercase hex characters (from a per-thread CSPRNG-seeded engine).
std::string RandomHex(size_t n);
// Returns a random RFC 4122 version-4 UUID string.
std::string Uuid4();
// Returns a copy without leading/trailing ASCII whitespace.
std::string Trim(std::string_view text);
// Returns the environment variable's value, or `fallback` when unset or empty. For main() only.
std::string EnvOr(const char* name, const std::string& fallback);
// Appends `text` to `out` safe for a one-line log or a terminal: control characters (C0, DEL and
// UTF-8-encoded C1, which terminals read as escape sequences) become \n, \r, \t or \xNN, and a
// backslash becomes \\, so no text a client sent can end a line, forge the next one or recolour
// the terminal. Text without such bytes is appended unchanged (one scan, no allocation).
void AppendEscapedForLog(std::string* out, std::string_view text);
std::string EscapeForLog(std::string_view text);
// Returns `text` (a URL that may not parse) with any userinfo before '@' masked ("user:***@"),
// for messages.
std::string RedactUrlText(const std::string& text);
// Percent-encodes `text` for a query string or a form body (RFC 3986 unreserved characters kept).
std::string PercentEncode(std::string_view text);
// Decodes %XX escapes (as URI userinfo may carry them) into `out`; false on a malformed escape.
bool PercentDecode(const std::string& in, std::string* out);
// Returns the password in a URL's userinfo as written (still percent-encoded), "" when none.
std::string UrlPassword(const std::string& url);
// Returns true when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points
// above U+10FFFF), as RFC 3629 defines it.
bool IsValidUtf8(std::string_view text);

}  // namespace fib
