#include "mailsink/auth_file.h"

#include <fstream>
#include <sstream>

namespace fib {

Result<std::map<std::string, std::string>> LoadAuthFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error("cannot read --auth-file " + path + " (does it exist?)");
  std::string text(kMaxAuthFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxAuthFileBytes) {
    return Status::Error("--auth-file " + path + " is larger than 1 MiB");
  }
  std::map<std::string, std::string> users;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    // Only the line number in errors: the line holds a password.
    std::string where = "--auth-file " + path + " line " + std::to_string(number);
    size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) {
      return Status::Error(where + ": expected user:password");
    }
    if (!users.emplace(line.substr(0, colon), line.substr(colon + 1)).second) {
      return Status::Error(where + ": this user is listed twice");
    }
  }
  if (users.empty()) return Status::Error("--auth-file " + path + " lists no user:password line");
  return users;
}

}  // namespace fib
