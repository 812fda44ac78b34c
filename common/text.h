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
// Returns true when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points
// above U+10FFFF), as RFC 3629 defines it.
bool IsValidUtf8(std::string_view text);

}  // namespace fib
