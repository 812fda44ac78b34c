// RedisServer: a private redis-server for one test, on a free loopback port, no persistence
// unless asked; stopped (and its data folder removed) when the object goes away.
// Thread-safety: one owner thread.
#pragma once

#include <memory>
#include <string>

#include "tests/support/subprocess.h"

namespace fib::test {

class RedisServer {
 public:
  // Starts redis-server; FAILs the test when it does not accept connections within 10 s.
  explicit RedisServer(bool append_only = false);
  // As above, with `extra_args` passed to redis-server on every Start (e.g. {"--appendfsync",
  // "always"}); they come last, so they override the defaults above.
  RedisServer(bool append_only, std::vector<std::string> extra_args);
  ~RedisServer();

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }
  // Runs redis-cli against this server; returns its trimmed output.
  std::string Cli(const std::vector<std::string>& args) const;
  // Stops the server (SIGTERM) / starts it again on the same port and data folder.
  void Stop();
  void Start();
  // Kills the server with SIGKILL (a crash: no shutdown, no final AOF fsync) and waits until it
  // is gone; Start() brings it back on the same port and data folder.
  void Kill();

 private:
  int port_;
  bool append_only_;
  std::vector<std::string> extra_args_;
  std::string dir_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace fib::test
