// RedisConnection: one connection to Redis, the only place hiredis is used. Connects lazily with
// timeouts, logs in (AUTH [user] password, SELECT db), runs commands, pipelines and Lua scripts,
// and re-connects after errors. Errors name the redacted URL and what to do; never the password.
// Thread-safety: NOT thread-safe; use one connection per thread or check one out of a RedisPool.
// Side effect: the first Connect sets SIGPIPE to SIG_IGN if it is still SIG_DFL (hiredis 0.14
// writes without MSG_NOSIGNAL, so a vanished server would otherwise kill the process).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/redis/redis_script.h"
#include "common/redis/redis_url.h"
#include "common/redis/redis_value.h"
#include "common/status.h"

struct redisContext;

namespace fib {

struct RedisConnectionOptions {
  int connect_timeout_ms = 1000;  // TCP connect (and AUTH/SELECT) limit
  int command_timeout_ms = 2000;  // socket read/write limit for non-blocking commands
};

class RedisConnection {
 public:
  explicit RedisConnection(RedisUrl url, RedisConnectionOptions options = {});
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Parses `url` and returns an unconnected connection (it connects on first use).
  static Result<std::unique_ptr<RedisConnection>> Open(const std::string& url,
                                                       RedisConnectionOptions options = {});

  // Connects now unless already connected. Returns an error naming the redacted URL.
  Status Connect();
  bool connected() const { return context_ != nullptr; }
  // Drops the connection; the next command connects again.
  void Close();

  // Runs one command. A Redis error reply (e.g. WRONGTYPE) is returned as an error Status.
  // A pooled connection the server closed (restart, timeout) is re-made before sending; a command
  // is never sent twice (a reply lost after the server ran it comes back as an error).
  Result<RedisValue> Command(const std::vector<std::string>& argv);
  // As Command, for commands that block on the server (BLMOVE ... block_ms): the socket waits
  // block_ms + command_timeout_ms before giving up.
  Result<RedisValue> BlockingCommand(const std::vector<std::string>& argv, int block_ms);
  // Sends all commands in one round trip and returns one reply per command, in order. Error
  // replies come back as RedisValue::Type::kError elements; only I/O failures are an error Status.
  Result<std::vector<RedisValue>> Pipeline(const std::vector<std::vector<std::string>>& commands);
  // Runs a Lua script with EVALSHA, falling back to EVAL when the server answers NOSCRIPT.
  Result<RedisValue> Eval(const RedisScript& script, const std::vector<std::string>& keys,
                          const std::vector<std::string>& args);

  const RedisUrl& url() const { return url_; }

 private:
  Result<std::vector<RedisValue>> RoundTrip(const std::vector<std::vector<std::string>>& commands,
                                            int timeout_ms);
  Result<std::vector<RedisValue>> RoundTripOnce(
      const std::vector<std::vector<std::string>>& commands, int timeout_ms);
  // Whether the server closed this idle connection (EOF or reset waiting, or stray bytes).
  bool ClosedByServer() const;
  Status LogIn();
  Status SetSocketTimeout(int timeout_ms);
  Status IoError(const std::string& what);

  RedisUrl url_;
  RedisConnectionOptions options_;
  redisContext* context_ = nullptr;
  int socket_timeout_ms_ = 0;
};

// Returns the first error reply in `replies` as an error Status (naming `what`), else Ok.
Status FirstReplyError(const std::vector<RedisValue>& replies, const std::string& what,
                       const RedisUrl& url);

}  // namespace fib
