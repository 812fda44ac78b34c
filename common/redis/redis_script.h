// RedisScript: a Lua script and its SHA-1, so RedisConnection::Eval can send EVALSHA and fall
// back to EVAL when the server does not know the script yet (first use, or after a restart).
// Thread-safety: immutable after construction; share freely.
#pragma once

#include <string>
#include <string_view>

namespace fib {

class RedisScript {
 public:
  explicit RedisScript(std::string source);

  const std::string& source() const { return source_; }
  // Returns the lowercase hex SHA-1 of the source (what SCRIPT LOAD returns).
  const std::string& sha1() const { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;
};

// Returns the lowercase hex SHA-1 digest of `data`.
std::string Sha1Hex(std::string_view data);

}  // namespace fib
