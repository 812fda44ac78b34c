// RedisUrl: where Redis is and how to log in, parsed from redis://[user:]password@host:port/db,
// and Sidekiq's rules for choosing the URL (flag, REDIS_PROVIDER, REDIS_URL, default).
// Passwords never appear in Redacted() or in any error message made here.
// Thread-safety: value type and pure functions.
#pragma once

#include <functional>
#include <string>

#include "common/status.h"
#include "common/text.h"  // RedactUrlText

namespace fib {

struct RedisUrl {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string username;  // Redis 6 ACL user; "" = the default user
  std::string password;  // "" = no AUTH
  int db = 0;

  // Returns the URL with the password masked: "redis://:***@host:port/db" (or without "@" when
  // there is no password). Safe for logs and error messages.
  std::string Redacted() const;
};

// The URL used when nothing else is configured.
inline constexpr const char kDefaultRedisUrl[] = "redis://127.0.0.1:6379/0";

// Parses redis://[[user]:password@]host[:port][/db]. User and password may be %-encoded.
// Errors say what to fix and never echo the password.
Result<RedisUrl> ParseRedisUrl(const std::string& url);

// Returns the URL to use, by Sidekiq's rules: a non-empty flag_value wins; else REDIS_PROVIDER
// names another environment variable holding the URL (a REDIS_PROVIDER value containing ':' is
// refused with Sidekiq's explanation); if that variable is unset or empty fall back to REDIS_URL,
// then kDefaultRedisUrl. `getenv_fn` is ::getenv in programs and a fake in tests.
Result<std::string> ResolveRedisUrl(const std::string& flag_value,
                                    const std::function<const char*(const char*)>& getenv_fn);

}  // namespace fib
