// LoadAuthFile: reads the mail sink's --auth-file, the users SMTP AUTH accepts: one
// "user:password" per line (the password is everything after the first colon); blank lines and
// lines starting with # are skipped. Errors name the file and line number, never a line's text.
// Thread-safety: a pure function (reads the file once).
#pragma once

#include <map>
#include <string>

#include "common/status.h"

namespace fib {

inline constexpr size_t kMaxAuthFileBytes = 1024 * 1024;

// Returns user -> password. Refuses a file over kMaxAuthFileBytes, a line without a colon or
// with an empty user name, a user listed twice, and a file with no users at all.
Result<std::map<std::string, std::string>> LoadAuthFile(const std::string& path);

}  // namespace fib
