// Unit tests for RedisPool checkout (no network: leases connect lazily, only on first command).
#include "common/redis/redis_pool.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

namespace fib {
namespace {

RedisPool SmallPool(int size, int checkout_timeout_ms) {
  RedisPoolOptions options;
  options.pool_size = size;
  options.checkout_timeout_ms = checkout_timeout_ms;
  return RedisPool(*ParseRedisUrl("redis://:hunter2@127.0.0.1:6399/0"), options);
}

TEST_CASE("RedisPool waits a bounded time when every connection is out, then says why") {
  RedisPool pool = SmallPool(1, 100);
  auto held = pool.Acquire();
  REQUIRE(held.ok());
  auto start = std::chrono::steady_clock::now();
  auto second = pool.Acquire();
  auto waited = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(second.ok());
  CHECK(waited >= std::chrono::milliseconds(90));
  CHECK(waited < std::chrono::milliseconds(2000));
  CHECK_THAT(second.message(), Catch::Contains("all 1 connections"));
  CHECK_THAT(second.message(), Catch::Contains("redis://:***@127.0.0.1:6399/0"));
  CHECK_THAT(second.message(), !Catch::Contains("hunter2"));
}

TEST_CASE("RedisPool hands a returned connection to a waiting thread") {
  RedisPool pool = SmallPool(1, 5000);
  RedisConnection* first_connection = nullptr;
  std::thread holder;
  {
    auto held = pool.Acquire();
    REQUIRE(held.ok());
    first_connection = &**held;
    holder = std::thread([&pool, &first_connection] {
      auto waited = pool.Acquire();  // blocks until the lease below is returned
      CHECK(waited.ok());
      if (waited.ok()) CHECK(&**waited == first_connection);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  holder.join();
}

}  // namespace
}  // namespace fib
