// JsonDepth: how deeply a JSON text nests, found without parsing it. nlohmann::json parses
// iteratively but copies, compares and dumps values recursively, so a text nested a few hundred
// thousand levels deep (small enough for any size limit) overflows the stack later, far from the
// parse. Callers that read untrusted JSON check the depth first (CheckJsonDepth) and refuse it.
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "common/status.h"

namespace fib {

// Deepest nesting any real payload, report or inbox document of ours uses is well under 16.
inline constexpr int kMaxJsonDepth = 64;

// Steps through JSON text one byte at a time and says what each byte is to the structure: the
// quotes around a string, a byte inside one (escapes included), or a structural byte. The one
// string/escape state machine behind JsonDepth and the payload peek.
class JsonStringTracker {
 public:
  enum class Byte { kStructural, kOpenQuote, kInString, kCloseQuote };
  Byte Step(char c) {
    if (!in_string_) {
      if (c != '"') return Byte::kStructural;
      in_string_ = true;
      return Byte::kOpenQuote;
    }
    if (escaped_) {
      escaped_ = false;
    } else if (c == '\\') {
      escaped_ = true;
    } else if (c == '"') {
      in_string_ = false;
      return Byte::kCloseQuote;
    }
    return Byte::kInString;
  }

 private:
  bool in_string_ = false, escaped_ = false;
};

// Returns the deepest nesting of arrays/objects in `text` (0 for a scalar), stopping early once it
// exceeds `stop_above`. Brackets inside strings (with their escapes) are not counted. Linear time,
// no allocation; `text` need not be valid JSON (the parser reports that).
int JsonDepth(std::string_view text, int stop_above = kMaxJsonDepth);
// Returns an error naming `what` and the limit when `text` nests deeper than `max_depth`.
Status CheckJsonDepth(std::string_view text, const std::string& what,
                      int max_depth = kMaxJsonDepth);

}  // namespace fib
