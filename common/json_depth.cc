#include "common/json_depth.h"

#include <string>

namespace fib {

int JsonDepth(std::string_view text, int stop_above) {
  int depth = 0, deepest = 0;
  JsonStringTracker strings;
  for (char c : text) {
    if (strings.Step(c) != JsonStringTracker::Byte::kStructural) continue;
    if (c == '[' || c == '{') {
      if (++depth > deepest && (deepest = depth) > stop_above) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

Status CheckJsonDepth(std::string_view text, const std::string& what, int max_depth) {
  if (JsonDepth(text, max_depth) <= max_depth) return Status::Ok();
  return Status::Error(what + " nests arrays/objects more than " + std::to_string(max_depth) +
                       " levels deep; refusing to decode it");
}

}  // namespace fib
