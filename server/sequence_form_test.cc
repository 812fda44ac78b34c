#include "server/sequence_form.h"

#include <catch2/catch.hpp>

namespace fib {
namespace {

TEST_CASE("url-encoded components decode + and %XX", "[form]") {
  CHECK(*UrlDecodeComponent("a+b%40example.com") == "a b@example.com");
  CHECK(*UrlDecodeComponent("%2B%2b%25") == "++%");
  CHECK(*UrlDecodeComponent("x%0D%0Ay") == "x\r\ny");
  CHECK(*UrlDecodeComponent("") == "");
  for (const char* bad : {"%", "%4", "%zz", "abc%g1"}) {
    INFO(bad);
    CHECK_FALSE(UrlDecodeComponent(bad).ok());
  }
}

TEST_CASE("a form post yields email and sequence_length", "[form]") {
  auto form = ParseSequenceForm(
      BodyFormat::kForm,
      "utf8=%E2%9C%93&email=ada%2Blove%40example.com&sequence_length=10&commit=Go");
  REQUIRE(form.ok());
  CHECK(form->email == "ada+love@example.com");
  CHECK(form->sequence_length == "10");
  CHECK(form->has_email);
  CHECK(form->has_sequence_length);
}

TEST_CASE("a field given twice keeps the last value, as Rails", "[form]") {
  auto form =
      ParseSequenceForm(BodyFormat::kForm, "email=a%40x.com&sequence_length=3&sequence_length=7");
  REQUIRE(form.ok());
  CHECK(form->sequence_length == "7");
}

TEST_CASE("missing fields are reported as absent, not as errors", "[form]") {
  auto form = ParseSequenceForm(BodyFormat::kForm, "other=1&&email");
  REQUIRE(form.ok());
  CHECK(form->has_email);
  CHECK(form->email.empty());
  CHECK_FALSE(form->has_sequence_length);
}

TEST_CASE("malformed form encoding is an error naming the spot", "[form]") {
  auto form = ParseSequenceForm(BodyFormat::kForm, "email=a%zz&sequence_length=3");
  REQUIRE_FALSE(form.ok());
  CHECK(form.message().find("%zz") != std::string::npos);
}

TEST_CASE("a JSON body accepts an integer or a string length", "[form]") {
  auto a = ParseSequenceForm(BodyFormat::kJson, R"({"email":"a@x.com","sequence_length":12})");
  REQUIRE(a.ok());
  CHECK(a->email == "a@x.com");
  CHECK(a->sequence_length == "12");
  auto b = ParseSequenceForm(BodyFormat::kJson, R"({"email":"a@x.com","sequence_length":"5"})");
  REQUIRE(b.ok());
  CHECK(b->sequence_length == "5");
  auto c = ParseSequenceForm(BodyFormat::kJson, R"({"email":"a@x.com","sequence_length":2.5})");
  REQUIRE(c.ok());
  CHECK(c->sequence_length == "2.5");  // passed on; validation rejects it
}

TEST_CASE("a JSON body that is not an object, or an email that is not a string, is refused",
          "[form]") {
  CHECK_FALSE(ParseSequenceForm(BodyFormat::kJson, "not json").ok());
  CHECK_FALSE(ParseSequenceForm(BodyFormat::kJson, "[1,2]").ok());
  auto bad_email = ParseSequenceForm(BodyFormat::kJson, R"({"email":5,"sequence_length":1})");
  REQUIRE_FALSE(bad_email.ok());
  CHECK(bad_email.message().find("email") != std::string::npos);
  auto missing = ParseSequenceForm(BodyFormat::kJson, "{}");
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_email);
}

TEST_CASE("the body format comes from Content-Type", "[form]") {
  CHECK(BodyFormatOf("application/x-www-form-urlencoded") == BodyFormat::kForm);
  CHECK(BodyFormatOf("Application/X-WWW-Form-Urlencoded; charset=UTF-8") == BodyFormat::kForm);
  CHECK(BodyFormatOf("") == BodyFormat::kForm);
  CHECK(BodyFormatOf("application/json; charset=utf-8") == BodyFormat::kJson);
  CHECK(BodyFormatOf("text/plain") == BodyFormat::kUnsupported);
  CHECK(BodyFormatOf("multipart/form-data; boundary=x") == BodyFormat::kUnsupported);
}

}  // namespace
}  // namespace fib
