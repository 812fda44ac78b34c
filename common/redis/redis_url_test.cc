// Unit tests for RedisUrl parsing, redaction and Sidekiq's REDIS_PROVIDER rules (no network).
#include "common/redis/redis_url.h"

#include <catch2/catch.hpp>
#include <map>

namespace fib {
namespace {

TEST_CASE("ParseRedisUrl reads host, port, password and db") {
  auto url = ParseRedisUrl("redis://:s3cret@cache.internal:6380/4");
  REQUIRE(url.ok());
  CHECK(url->host == "cache.internal");
  CHECK(url->port == 6380);
  CHECK(url->username.empty());
  CHECK(url->password == "s3cret");
  CHECK(url->db == 4);
}

TEST_CASE("ParseRedisUrl reads an ACL user name and %-decodes") {
  auto url = ParseRedisUrl("redis://worker:p%40ss%3Aword@10.0.0.5:7000/2");
  REQUIRE(url.ok());
  CHECK(url->username == "worker");
  CHECK(url->password == "p@ss:word");
  CHECK(url->host == "10.0.0.5");
  CHECK(url->port == 7000);
  CHECK(url->db == 2);
}

TEST_CASE("ParseRedisUrl fills in defaults") {
  auto bare = ParseRedisUrl("redis://example.com");
  REQUIRE(bare.ok());
  CHECK(bare->host == "example.com");
  CHECK(bare->port == 6379);
  CHECK(bare->db == 0);
  CHECK(bare->password.empty());
  auto slash = ParseRedisUrl("redis://localhost:6390/");
  REQUIRE(slash.ok());
  CHECK(slash->port == 6390);
  CHECK(slash->db == 0);
  auto ipv6 = ParseRedisUrl("redis://[::1]:6391/3");
  REQUIRE(ipv6.ok());
  CHECK(ipv6->host == "::1");
  CHECK(ipv6->port == 6391);
  CHECK(ipv6->Redacted() == "redis://[::1]:6391/3");
}

TEST_CASE("ParseRedisUrl errors say what to fix and never echo the password") {
  struct Case {
    std::string url;
    std::string expect;
  };
  std::vector<Case> cases = {
      {"http://:hunter2@host:6379/0", "must start with redis://"},
      {"redis://:hunter2@host:99999/0", "1 to 65535"},
      {"redis://:hunter2@host:0/0", "1 to 65535"},
      {"redis://:hunter2@host:/0", "empty port"},
      {"redis://:hunter2@host:6379/zero", "database"},
      {"redis://:hunter2/0",
       "not a number"},  // '@' forgotten: the password sits where the port goes
      {"rediss://:hunter2@host:6379/0", "TLS"},
      {"redis://:hunter2%zz@host/0", "%-escape"},
  };
  for (const Case& c : cases) {
    INFO(c.url);
    auto url = ParseRedisUrl(c.url);
    REQUIRE_FALSE(url.ok());
    CHECK_THAT(url.message(), Catch::Contains(c.expect));
    CHECK_THAT(url.message(), !Catch::Contains("hunter2"));
  }
}

TEST_CASE("Redacted masks the password but keeps what helps debugging") {
  auto url = ParseRedisUrl("redis://app:hunter2@db.example:6380/5");
  REQUIRE(url.ok());
  CHECK(url->Redacted() == "redis://app:***@db.example:6380/5");
  auto no_user = ParseRedisUrl("redis://:hunter2@db.example:6380/5");
  REQUIRE(no_user.ok());
  CHECK(no_user->Redacted() == "redis://:***@db.example:6380/5");
  auto open = ParseRedisUrl("redis://db.example");
  REQUIRE(open.ok());
  CHECK(open->Redacted() == "redis://db.example:6379/0");
  CHECK(RedactUrlText("redis://u:hunter2@h:1/0") == "redis://u:***@h:1/0");
}

class FakeEnv {
 public:
  explicit FakeEnv(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}
  std::function<const char*(const char*)> Fn() const {
    return [this](const char* name) -> const char* {
      auto it = vars_.find(name);
      return it == vars_.end() ? nullptr : it->second.c_str();
    };
  }

 private:
  std::map<std::string, std::string> vars_;
};

TEST_CASE("ResolveRedisUrl: the flag wins over the environment") {
  FakeEnv env(std::map<std::string, std::string>{{"REDIS_URL", "redis://env:6379/0"}});
  auto url = ResolveRedisUrl("redis://flag:6379/1", env.Fn());
  REQUIRE(url.ok());
  CHECK(*url == "redis://flag:6379/1");
}

TEST_CASE("ResolveRedisUrl: REDIS_PROVIDER names the variable holding the URL") {
  FakeEnv env(std::map<std::string, std::string>{{"REDIS_PROVIDER", "REDISTOGO_URL"},
                                                 {"REDISTOGO_URL", "redis://togo:1234/0"},
                                                 {"REDIS_URL", "redis://plain:6379/0"}});
  auto url = ResolveRedisUrl("", env.Fn());
  REQUIRE(url.ok());
  CHECK(*url == "redis://togo:1234/0");
}

TEST_CASE("ResolveRedisUrl: a URL inside REDIS_PROVIDER is refused with Sidekiq's explanation") {
  FakeEnv env(
      std::map<std::string, std::string>{{"REDIS_PROVIDER", "redis://:hunter2@togo:1234/0"}});
  auto url = ResolveRedisUrl("", env.Fn());
  REQUIRE_FALSE(url.ok());
  CHECK_THAT(url.message(), Catch::Contains("REDIS_PROVIDER should be set to the name of the "
                                            "variable which contains the Redis URL"));
  CHECK_THAT(url.message(), Catch::Contains("REDIS_PROVIDER=REDISTOGO_URL"));
  CHECK_THAT(url.message(), !Catch::Contains("hunter2"));
}

TEST_CASE("ResolveRedisUrl: falls back to REDIS_URL, then the default") {
  FakeEnv provider_unset(std::map<std::string, std::string>{{"REDIS_PROVIDER", "MISSING_URL"},
                                                            {"REDIS_URL", "redis://r:6379/0"}});
  auto url = ResolveRedisUrl("", provider_unset.Fn());
  REQUIRE(url.ok());
  CHECK(*url == "redis://r:6379/0");
  FakeEnv only_redis_url(std::map<std::string, std::string>{{"REDIS_URL", "redis://r2:6379/0"}});
  CHECK(*ResolveRedisUrl("", only_redis_url.Fn()) == "redis://r2:6379/0");
  FakeEnv empty(std::map<std::string, std::string>{{"REDIS_URL", ""}});
  CHECK(*ResolveRedisUrl("", empty.Fn()) == "redis://127.0.0.1:6379/0");
}

}  // namespace
}  // namespace fib
