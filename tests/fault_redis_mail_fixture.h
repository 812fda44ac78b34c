// Helpers for tests/fault_redis_mail_test.cc: the arithmetic that turns a SteadySender's records
// and the moments of a Redis outage into the figures the test asserts and prints.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "tests/support/steady_sender.h"

namespace fib::test {

// When the outage happened, in seconds on the SteadySender's time line.
struct OutageTimes {
  double stop_begin_s = 0;   // SIGTERM / SIGKILL sent
  double down_s = 0;         // redis-server has exited
  double start_begin_s = 0;  // redis-server started again
  double up_s = 0;           // it accepts connections again
};

// What the client saw, split around the outage.
struct OutageFigures {
  size_t sent = 0, succeeded = 0, unavailable_503 = 0, other = 0;
  size_t successes_while_down = 0;     // sent after down_s, before start_begin_s: impossible
  size_t successes_after_restart = 0;  // sent after start_begin_s
  size_t failures_after_grace = 0;     // non-successes sent later than up_s + grace
  size_t unavailable_after_up = 0;     // 503s sent after up_s (Redis loading, pool reconnecting)
  double p50_503_ms = 0, p99_503_ms = 0, max_503_ms = 0;
  double outage_s = 0;                // stop_begin_s .. up_s
  double recovery_ms = -1;            // up_s .. first success sent after start_begin_s; -1 = none
  std::set<std::string> success_ids;  // X-Request-Id of every success
  std::set<std::string> non_success_ids;    // 503s, other statuses, timeouts
  std::vector<std::string> other_examples;  // a few "id status latency" lines
};

// Splits `records` around `times`; `grace_s` is how long after up_s failures are still allowed.
OutageFigures SummarizeOutage(const std::vector<SentRequest>& records, const OutageTimes& times,
                              double grace_s);

}  // namespace fib::test
