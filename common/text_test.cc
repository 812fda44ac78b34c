#include "common/text.h"

#include <catch2/catch.hpp>

TEST_CASE("HtmlEscape escapes markup and quotes", "[text]") {
  CHECK(fib::HtmlEscape("<script>alert('x')&\"") == "&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;");
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

TEST_CASE("IsValidUtf8 accepts well-formed UTF-8 and refuses the rest") {
  CHECK(fib::IsValidUtf8(""));
  CHECK(fib::IsValidUtf8("ada@example.com"));
  CHECK(fib::IsValidUtf8("j\xc3\xb6rg@b\xc3\xbc\x63her.de"));  // U+00F6, U+00FC
  CHECK(fib::IsValidUtf8("\xf0\x9f\x90\x87"));                 // U+1F407
  CHECK_FALSE(fib::IsValidUtf8("\xff\xfe@x.test"));            // never valid bytes
  CHECK_FALSE(fib::IsValidUtf8("a\xc0\x80"));                  // overlong NUL
  CHECK_FALSE(fib::IsValidUtf8("\xe0\x80\xaf"));               // overlong '/'
  CHECK_FALSE(fib::IsValidUtf8("\xed\xa0\x80"));               // surrogate U+D800
  CHECK_FALSE(fib::IsValidUtf8("\xf4\x90\x80\x80"));           // above U+10FFFF
  CHECK_FALSE(fib::IsValidUtf8("\xc3"));                       // truncated
  CHECK_FALSE(fib::IsValidUtf8("\xc3\x28"));                   // bad continuation
}

TEST_CASE("EscapeForLog keeps a line one line and a terminal uncoloured", "[text]") {
  CHECK(fib::EscapeForLog("plain text, ünïcode") == "plain text, ünïcode");
  CHECK(fib::EscapeForLog("a\nZ fibtastic-worker: forged") == "a\\nZ fibtastic-worker: forged");
  CHECK(fib::EscapeForLog("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m");
  CHECK(fib::EscapeForLog("tab\there\rdel\x7f") == "tab\\there\\rdel\\x7f");
  CHECK(fib::EscapeForLog("back\\slash") == "back\\\\slash");
  CHECK(fib::EscapeForLog("csi\xc2\x9b"
                          "31m") == "csi\\x9b31m");            // C1 CSI, UTF-8 encoded
  CHECK(fib::EscapeForLog("\xc2\xa0nbsp") == "\xc2\xa0nbsp");  // U+00A0 is printable
  CHECK(fib::EscapeForLog(std::string("nul\0x", 5)) == "nul\\x00x");
  CHECK(fib::EscapeForLog("ends\xc2") == "ends\xc2");  // a truncated sequence is left alone
}

TEST_CASE("PercentEncode keeps unreserved characters and escapes the rest", "[text]") {
  CHECK(fib::PercentEncode("abc-XYZ_0.9~") == "abc-XYZ_0.9~");
  CHECK(fib::PercentEncode("a b&c=d@e/f") == "a%20b%26c%3Dd%40e%2Ff");
  CHECK(fib::PercentEncode(std::string("\xff\x00", 2)) == "%FF%00");
  std::string decoded;
  CHECK(fib::PercentDecode(fib::PercentEncode("you+me@example.com"), &decoded));
  CHECK(decoded == "you+me@example.com");
}
