#include "common/redis/redis_pool.h"

#include <chrono>

namespace fib {

RedisPool::Lease::~Lease() {
  if (connection_) pool_->Release(std::move(connection_));
}

RedisPool::RedisPool(RedisUrl url, RedisPoolOptions options)
    : url_(std::move(url)), options_(options) {}

Result<RedisPool::Lease> RedisPool::Acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.checkout_timeout_ms);
  while (idle_.empty() && open_ >= options_.pool_size) {
    if (available_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.pool_size) {
      return Status::Error("all " + std::to_string(options_.pool_size) +
                           " connections to Redis at " + url_.Redacted() + " stayed busy for " +
                           std::to_string(options_.checkout_timeout_ms) +
                           " ms (Redis slow, or raise the pool size)");
    }
  }
  if (!idle_.empty()) {
    std::unique_ptr<RedisConnection> connection = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(connection));
  }
  ++open_;
  lock.unlock();
  return Lease(this, std::make_unique<RedisConnection>(url_, options_.connection));
}

void RedisPool::Release(std::unique_ptr<RedisConnection> connection) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.push_back(std::move(connection));
  }
  available_.notify_one();
}

Result<RedisValue> RedisPool::Command(const std::vector<std::string>& argv) {
  Result<Lease> lease = Acquire();
  if (!lease.ok()) return lease.status();
  return (*lease)->Command(argv);
}

}  // namespace fib
