// RedisValue: one Redis reply (nil, integer, bulk string, array, status or error), copied out of
// hiredis so callers never see redisReply.
// Thread-safety: value type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fib {

struct RedisValue {
  enum class Type { kNil, kInteger, kString, kArray, kStatus, kError };

  Type type = Type::kNil;
  int64_t integer = 0;               // kInteger
  std::string str;                   // kString, kStatus ("OK"), kError (the server's message)
  std::vector<RedisValue> elements;  // kArray

  bool is_nil() const { return type == Type::kNil; }
  bool is_error() const { return type == Type::kError; }
  bool is_string() const { return type == Type::kString; }
  bool is_array() const { return type == Type::kArray; }
  bool is_integer() const { return type == Type::kInteger; }

  // Returns a short human-readable rendering (for messages and test failures).
  std::string DebugString() const;
};

}  // namespace fib
