#include "bench/loadgen/server_timing_metrics.h"

#include <catch2/catch.hpp>

TEST_CASE("Server-Timing durations are read in µs", "[loadgen]") {
  auto m =
      fib::ParseServerTiming("load_user;dur=3.012, enqueue;dur=0.412,render;desc=\"x\";dur=20");
  REQUIRE(m.size() == 3);
  CHECK(m[0] == std::make_pair(std::string("load_user"), int64_t{3012}));
  CHECK(m[1] == std::make_pair(std::string("enqueue"), int64_t{412}));
  CHECK(m[2] == std::make_pair(std::string("render"), int64_t{20000}));
}

TEST_CASE("Server-Timing entries without a valid dur are skipped", "[loadgen]") {
  CHECK(fib::ParseServerTiming("").empty());
  CHECK(fib::ParseServerTiming("cache;desc=hit").empty());
  CHECK(fib::ParseServerTiming("a;dur=abc, b;dur=-1, ;dur=3").empty());
  CHECK(fib::ParseServerTiming("db;dur=1e1").at(0).second == 10000);
}
