#include "common/text.h"

#include <catch2/catch.hpp>

TEST_CASE("HtmlEscape escapes markup and quotes", "[text]") {
  CHECK(fib::HtmlEscape("<script>alert('x')&\"") ==
        "&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;");
}

TEST_CASE("RandomHex and Uuid4 have the right shape", "[text]") {
  std::string h = fib::RandomHex(24);
  CHECK(h.size() == 24);
  CHECK(h.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(fib::RandomHex(24) != h);
  std::string u = fib::Uuid4();
  CHECK(u.size() == 36);
  CHECK(u[14] == '4');
}
