// ServerTiming: collects named durations of one request and renders the W3C Server-Timing header
// ("load_user;dur=3.012, job;dur=120.5"), so clients (the loadgen, browsers) see where time went.
// Thread-safety: one request, one thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace fib {

class ServerTiming {
 public:
  // Appends a metric. `name` must be a token (letters, digits, '_', '-', '.'); others are
  // replaced by '_' so the header stays valid.
  void Add(const std::string& name, int64_t duration_us);
  // Returns the header value; "" when nothing was added.
  std::string HeaderValue() const;
  const std::vector<std::pair<std::string, int64_t>>& entries() const { return entries_; }

 private:
  std::vector<std::pair<std::string, int64_t>> entries_;  // name, duration µs
};

}  // namespace fib
