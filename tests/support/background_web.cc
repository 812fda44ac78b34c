#include "tests/support/background_web.h"

#include <catch2/catch.hpp>
#include <map>

#include "tests/support/ports.h"

namespace fib::test {

BackgroundWeb::BackgroundWeb(const std::string& redis_url, std::vector<std::string> extra)
    : port_(FreePort()) {
  std::vector<std::string> argv = {BinPath("fibtastic-web"),
                                   "--port",
                                   std::to_string(port_),
                                   "--mode",
                                   "background",
                                   "--redis-url",
                                   redis_url};
  argv.insert(argv.end(), extra.begin(), extra.end());
  process_ = std::make_unique<Subprocess>(
      argv, std::map<std::string, std::string>{{"REDIS_PROVIDER", ""}, {"REDIS_URL", ""}});
  if (!WaitForPort(port_, 10000)) FAIL("fibtastic-web did not start:\n" << process_->Log());
}

}  // namespace fib::test
