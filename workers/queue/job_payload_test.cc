// Unit tests for the Sidekiq 6.4 payload codec: round trips, float seconds with a decimal point,
// Sidekiq 8 integer milliseconds, preserved unknown keys, and error messages.
#include "workers/queue/job_payload.h"

#include <catch2/catch.hpp>
#include <regex>

#include "common/clock.h"

namespace fib {
namespace {

using Json = nlohmann::json;

TEST_CASE("NewJobPayload makes a Sidekiq job with a random 24-hex jid") {
  ManualClock clock(1700000000LL * 1000000 + 250000);
  JobPayload a = NewJobPayload("SequenceEmailWorker", Json::array({"a@example.com", 5}), clock);
  JobPayload b = NewJobPayload("SequenceEmailWorker", Json::array({"a@example.com", 5}), clock);
  CHECK(std::regex_match(a.jid, std::regex("[0-9a-f]{24}")));
  CHECK(a.jid != b.jid);
  CHECK(a.queue == "default");
  CHECK(a.retry == true);
  CHECK(a.created_at == 1700000000.25);
  CHECK_FALSE(a.enqueued_at.has_value());
}

TEST_CASE("EncodePayload writes the fields Sidekiq 6.4 writes") {
  ManualClock clock;
  JobPayload payload =
      NewJobPayload("SequenceEmailWorker", Json::array({"a@example.com", 5}), clock, "mailers");
  payload.enqueued_at = 1700000001.5;
  payload.request_id = "req-42";
  Json json = Json::parse(EncodePayload(payload));
  CHECK(json["class"] == "SequenceEmailWorker");
  CHECK(json["args"] == Json::array({"a@example.com", 5}));
  CHECK(json["queue"] == "mailers");
  CHECK(json["retry"] == true);
  CHECK(json["jid"] == payload.jid);
  CHECK(json["created_at"].is_number_float());
  CHECK(json["enqueued_at"] == 1700000001.5);
  CHECK(json["request_id"] == "req-42");
  CHECK_FALSE(json.contains("error_message"));
  CHECK_FALSE(json.contains("retry_count"));
}

TEST_CASE("Times always carry a decimal point, never an exponent") {
  CHECK(FormatEpochSeconds(1700000000.0) == "1700000000.0");
  CHECK(FormatEpochSeconds(1700000000.123456) == "1700000000.123456");
  CHECK(FormatEpochSeconds(0) == "0.0");
  CHECK(FormatEpochSeconds(1e20).find('e') == std::string::npos);
  ManualClock clock(1700000000LL *
                    1000000);  // a whole second: the case nlohmann could print as 1.7e9
  JobPayload payload = NewJobPayload("X", Json::array(), clock);
  payload.enqueued_at = 1700000000.0;
  std::string text = EncodePayload(payload);
  CHECK_THAT(text, Catch::Contains("\"created_at\":1700000000.0"));
  CHECK_THAT(text, Catch::Contains("\"enqueued_at\":1700000000.0"));
}

TEST_CASE("A payload survives encode/decode with every field") {
  ManualClock clock;
  JobPayload in = NewJobPayload("SequenceEmailWorker", Json::array({"ü@example.com", 27}), clock);
  in.enqueued_at = 1700000002.75;
  in.request_id = "abc";
  in.retry = 3;
  in.error_message = "SMTP said \"no\"\n";
  in.error_class = "SmtpError";
  in.failed_at = 1700000003.0;
  in.retried_at = 1700000004.5;
  in.retry_count = 2;
  in.extra = {{"bid", "batch-1"}, {"tags", {"x"}}};
  auto out = DecodePayload(EncodePayload(in));
  REQUIRE(out.ok());
  CHECK(out->jid == in.jid);
  CHECK(out->class_name == in.class_name);
  CHECK(out->args == in.args);
  CHECK(out->retry == 3);
  CHECK(out->MaxRetries() == 3);
  CHECK(out->created_at == in.created_at);
  CHECK(out->enqueued_at == in.enqueued_at);
  CHECK(out->request_id == "abc");
  CHECK(out->error_message == in.error_message);
  CHECK(out->error_class == "SmtpError");
  CHECK(out->failed_at == 1700000003.0);
  CHECK(out->retried_at == 1700000004.5);
  CHECK(out->retry_count == 2);
  CHECK(out->extra == in.extra);
  CHECK(EncodePayload(*out) == EncodePayload(in));
}

TEST_CASE("DecodePayload reads what Ruby Sidekiq 6.4 writes") {
  const char* ruby =
      R"({"retry":true,"queue":"default","class":"SequenceEmailWorker","args":["a@example.com",5],)"
      R"("jid":"0123456789abcdef01234567","created_at":1700000000.1234567,)"
      R"("enqueued_at":1700000000.2345678,"backtrace":true,"tags":["t"]})";
  auto payload = DecodePayload(ruby);
  REQUIRE(payload.ok());
  CHECK(payload->class_name == "SequenceEmailWorker");
  CHECK(payload->args[1] == 5);
  CHECK(payload->jid == "0123456789abcdef01234567");
  CHECK(payload->created_at == Approx(1700000000.1234567));
  CHECK(payload->MaxRetries() == 25);
  // Unknown keys come back when written again.
  Json again = Json::parse(EncodePayload(*payload));
  CHECK(again["backtrace"] == true);
  CHECK(again["tags"] == Json::array({"t"}));
}

TEST_CASE("DecodePayload accepts Sidekiq 8 integer milliseconds") {
  auto payload = DecodePayload(
      R"({"class":"X","args":[],"created_at":1700000000123,"enqueued_at":1700000000456,)"
      R"("failed_at":1700000001000,"retried_at":1700000002000,"retry":false})");
  REQUIRE(payload.ok());
  CHECK(payload->created_at == Approx(1700000000.123));
  CHECK(*payload->enqueued_at == Approx(1700000000.456));
  CHECK(*payload->failed_at == Approx(1700000001.0));
  CHECK(*payload->retried_at == Approx(1700000002.0));
  CHECK(payload->MaxRetries() == 0);
  CHECK_THAT(EncodePayload(*payload), Catch::Contains("\"created_at\":1700000000.123"));
}

TEST_CASE("retry may be a bool or an integer, as in Ruby") {
  CHECK(DecodePayload(R"({"class":"X","args":[],"retry":5})")->MaxRetries() == 5);
  CHECK(DecodePayload(R"({"class":"X","args":[],"retry":0})")->MaxRetries() == 0);
  CHECK(DecodePayload(R"({"class":"X","args":[],"retry":true})")->MaxRetries() == 25);
  CHECK(DecodePayload(R"({"class":"X","args":[]})")->MaxRetries() == 25);
}

TEST_CASE("DecodePayload errors say what is wrong") {
  struct Case {
    std::string json;
    std::string expect;
  };
  std::vector<Case> cases = {
      {"not json", "not JSON"},
      {"[1,2]", "must be a JSON object, got array"},
      {R"({"args":[]})", "no \"class\""},
      {R"({"class":"","args":[]})", "no \"class\""},
      {R"({"class":"X"})", "no \"args\""},
      {R"({"class":"X","args":"a@example.com"})", "\"args\" must be a JSON array, got string"},
      {R"({"class":"X","args":[],"created_at":"yesterday"})", "\"created_at\" must be a number"},
      {R"({"class":"X","args":[],"queue":7})", "\"queue\" must be a string"},
  };
  for (const Case& c : cases) {
    INFO(c.json);
    auto payload = DecodePayload(c.json);
    REQUIRE_FALSE(payload.ok());
    CHECK_THAT(payload.message(), Catch::Contains(c.expect));
  }
}

TEST_CASE("EncodePayload does not throw on invalid UTF-8 in arguments") {
  ManualClock clock;
  JobPayload payload = NewJobPayload("X", Json::array({std::string("bad\xff")}), clock);
  std::string text;
  REQUIRE_NOTHROW(text = EncodePayload(payload));
  CHECK(DecodePayload(text).ok());
}

}  // namespace
}  // namespace fib

namespace fib {
namespace {

TEST_CASE("DecodePayload refuses a deeply nested payload before decoding it") {
  std::string deep =
      R"({"class":"X","args":)" + std::string(300000, '[') + std::string(300000, ']') + "}";
  Result<JobPayload> payload = DecodePayload(deep);
  REQUIRE_FALSE(payload.ok());
  CHECK(payload.message().find("more than 64 levels deep") != std::string::npos);
}

TEST_CASE("PeekPayload reads top-level jid, class and queue without decoding") {
  PayloadPeek p = PeekPayload(
      R"({"args":[{"jid":"inner","class":"Nested"}], "queue" : "mailers", "retry":true,)"
      R"( "class": "SequenceEmailWorker","jid":"0123456789abcdef01234567","x":"\"jid\":"})");
  CHECK(p.jid == "0123456789abcdef01234567");
  CHECK(p.class_name == "SequenceEmailWorker");
  CHECK(p.queue == "mailers");
  // A key whose value is not a string is never paired with the next string.
  PayloadPeek q = PeekPayload(R"({"jid":5,"a":"b","class":["C"],"queue":null})");
  CHECK(q.jid.empty());
  CHECK(q.class_name.empty());
  CHECK(q.queue.empty());
  // Deep, truncated or long texts: bounded results, no crash.
  std::string deep =
      R"({"jid":")" + std::string(1000, 'a') + R"(","args":)" + std::string(200000, '[');
  PayloadPeek d = PeekPayload(deep);
  CHECK(d.jid.size() == 128);
  CHECK(PeekPayload("[\"jid\",\"x\"]").jid.empty());
  CHECK(PeekPayload("").class_name.empty());
}

}  // namespace
}  // namespace fib
