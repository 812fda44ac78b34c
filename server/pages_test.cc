#include "server/pages.h"

#include <catch2/catch.hpp>

namespace fib {
namespace {

TEST_CASE("the form page has the title, both fields and the mode", "[pages]") {
  std::string html = RenderFormPage({"background", "jobs go to Redis", "", "", ""});
  CHECK(html.find("<title>FibTastic -- Fibonacci as a Service</title>") != std::string::npos);
  CHECK(html.find("name=\"email\"") != std::string::npos);
  CHECK(html.find("name=\"sequence_length\"") != std::string::npos);
  CHECK(html.find("action=\"/sequences\" method=\"post\"") != std::string::npos);
  CHECK(html.find("type=\"submit\"") != std::string::npos);
  CHECK(html.find("<strong>background</strong>") != std::string::npos);
  CHECK(html.find("class=\"error\"") == std::string::npos);
}

TEST_CASE("reflected input is HTML-escaped on the form page", "[pages]") {
  std::string html = RenderFormPage(
      {"inline", "now", "bad <b>message</b>", "\"><script>alert(1)</script>", "1' onmouseover='x"});
  CHECK(html.find("<script>") == std::string::npos);
  CHECK(html.find("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("1&#39; onmouseover=&#39;x") != std::string::npos);
  CHECK(html.find("bad &lt;b&gt;message&lt;/b&gt;") != std::string::npos);
}

TEST_CASE("the thanks page says the original's words and links back", "[pages]") {
  std::string html = RenderThanksPage("inline", "req-1");
  CHECK(html.find("Thanks! A carefully crafted fibonacci sequence will be hitting your inbox "
                  "shortly.") != std::string::npos);
  CHECK(html.find("<a href=\"/\">") != std::string::npos);
  CHECK(html.find("req-1") != std::string::npos);
}

TEST_CASE("error pages escape their message", "[pages]") {
  std::string html = RenderErrorPage(503, "Service Unavailable", "redis <down>", "r");
  CHECK(html.find("503 Service Unavailable") != std::string::npos);
  CHECK(html.find("redis &lt;down&gt;") != std::string::npos);
}

}  // namespace
}  // namespace fib
