// BuildInfo: the conditions every report states (build type, compiler, cores, versions).
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace fib {

#ifndef FIB_SANITIZED
#define FIB_SANITIZED 0
#endif
// True in builds with -fsanitize (make test SANITIZE=...): 2-15x slower, so long fault and soak
// tests scale their counts down (they print what they ran).
inline constexpr bool kSanitizedBuild = FIB_SANITIZED != 0;

// Returns "Release", "Debug", ... as configured by CMake.
std::string BuildType();
// True unless compiled with optimisation (NDEBUG unset or -O0): reports print a WARNING then.
bool IsDebugBuild();
// Returns the conditions as JSON: build_type, compiler, cores, hostname, kernel, project version,
// library versions, and a "warning" field for debug builds.
nlohmann::json BuildConditions();

}  // namespace fib
