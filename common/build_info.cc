#include "common/build_info.h"

#include <fmt/core.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <thread>

#ifndef FIB_BUILD_TYPE
#define FIB_BUILD_TYPE "unknown"
#endif
#ifndef FIB_VERSION
#define FIB_VERSION "0"
#endif
// The library versions come from CMake (pkg-config / FindCURL), so that hiredis and libcurl headers
// stay inside common/redis/ and common/smtp/ (scripts/check-layout).
#ifndef FIB_HIREDIS_VERSION
#define FIB_HIREDIS_VERSION "unknown"
#endif
#ifndef FIB_LIBCURL_VERSION
#define FIB_LIBCURL_VERSION "unknown"
#endif

namespace fib {

std::string BuildType() { return FIB_BUILD_TYPE; }

bool IsDebugBuild() {
#if defined(NDEBUG) && defined(__OPTIMIZE__)
  return false;
#else
  return true;
#endif
}

nlohmann::json BuildConditions() {
  utsname u{};
  uname(&u);
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  nlohmann::json j = {
      {"project_version", FIB_VERSION},
      {"build_type", BuildType()},
      {"debug_build", IsDebugBuild()},
      {"compiler", fmt::format("{} {}",
#if defined(__clang__)
                               "clang", __clang_version__
#else
                               "g++", __VERSION__
#endif
                               )},
      {"cores", std::thread::hardware_concurrency()},
      {"hostname", host},
      {"kernel", fmt::format("{} {} {}", u.sysname, u.release, u.machine)},
      {"libraries",
       {{"hiredis", FIB_HIREDIS_VERSION}, {"libcurl", FIB_LIBCURL_VERSION}, {"fmt", FMT_VERSION}}},
  };
  if (IsDebugBuild()) {
    j["warning"] =
        "WARNING: debug build; latency figures are not representative. Use `make` (Release).";
  }
  return j;
}

}  // namespace fib
