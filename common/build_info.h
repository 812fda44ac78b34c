// BuildInfo: the conditions every report states (build type, compiler, cores, versions).
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace fib {

// Returns "Release", "Debug", ... as configured by CMake.
std::string BuildType();
// True unless compiled with optimisation (NDEBUG unset or -O0): reports print a WARNING then.
bool IsDebugBuild();
// Returns the conditions as JSON: build_type, compiler, cores, hostname, kernel, project version,
// library versions, and a "warning" field for debug builds.
nlohmann::json BuildConditions();

}  // namespace fib
