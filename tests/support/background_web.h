// BackgroundWeb: a real `fibtastic-web --mode background` on a free loopback port, for the
// integration tests that drive the background variant (fault tests, soak).
// Thread-safety: one owner thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace fib::test {

class BackgroundWeb {
 public:
  // Starts the web pushing to `redis_url` (REDIS_URL/REDIS_PROVIDER cleared), with `extra` flags;
  // FAILs the test with the web's log when it does not listen within 10 s.
  explicit BackgroundWeb(const std::string& redis_url, std::vector<std::string> extra = {});
  int port() const { return port_; }
  Subprocess& process() { return *process_; }

 private:
  int port_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace fib::test
