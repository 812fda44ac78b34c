// LoadgenOptions: validation errors name the flag.
#include "bench/loadgen/loadgen_options.h"

#include <catch2/catch.hpp>

namespace {

std::string ErrorOf(fib::LoadgenOptions o) {
  fib::Status s = o.Validate();
  return s.ok() ? "" : s.message();
}

fib::LoadgenOptions Good() {
  fib::LoadgenOptions o;
  o.url = "http://localhost:8080";
  return o;
}

}  // namespace

TEST_CASE("LoadgenOptions parses the target URL", "[options]") {
  fib::LoadgenOptions o = Good();
  REQUIRE(o.Validate().ok());
  CHECK(o.target.host == "127.0.0.1");
  CHECK(o.target.port == 8080);
  CHECK(o.target.path == "/");
  CHECK(o.run_id.size() == 8);
  CHECK(o.label == "GET http://localhost:8080");
  auto u = fib::ParseHttpUrl("http://example.test/a/b?c=d", "--url");
  REQUIRE(u.ok());
  CHECK(u->port == 80);
  CHECK(u->path == "/a/b?c=d");
}

TEST_CASE("LoadgenOptions rejects bad flags with the flag's name", "[options]") {
  auto o = Good();
  o.url = "";
  CHECK_THAT(ErrorOf(o), Catch::Contains("--url"));
  o = Good();
  o.url = "https://127.0.0.1/";
  CHECK_THAT(ErrorOf(o), Catch::Contains("--url"));
  o = Good();
  o.url = "http://127.0.0.1:99999/";
  CHECK_THAT(ErrorOf(o), Catch::Contains("--url"));
  o = Good();
  o.rate_rps = -1;
  CHECK_THAT(ErrorOf(o), Catch::Contains("--rate"));
  o = Good();
  o.connections = 0;
  CHECK_THAT(ErrorOf(o), Catch::Contains("--connections"));
  o = Good();
  o.timeout_ms = 0;
  CHECK_THAT(ErrorOf(o), Catch::Contains("--timeout"));
  o = Good();
  o.headers = {"NoColon"};
  CHECK_THAT(ErrorOf(o), Catch::Contains("--header"));
  o = Good();
  o.headers = {"X-Request-Id: mine"};
  CHECK_THAT(ErrorOf(o), Catch::Contains("X-Request-Id"));
  o = Good();
  o.body_file = "/nonexistent/body";
  CHECK_THAT(ErrorOf(o), Catch::Contains("--body-file"));
  o = Good();
  o.mail_url = "smtp://x";
  CHECK_THAT(ErrorOf(o), Catch::Contains("--mail"));
}

TEST_CASE("LoadgenOptions --json-body adds a Content-Type unless one is given", "[options]") {
  auto o = Good();
  o.json_body = true;
  REQUIRE(o.Validate().ok());
  CHECK(o.headers == std::vector<std::string>{"Content-Type: application/json"});
  o = Good();
  o.json_body = true;
  o.headers = {"content-type: application/vnd.api+json"};
  REQUIRE(o.Validate().ok());
  CHECK(o.headers.size() == 1);
}

TEST_CASE("LoadgenOptions uses at most one thread per connection", "[options]") {
  auto o = Good();
  o.threads = 8;
  o.connections = 3;
  REQUIRE(o.Validate().ok());
  CHECK(o.threads == 3);
}

TEST_CASE("LoadgenOptions --arrivals takes constant, poisson or burst, --seed a count",
          "[options]") {
  fib::LoadgenOptions o = Good();
  o.arrivals = "bursty";
  CHECK(ErrorOf(o) == "--arrivals takes constant, poisson or burst, got 'bursty'");
  o = Good();
  o.seed = -1;
  CHECK(ErrorOf(o) == "--seed must be >= 0");
  o = Good();
  o.arrivals = "poisson";
  REQUIRE(o.Validate().ok());
  CHECK(o.arrival_process == fib::ArrivalProcess::kPoisson);
}

TEST_CASE("LoadgenOptions burst arrivals take a rate or a period, not two that disagree",
          "[options]") {
  fib::LoadgenOptions o = Good();
  o.arrivals = "burst";
  o.rate_rps = 0;
  CHECK(ErrorOf(o).find("--arrivals burst needs --rate") == 0);
  o = Good();
  o.arrivals = "burst";
  o.rate_rps = 0;
  o.burst_size = 20;
  o.burst_every_s = 2;
  REQUIRE(o.Validate().ok());
  CHECK(o.rate_rps == 10);
  o = Good();
  o.arrivals = "burst";
  o.rate_rps = 50;
  o.burst_size = 20;
  REQUIRE(o.Validate().ok());
  CHECK(o.burst_every_s == 0.4);
  o = Good();
  o.arrivals = "burst";
  o.rate_rps = 50;
  o.burst_size = 20;
  o.burst_every_s = 2;
  CHECK(ErrorOf(o).find("--rate 50 disagrees with --burst-size 20 every 2 s (10 req/s)") == 0);
  o = Good();
  o.burst_size = 0;
  CHECK(ErrorOf(o) == "--burst-size must be 1 to 1000000, got 0");
  o = Good();
  o.arrivals = "burst";
  o.rate_rps = 10;
  o.burst_size = 4294967296;  // truncated to int it would be 0: a division by zero
  CHECK(ErrorOf(o) == "--burst-size must be 1 to 1000000, got 4294967296");
}
