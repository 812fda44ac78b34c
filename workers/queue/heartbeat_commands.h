// HeartbeatCommands: the MULTI/EXEC pipeline of Sidekiq 6.4's heartbeat
// (docs/sidekiq-format.md#heartbeat-and-process-registry): stat
// counters, the `<identity>:workers` busy hash, the `processes` registry entry with its 60 s
// expiry, and the popping of `<identity>-signals`. RedisJobQueue::Heartbeat sends it.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workers/queue/job_queue.h"

namespace fib {

inline constexpr int kHeartbeatTtlSeconds = 60;
// Heartbeat hash field holding ProcessInfo::liveness_token (ours; Sidekiq ignores it).
inline constexpr const char kLivenessField[] = "fibtastic_liveness";
// The LRANGE of `<identity>-signals` is this many commands before the end of the pipeline.
inline constexpr size_t kHeartbeatSignalsFromEnd = 3;

// Returns MULTI, the heartbeat's commands, EXEC. Counters with a delta <= 0 are left out.
// `rtt_us` is the round trip Sidekiq publishes as `rtt_us`.
std::vector<std::vector<std::string>> HeartbeatCommands(const ProcessInfo& process,
                                                        const std::vector<BusyJob>& busy,
                                                        int64_t processed_delta,
                                                        int64_t failed_delta, double now_seconds,
                                                        int64_t rtt_us);

}  // namespace fib
