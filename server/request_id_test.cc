#include "server/request_id.h"

#include <catch2/catch.hpp>
#include <regex>

namespace fib {
namespace {

bool LooksLikeUuid(const std::string& s) {
  return std::regex_match(
      s, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
}

TEST_CASE("a safe incoming request id is kept as sent", "[request_id]") {
  CHECK(RequestIdFor("loadgen-42:7.3_a") == "loadgen-42:7.3_a");
  std::string longest(kMaxRequestIdLength, 'a');
  CHECK(RequestIdFor(longest) == longest);
}

TEST_CASE("a missing or unsafe request id is replaced by a fresh UUID", "[request_id]") {
  for (const std::string& bad :
       {std::string(""), std::string("has space"), std::string("a\r\nX-Evil: 1"),
        std::string("<script>"), std::string("semi;colon"), std::string("ü"),
        std::string(kMaxRequestIdLength + 1, 'a')}) {
    INFO("incoming: " << bad);
    std::string id = RequestIdFor(bad);
    CHECK(id != bad);
    CHECK(LooksLikeUuid(id));
    CHECK(IsSafeRequestId(id));
  }
  CHECK(RequestIdFor("") != RequestIdFor(""));
}

}  // namespace
}  // namespace fib
