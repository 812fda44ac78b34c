#include "board/request_guard.h"

#include <catch2/catch.hpp>

namespace fib {
namespace {

httplib::Request ControlRequest() {
  httplib::Request request;
  request.method = "POST";
  request.headers.emplace("Host", "127.0.0.1:8090");
  request.headers.emplace("Origin", "http://127.0.0.1:8090");
  request.headers.emplace("Content-Type", "application/json");
  request.headers.emplace("X-Board-Token", "secret-token");
  return request;
}

void SetHeader(httplib::Request* request, const std::string& name, const std::string& value) {
  request->headers.erase(name);
  if (!value.empty()) request->headers.emplace(name, value);
}

}  // namespace

TEST_CASE("RequestGuard allows the board's own page", "[board]") {
  RequestGuard guard("secret-token", 8090);
  CHECK(guard.CheckControl(ControlRequest()).ok());
  httplib::Request no_origin = ControlRequest();
  SetHeader(&no_origin, "Origin", "");  // curl sends none
  CHECK(guard.CheckControl(no_origin).ok());
  SetHeader(&no_origin, "Host", "localhost:8090");
  CHECK(guard.CheckControl(no_origin).ok());
}

TEST_CASE("RequestGuard refuses cross-site and forged control requests", "[board]") {
  RequestGuard guard("secret-token", 8090);
  struct Case {
    const char* header;
    const char* value;
    int status;
  };
  for (const Case& c :
       {Case{"Origin", "http://evil.example", 403}, Case{"Origin", "http://127.0.0.1:9999", 403},
        Case{"Origin", "null", 403}, Case{"Host", "evil.example:8090", 403},
        Case{"Host", "127.0.0.1:8091", 403}, Case{"Host", "127.0.0.1", 403}, Case{"Host", "", 403},
        Case{"X-Board-Token", "", 403}, Case{"X-Board-Token", "secret-tokeN", 403},
        Case{"X-Board-Token", "secret-token-longer", 403}, Case{"Content-Type", "text/plain", 415},
        Case{"Content-Type", "application/x-www-form-urlencoded", 415},
        Case{"Content-Type", "", 415}}) {
    httplib::Request request = ControlRequest();
    SetHeader(&request, c.header, c.value);
    if (std::string(c.header) == "Host" && *c.value) {
      SetHeader(&request, "Origin", std::string("http://") + c.value);  // a rebinding page
    }
    GuardVerdict verdict = guard.CheckControl(request);
    INFO(c.header << ": " << c.value);
    CHECK(verdict.status == c.status);
    CHECK(!verdict.message.empty());
  }
}

TEST_CASE("RequestGuard's Host check covers every request", "[board]") {
  RequestGuard guard("t", 8090);
  httplib::Request request;
  request.headers.emplace("Host", "[::1]:8090");
  CHECK(guard.CheckHost(request).ok());
  SetHeader(&request, "Host", "rebind.example:8090");
  CHECK(guard.CheckHost(request).status == 403);
}

TEST_CASE("NewBoardToken gives 32 fresh hex digits", "[board]") {
  std::string a = NewBoardToken(), b = NewBoardToken();
  CHECK(a.size() == 32);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a != b);
}

}  // namespace fib
