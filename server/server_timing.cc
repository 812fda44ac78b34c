#include "server/server_timing.h"

#include <fmt/format.h>

#include <cctype>

namespace fib {

void ServerTiming::Add(const std::string& name, int64_t duration_us) {
  std::string token = name.empty() ? "unnamed" : name;
  for (char& c : token) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') c = '_';
  }
  entries_.emplace_back(std::move(token), duration_us);
}

std::string ServerTiming::HeaderValue() const {
  std::string out;
  for (const auto& [name, duration_us] : entries_) {
    if (!out.empty()) out += ", ";
    // Server-Timing durations are milliseconds; keep µs precision for the fast enqueue path.
    out += fmt::format("{};dur={:.3f}", name, static_cast<double>(duration_us) / 1000.0);
  }
  return out;
}

}  // namespace fib
