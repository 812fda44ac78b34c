#include "common/redis/redis_value.h"

namespace fib {

std::string RedisValue::DebugString() const {
  switch (type) {
    case Type::kNil:
      return "(nil)";
    case Type::kInteger:
      return "(integer) " + std::to_string(integer);
    case Type::kString:
      return "\"" + str + "\"";
    case Type::kStatus:
      return str;
    case Type::kError:
      return "(error) " + str;
    case Type::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < elements.size(); ++i) {
        out += (i ? ", " : "") + elements[i].DebugString();
      }
      return out + "]";
    }
  }
  return "?";
}

}  // namespace fib
