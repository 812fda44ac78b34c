#include "tests/support/redis_server.h"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "common/text.h"
#include "tests/support/ports.h"

namespace fib::test {

RedisServer::RedisServer(bool append_only) : RedisServer(append_only, {}) {}

RedisServer::RedisServer(bool append_only, std::vector<std::string> extra_args)
    : port_(FreePort()), append_only_(append_only), extra_args_(std::move(extra_args)) {
  char tmpl[] = "/tmp/fibtastic-redis-XXXXXX";
  dir_ = mkdtemp(tmpl);
  Start();
}

RedisServer::~RedisServer() {
  Stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void RedisServer::Start() {
  std::vector<std::string> argv = {"redis-server",
                                   "--port",
                                   std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   append_only_ ? "yes" : "no",
                                   "--dir",
                                   dir_,
                                   "--daemonize",
                                   "no"};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  process_ = std::make_unique<Subprocess>(argv);
  if (!WaitForPort(port_, 10000)) {
    FAIL("redis-server did not start on port " << port_ << ":\n" << process_->Log());
  }
}

void RedisServer::Stop() {
  if (process_) process_->Stop();
  process_.reset();
}

void RedisServer::Kill() {
  if (process_) {
    process_->Signal(SIGKILL);
    process_->Wait(10000);
  }
  process_.reset();
}

std::string RedisServer::Cli(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"redis-cli", "-p", std::to_string(port_)};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out;
  RunCommand(argv, &out, 10000);
  return Trim(out);
}

}  // namespace fib::test
