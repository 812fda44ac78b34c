// The FibTastic numbers: the original app's deliberately exponential recursion, and a linear one.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

namespace fib {

// Returns the first q Fibonacci numbers (0, 1, 1, 2, ...), computed as the original app does:
// rec_sequence(q) = rec_sequence(q-1) + [sum of its last two], with rec_sequence(q-1) computed
// twice, so the work doubles with each step (about 2^q calls). Exponential on purpose.
std::vector<int64_t> RecSequence(int q);
// Returns the same numbers in linear time (exact up to q = 93; beyond, int64_t wraps).
std::vector<int64_t> Sequence(int q);

}  // namespace fib
