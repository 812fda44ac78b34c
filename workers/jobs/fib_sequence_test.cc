#include "workers/jobs/fib_sequence.h"

#include <catch2/catch.hpp>

#include "common/build_info.h"

using fib::RecSequence;
using fib::Sequence;

TEST_CASE("Sequence starts with the known Fibonacci numbers", "[fib]") {
  std::vector<int64_t> expected = {0, 1, 1, 2, 3, 5, 8, 13, 21, 34};
  CHECK(Sequence(10) == expected);
  CHECK(RecSequence(10) == expected);
}

TEST_CASE("Edge lengths match the original app", "[fib]") {
  CHECK(RecSequence(0).empty());
  CHECK(RecSequence(1) == std::vector<int64_t>{0});
  CHECK(RecSequence(2) == std::vector<int64_t>{0, 1});
  CHECK(Sequence(-3).empty());
}

TEST_CASE("RecSequence equals Sequence for 0..27 (0..22 in sanitizer builds)", "[fib]") {
  // RecSequence is exponential on purpose; instrumented builds are 10-50x slower.
  const int last = fib::kSanitizedBuild ? 22 : 27;
  for (int q = 0; q <= last; ++q) {
    INFO("q = " << q);
    CHECK(RecSequence(q) == Sequence(q));
  }
  CHECK(Sequence(27).back() == 121393);
}

TEST_CASE("Sequence stays exact in 64 bits up to 93 numbers", "[fib]") {
  CHECK(Sequence(93).back() == 7540113804746346429LL);
}
