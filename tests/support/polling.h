// Polling helpers for integration tests: wait for a condition, a value or a moment to pass.
// Thread-safety: pure functions (the probes run on the calling thread).
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace fib::test {

// Polls `condition` every 50 ms until it holds or timeout_ms passed; returns whether it held.
bool WaitFor(const std::function<bool()>& condition, int timeout_ms);
// Polls `probe` (e.g. a redis-cli reading) every 100 ms until it returns `want` or timeout_ms.
bool WaitForValue(const std::function<std::string()>& probe, const std::string& want,
                  int timeout_ms);
// Returns the seconds elapsed since `start`.
double SecondsSince(std::chrono::steady_clock::time_point start);

}  // namespace fib::test
