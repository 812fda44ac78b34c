#include "server/request_id.h"

#include <cctype>

#include "common/text.h"

namespace fib {

bool IsSafeRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (unsigned char c : id) {
    if (!std::isalnum(c) && c != '.' && c != '_' && c != ':' && c != '-') return false;
  }
  return true;
}

std::string RequestIdFor(std::string_view incoming) {
  return IsSafeRequestId(incoming) ? std::string(incoming) : Uuid4();
}

}  // namespace fib
