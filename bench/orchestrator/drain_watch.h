// DrainWatch: what the scaling scenario reads from the stack directly, so that every worker count
// drains exactly the same burst: the queue's depth in Redis (to start the workers only once the
// whole burst waits there) and when the mail sink accepted each email.
// Thread-safety: functions are thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace fib::bench {

// Polls LLEN queue:<queue> until it reaches `depth`. Returns the depth seen last; an error after
// `timeout_ms` (naming how many jobs arrived) or when Redis cannot be reached.
Result<int64_t> WaitForQueueDepth(const std::string& redis_url, const std::string& queue,
                                  int64_t depth, int timeout_ms);

// Returns the acceptance time (µs since the epoch, the mail sink's received_at) of every email
// in the inbox at `mail_url` (http://host:port), in inbox order.
Result<std::vector<int64_t>> InboxReceivedTimes(const std::string& mail_url);

// Returns the wall-clock time now, µs since the epoch (the clock the mail sink stamps with).
int64_t WallMicros();

}  // namespace fib::bench
