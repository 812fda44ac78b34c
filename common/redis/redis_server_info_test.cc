#include "common/redis/redis_server_info.h"

#include <catch2/catch.hpp>

namespace fib {
namespace {

const char kInfo[] =
    "# Server\r\nredis_version:6.0.16\r\nredis_git_sha1:00000000\r\nredis_mode:standalone\r\n"
    "\r\n# Persistence\r\nloading:0\r\naof_enabled:0\r\n\r\n# Memory\r\n"
    "maxmemory_policy:allkeys-lru\r\n";

TEST_CASE("INFO text gives the version, AOF state and eviction policy", "[redis]") {
  RedisServerInfo info = ParseRedisInfo(kInfo);
  CHECK(info.version == "6.0.16");
  CHECK(info.major == 6);
  CHECK(info.minor == 0);
  REQUIRE(info.aof_enabled.has_value());
  CHECK_FALSE(*info.aof_enabled);
  CHECK(info.maxmemory_policy == "allkeys-lru");
  CHECK(InfoField(kInfo, "redis_mode") == "standalone");
  CHECK(InfoField(kInfo, "redis") == "");  // a prefix of a field is not the field
  CHECK(InfoField("", "redis_version") == "");
}

TEST_CASE("Redis older than 6.2 is refused by name; unknown or newer passes", "[redis]") {
  Status old = CheckRedisVersion(ParseRedisInfo(kInfo), "redis://127.0.0.1:6379/0");
  REQUIRE_FALSE(old.ok());
  CHECK_THAT(old.message(), Catch::Contains("Redis 6.0.16 at redis://127.0.0.1:6379/0") &&
                                Catch::Contains(">= 6.2") && Catch::Contains("LMOVE"));
  CHECK(CheckRedisVersion(ParseRedisInfo("redis_version:6.2.0\n"), "x").ok());
  CHECK(CheckRedisVersion(ParseRedisInfo("redis_version:7.0.15\n"), "x").ok());
  CHECK_FALSE(CheckRedisVersion(ParseRedisInfo("redis_version:5.0.7\n"), "x").ok());
  CHECK(CheckRedisVersion(ParseRedisInfo(""), "x").ok());  // INFO refused: cannot tell
  CHECK(CheckRedisVersion(ParseRedisInfo("redis_version:garbage\n"), "x").ok());
}

TEST_CASE("durability warnings name AOF off and an evicting policy, nothing when unknown",
          "[redis]") {
  auto warnings = RedisDurabilityWarnings(ParseRedisInfo(kInfo));
  REQUIRE(warnings.size() == 2);
  CHECK_THAT(warnings[0], Catch::Contains("appendonly yes"));
  CHECK_THAT(warnings[1], Catch::Contains("allkeys-lru"));
  CHECK(RedisDurabilityWarnings(ParseRedisInfo("")).empty());
  CHECK(RedisDurabilityWarnings(ParseRedisInfo("aof_enabled:1\nmaxmemory_policy:noeviction\n"))
            .empty());
}

}  // namespace
}  // namespace fib
