// RequestTemplate: the bytes of request n, built from the options once and then per request
// (X-Request-Id: <run>-<n>, and {n}/{uuid}/{run} substituted in the body).
// Thread-safety: immutable after construction; Build() may be called from any thread.
#pragma once

#include <cstdint>
#include <string>

#include "bench/loadgen/loadgen_options.h"

namespace fib {

class RequestTemplate {
 public:
  explicit RequestTemplate(const LoadgenOptions& options);

  // Writes request number `n` (headers and body) into `out`, replacing its contents.
  void Build(int64_t n, std::string* out) const;
  // Returns the request id for number n: "<run>-<n>".
  std::string RequestId(int64_t n) const { return run_id_ + "-" + std::to_string(n); }

  // Returns `text` with {n}, {uuid} and {run} replaced.
  static std::string Substitute(const std::string& text, int64_t n, const std::string& run_id);

 private:
  std::string head_;  // request line, Host and user headers (ends before X-Request-Id)
  std::string body_;
  std::string run_id_;
  bool body_varies_ = false;
  bool send_length_ = false;
};

}  // namespace fib
