// FIB_REQUIRE(condition): checks a precondition written as "REQUIRES: ..." in a header, in debug
// builds (NDEBUG not defined); a failure is a programmer mistake and aborts naming the condition.
// Release builds do not evaluate `condition`. Thread-safety: as safe as `condition` is.
#pragma once

#include <cstdio>
#include <cstdlib>

#ifdef NDEBUG
// sizeof keeps names used only here "used" without evaluating them.
#define FIB_REQUIRE(condition) static_cast<void>(sizeof(static_cast<bool>(condition)))
#else
#define FIB_REQUIRE(condition) \
  ((condition) ? static_cast<void>(0) : ::fib::RequireFailed(#condition, __FILE__, __LINE__))
#endif

namespace fib {

[[noreturn]] inline void RequireFailed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: REQUIRES failed: %s\n", file, line, condition);
  std::abort();
}

}  // namespace fib
