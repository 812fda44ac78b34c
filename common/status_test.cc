#include "common/status.h"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "common/process.h"

TEST_CASE("Status carries a code to branch on and a message to read", "[status]") {
  CHECK(fib::Status::Ok().code() == fib::ErrorCode::kOk);
  CHECK(fib::Status::Error("disk full").code() == fib::ErrorCode::kOther);
  fib::Status missing = fib::Status::Error("no such file 'x'", fib::ErrorCode::kNotFound);
  CHECK_FALSE(missing.ok());
  CHECK(missing.code() == fib::ErrorCode::kNotFound);
  CHECK(missing.message() == "no such file 'x'");
  fib::Result<int> failed = missing;
  CHECK(failed.code() == fib::ErrorCode::kNotFound);
}

TEST_CASE("a reaped child is provably gone, this process is not", "[status][process]") {
  std::string self = fib::ProcessLivenessToken(getpid());
  REQUIRE_FALSE(self.empty());
  CHECK_FALSE(fib::ProcessProvablyGone(self));
  pid_t child = fork();
  if (child == 0) _exit(0);
  // Until waitpid the child is at worst a zombie, so /proc still names it.
  std::string token = fib::ProcessLivenessToken(child);
  waitpid(child, nullptr, 0);
  REQUIRE_FALSE(token.empty());
  CHECK(fib::ProcessProvablyGone(token));
}
