#include "common/redis/redis_server_info.h"

#include <chrono>
#include <cstdio>

#include "common/text.h"

namespace fib {

std::string InfoField(const std::string& info, const std::string& field) {
  const std::string key = field + ":";
  for (size_t at = 0; at < info.size();) {
    size_t end = info.find('\n', at);
    if (end == std::string::npos) end = info.size();
    if (info.compare(at, key.size(), key) == 0) {
      return Trim(std::string_view(info).substr(at + key.size(), end - at - key.size()));
    }
    at = end + 1;
  }
  return "";
}

RedisServerInfo ParseRedisInfo(const std::string& info_text) {
  RedisServerInfo info;
  info.version = InfoField(info_text, "redis_version");
  if (!info.version.empty() &&
      std::sscanf(info.version.c_str(), "%d.%d.%d", &info.major, &info.minor, &info.patch) < 2) {
    info.major = info.minor = info.patch = 0;
  }
  std::string aof = InfoField(info_text, "aof_enabled");
  if (aof == "0" || aof == "1") info.aof_enabled = aof == "1";
  info.maxmemory_policy = InfoField(info_text, "maxmemory_policy");
  return info;
}

Result<RedisServerInfo> ReadRedisServerInfo(RedisConnection& redis) {
  if (Status connected = redis.Connect(); !connected.ok()) return connected;
  std::string text;
  for (const char* section : {"server", "persistence", "memory"}) {
    auto reply = redis.Command({"INFO", section});
    if (reply.ok()) text += reply->str + "\n";
  }
  RedisServerInfo info = ParseRedisInfo(text);
  if (info.maxmemory_policy.empty()) {
    auto config = redis.Command({"CONFIG", "GET", "maxmemory-policy"});
    if (config.ok() && config->is_array() && config->elements.size() == 2) {
      info.maxmemory_policy = config->elements[1].str;
    }
  }
  return info;
}

Status CheckRedisVersion(const RedisServerInfo& info, const std::string& where) {
  if (info.major == 0) return Status::Ok();  // unknown: the commands themselves will tell
  if (info.major > kMinRedisMajor ||
      (info.major == kMinRedisMajor && info.minor >= kMinRedisMinor)) {
    return Status::Ok();
  }
  return Status::Error("Redis " + info.version + " at " + where + " is too old: the reliable " +
                       "queue needs Redis >= " + std::to_string(kMinRedisMajor) + "." +
                       std::to_string(kMinRedisMinor) +
                       " (LMOVE/BLMOVE); upgrade Redis or point REDIS_URL at a newer one");
}

std::vector<std::string> RedisDurabilityWarnings(const RedisServerInfo& info) {
  std::vector<std::string> warnings;
  if (info.aof_enabled.has_value() && !*info.aof_enabled) {
    warnings.push_back(
        "Redis has no AOF (appendonly no): if Redis crashes, jobs accepted since its last "
        "snapshot are lost although the web answered 200. Run CONFIG SET appendonly yes (and set "
        "it in redis.conf) where that matters");
  }
  if (!info.maxmemory_policy.empty() && info.maxmemory_policy != "noeviction") {
    warnings.push_back("Redis maxmemory-policy is " + info.maxmemory_policy +
                       ", not noeviction: at maxmemory Redis will evict keys, which can drop "
                       "queued jobs or the heartbeat keys of live workers (whose jobs then run "
                       "twice). Run CONFIG SET maxmemory-policy noeviction (and set it in "
                       "redis.conf)");
  }
  return warnings;
}

RedisVersionGate::RedisVersionGate(RedisUrl url, RedisConnectionOptions options, int recheck_ms)
    : url_(std::move(url)), options_(options), recheck_ms_(recheck_ms) {}

Status RedisVersionGate::Check() {
  if (known_ok_.load()) return Status::Ok();
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                       .count();
  if (now_ms < next_check_ms_) return last_;
  next_check_ms_ = now_ms + recheck_ms_;
  RedisConnection redis(url_, options_);
  auto info = ReadRedisServerInfo(redis);
  if (!info.ok()) {
    last_ = Status::Ok();
    next_check_ms_ = 0;  // unreachable: ask again on the next request
    return last_;
  }
  last_ = CheckRedisVersion(*info, url_.Redacted());
  if (last_.ok() && info->major != 0) known_ok_.store(true);
  return last_;
}

}  // namespace fib
