// RequestTemplate: request bytes with X-Request-Id and per-request substitution.
#include "bench/loadgen/request_template.h"

#include <catch2/catch.hpp>

namespace {

fib::LoadgenOptions Options(std::vector<std::string> extra_headers = {}) {
  fib::LoadgenOptions o;
  o.url = "http://127.0.0.1:3000/sequences?x=1";
  o.run_id = "abc";
  o.headers = std::move(extra_headers);
  REQUIRE(o.Validate().ok());
  return o;
}

}  // namespace

TEST_CASE("RequestTemplate writes a GET with Host and X-Request-Id", "[request]") {
  fib::LoadgenOptions o = Options({"Accept: text/html"});
  fib::RequestTemplate t(o);
  std::string out;
  t.Build(17, &out);
  CHECK(out ==
        "GET /sequences?x=1 HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nAccept: text/html\r\n"
        "X-Request-Id: abc-17\r\n\r\n");
  CHECK(t.RequestId(17) == "abc-17");
}

TEST_CASE("RequestTemplate substitutes {n}, {run} and {uuid} in the body", "[request]") {
  fib::LoadgenOptions o = Options();
  o.method = "POST";
  o.form = true;
  o.body = "email=u{n}@example.com&run={run}&token={uuid}&sequence_length=20";
  REQUIRE(o.Validate().ok());
  fib::RequestTemplate t(o);
  std::string a, b;
  t.Build(5, &a);
  t.Build(6, &b);
  CHECK_THAT(a, Catch::StartsWith("POST /sequences?x=1 HTTP/1.1\r\n"));
  CHECK_THAT(a, Catch::Contains("Content-Type: application/x-www-form-urlencoded\r\n"));
  CHECK_THAT(a, Catch::Contains("X-Request-Id: abc-5\r\n"));
  std::string body = a.substr(a.find("\r\n\r\n") + 4);
  CHECK_THAT(body, Catch::StartsWith("email=u5@example.com&run=abc&token="));
  CHECK_THAT(a, Catch::Contains("Content-Length: " + std::to_string(body.size()) + "\r\n"));
  std::string token_a = body.substr(body.find("token=") + 6, 36);
  std::string body_b = b.substr(b.find("\r\n\r\n") + 4);
  CHECK(token_a != body_b.substr(body_b.find("token=") + 6, 36));
  CHECK(token_a[14] == '4');  // a version-4 UUID
}

TEST_CASE("RequestTemplate::Substitute leaves other braces alone", "[request]") {
  CHECK(fib::RequestTemplate::Substitute(R"({"n":{n},"x":"{y}"})", 3, "r") ==
        R"({"n":3,"x":"{y}"})");
}
