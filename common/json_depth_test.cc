#include "common/json_depth.h"

#include <catch2/catch.hpp>
#include <string>

namespace fib {

TEST_CASE("JsonDepth counts nesting outside strings only") {
  CHECK(JsonDepth("42") == 0);
  CHECK(JsonDepth("\"[[[[\"") == 0);
  CHECK(JsonDepth("[]") == 1);
  CHECK(JsonDepth(R"({"a":[1,{"b":[]}],"c":{}})") == 4);
  CHECK(JsonDepth(R"(["\"[[[", "\\", [["x"]]])") == 3);  // escaped quote and backslash in strings
  CHECK(JsonDepth("]]][[") == 2);                        // invalid text: never negative
}

TEST_CASE("JsonDepth stops early on a deep text and CheckJsonDepth refuses it") {
  std::string deep(500000, '[');
  CHECK(JsonDepth(deep, 10) == 11);
  Status s = CheckJsonDepth(deep, "job payload");
  REQUIRE_FALSE(s.ok());
  CHECK(s.message() ==
        "job payload nests arrays/objects more than 64 levels deep; refusing to decode it");
  std::string ok = std::string(64, '[') + std::string(64, ']');
  CHECK(CheckJsonDepth(ok, "x").ok());
  CHECK_FALSE(CheckJsonDepth("[" + ok + "]", "x").ok());
}

}  // namespace fib
