// Request ids: the X-Request-Id that ties a request to its job and its email. Incoming ids are
// kept only when safe to log and to put in an email header; otherwise a fresh UUID is used.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace fib {

inline constexpr size_t kMaxRequestIdLength = 128;

// Returns true when `id` is 1..128 characters of [A-Za-z0-9._:-].
bool IsSafeRequestId(std::string_view id);
// Returns `incoming` when IsSafeRequestId, else a new random UUID (also when absent/empty).
std::string RequestIdFor(std::string_view incoming);

}  // namespace fib
