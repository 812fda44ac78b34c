// RedisPool: a bounded set of RedisConnections shared by many threads (the web's handlers, the
// worker's housekeeping). Connections are made on first use; a checkout waits a bounded time.
// Thread-safety: every method is thread-safe; a Lease is used by one thread at a time.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "common/redis/redis_connection.h"
#include "common/status.h"

namespace fib {

struct RedisPoolOptions {
  RedisConnectionOptions connection;
  int pool_size = 8;               // most connections open at once
  int checkout_timeout_ms = 2000;  // how long Acquire waits for a free connection
};

class RedisPool {
 public:
  // A checked-out connection; returns itself to the pool when destroyed.
  class Lease {
   public:
    Lease(RedisPool* pool, std::unique_ptr<RedisConnection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    RedisConnection* operator->() { return connection_.get(); }
    RedisConnection& operator*() { return *connection_; }

   private:
    RedisPool* pool_;
    std::unique_ptr<RedisConnection> connection_;
  };

  RedisPool(RedisUrl url, RedisPoolOptions options);

  // Returns a connection (maybe not yet connected), waiting up to checkout_timeout_ms for one.
  Result<Lease> Acquire();
  // Convenience: runs one command on a checked-out connection.
  Result<RedisValue> Command(const std::vector<std::string>& argv);

  const RedisUrl& url() const { return url_; }

 private:
  void Release(std::unique_ptr<RedisConnection> connection);

  const RedisUrl url_;
  const RedisPoolOptions options_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;  // guarded by mutex_
  int open_ = 0;                                        // guarded by mutex_
};

}  // namespace fib
