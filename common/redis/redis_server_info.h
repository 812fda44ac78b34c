// RedisServerInfo: what a Redis server says about itself (INFO), read once at start-up by the
// worker and the web: its version (the reliable queue needs LMOVE/BLMOVE, Redis >= 6.2), whether
// it persists with AOF (without it, jobs accepted since the last snapshot die with Redis), and its
// maxmemory-policy (an evicting Redis can drop queued jobs). Managed Redis often refuses CONFIG
// and sometimes INFO; what cannot be read is left unknown, never guessed.
// Thread-safety: the functions are pure except ReadRedisServerInfo (uses the connection).
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/redis/redis_connection.h"
#include "common/status.h"

namespace fib {

struct RedisServerInfo {
  std::string version;  // e.g. "7.0.15"; "" when INFO was refused
  int major = 0, minor = 0, patch = 0;
  std::optional<bool> aof_enabled;  // INFO persistence aof_enabled; unknown when refused
  std::string maxmemory_policy;     // "" when unknown
};

// The oldest Redis the reliable queue runs on.
constexpr int kMinRedisMajor = 6;
constexpr int kMinRedisMinor = 2;

// Returns the value of `field` in INFO output ("field:value" lines), "" when absent.
std::string InfoField(const std::string& info, const std::string& field);
// Parses INFO text (any sections) into `info`'s fields; leaves unknown what is missing.
RedisServerInfo ParseRedisInfo(const std::string& info_text);
// Asks the server (INFO server/persistence/memory, CONFIG GET as a fallback for the policy).
// Returns an error only when the server cannot be reached; a refused INFO gives empty fields.
Result<RedisServerInfo> ReadRedisServerInfo(RedisConnection& redis);
// Ok when the version is unknown or >= 6.2; else an error naming the version, `where` and why.
Status CheckRedisVersion(const RedisServerInfo& info, const std::string& where);
// The start-up warnings for `info` (AOF off, an evicting policy), one sentence each; empty when
// none apply.
std::vector<std::string> RedisDurabilityWarnings(const RedisServerInfo& info);

// Answers "can the queue work on this Redis?" for every request without asking Redis each time:
// once the version is known to be new enough it stays Ok; while it is too old, the error is
// returned and Redis is asked again at most every `recheck_ms` (an upgrade needs no restart);
// an unreachable Redis is Ok here (the push itself fails and says why).
// Thread-safety: Check() from any thread.
class RedisVersionGate {
 public:
  RedisVersionGate(RedisUrl url, RedisConnectionOptions options, int recheck_ms = 5000);
  Status Check();

 private:
  RedisUrl url_;
  RedisConnectionOptions options_;
  int recheck_ms_;
  std::atomic<bool> known_ok_{false};
  std::mutex mutex_;
  Status last_ = Status::Ok();  // guarded by mutex_
  int64_t next_check_ms_ = 0;   // guarded by mutex_; steady clock
};

}  // namespace fib
