#include "workers/jobs/job_registry.h"

#include <catch2/catch.hpp>

#include "common/smtp/smtp_mailer.h"
#include "tests/support/recording_mailer.h"
#include "workers/jobs/sequence_email_job.h"

namespace {
using fib::test::RecordingMailer;
}  // namespace

TEST_CASE("SequenceEmailWorker sends the numbers with request and job ids", "[jobs]") {
  fib::JobRegistry registry;
  fib::RegisterBuiltinJobs(&registry);
  RecordingMailer mailer;
  fib::JobContext ctx{"abc123", "run-7", &mailer, nullptr, {}};
  fib::JobStatus s = registry.Run("SequenceEmailWorker", {"a@example.com", 10}, ctx);
  REQUIRE(s.ok());
  REQUIRE(mailer.sent.size() == 1);
  const fib::Email& e = mailer.sent[0];
  CHECK(e.from == "fibmaster@example.com");
  CHECK(e.to == "a@example.com");
  CHECK(e.subject == "Your Fib Sequence!");
  CHECK(e.html_body.find("0, 1, 1, 2, 3, 5, 8, 13, 21, 34</p>") != std::string::npos);
  CHECK(e.headers.at("X-Request-Id") == "run-7");
  CHECK(e.headers.at("X-Job-Id") == "abc123");
}

TEST_CASE("SequenceEmailWorker accepts a numeric string length as Rails sends it", "[jobs]") {
  fib::JobRegistry registry;
  fib::RegisterBuiltinJobs(&registry);
  RecordingMailer mailer;
  fib::JobContext ctx{"", "", &mailer, nullptr, {}};
  REQUIRE(registry.Run("SequenceEmailWorker", {"a@example.com", "5"}, ctx).ok());
  CHECK(mailer.sent.at(0).html_body.find("0, 1, 1, 2, 3</p>") != std::string::npos);
}

TEST_CASE("Bad job input is a failure with a clear class and message", "[jobs]") {
  fib::JobRegistry registry;
  fib::RegisterBuiltinJobs(&registry);
  RecordingMailer mailer;
  fib::JobContext ctx{"", "", &mailer, nullptr, {}};
  auto unknown = registry.Run("NoSuchWorker", nlohmann::json::array(), ctx);
  CHECK(unknown.error_class() == fib::kUnknownJobError);
  CHECK(unknown.message().find("NoSuchWorker") != std::string::npos);
  auto arity = registry.Run("SequenceEmailWorker", {"a@example.com"}, ctx);
  CHECK(arity.error_class() == fib::kArgumentError);
  CHECK(arity.message().find("given 1, expected 2") != std::string::npos);
  auto range = registry.Run("SequenceEmailWorker", {"a@example.com", 28}, ctx);
  CHECK(range.error_class() == fib::kArgumentError);
  auto not_array = registry.Run("NoopWorker", {{"a", 1}}, ctx);
  CHECK(not_array.error_class() == fib::kArgumentError);
  CHECK(mailer.sent.empty());
}

TEST_CASE("An SMTP failure comes back as SmtpError with the mailer's message", "[jobs]") {
  fib::JobRegistry registry;
  fib::RegisterBuiltinJobs(&registry);
  RecordingMailer mailer;
  mailer.fail_with = "SMTP send to smtp://x failed: 451";
  fib::JobContext ctx{"", "", &mailer, nullptr, {}};
  auto s = registry.Run("SequenceEmailWorker", {"a@example.com", 3}, ctx);
  CHECK(s.error_class() == fib::kSmtpError);
  CHECK(s.message() == mailer.fail_with);
}

TEST_CASE("Form validation follows the original app", "[jobs]") {
  using fib::ValidateSequenceRequest;
  CHECK(ValidateSequenceRequest("a@example.com", "27").ok());
  CHECK(ValidateSequenceRequest("a@example.com", " 1 ").ok());
  CHECK(ValidateSequenceRequest("a@example.com", "0").message() ==
        "please provide a valid sequence length");
  CHECK(ValidateSequenceRequest("a@example.com", "-1").message() ==
        "please provide a valid sequence length");
  CHECK(ValidateSequenceRequest("a@example.com", "abc").message() ==
        "please provide a valid sequence length");
  CHECK(ValidateSequenceRequest("a@example.com", "").message() ==
        "please provide a valid sequence length");
  CHECK(ValidateSequenceRequest("a@example.com", "28").message().find("paid customers") !=
        std::string::npos);
  CHECK(!ValidateSequenceRequest("a@example.com\r\nBcc: x@evil.com", "5").ok());
  CHECK(!ValidateSequenceRequest("a@example.com, b@example.com", "5").ok());
  CHECK(!ValidateSequenceRequest("", "5").ok());
  CHECK(!ValidateSequenceRequest(std::string(250, 'a') + "@example.com", "5").ok());
}

TEST_CASE("FormatMessage writes headers and CRLF line ends", "[mailer]") {
  fib::Email e{"f@example.com", "t@example.com", "Hi", "line1\nline2", {{"X-Request-Id", "r1"}}};
  std::string m = fib::FormatMessage(e);
  CHECK(m.find("From: f@example.com\r\n") != std::string::npos);
  CHECK(m.find("X-Request-Id: r1\r\n") != std::string::npos);
  CHECK(m.find("\r\n\r\nline1\r\nline2\r\n") != std::string::npos);
}

TEST_CASE("SmtpMailer refuses header injection before connecting", "[mailer]") {
  fib::SmtpMailer mailer({"smtp://127.0.0.1:1", 100, 100});
  fib::Email e{"f@example.com", "t@example.com", "Hi", "b", {{"X-Request-Id", "r1\r\nBcc: x"}}};
  auto s = mailer.Send(e);
  CHECK(s.message().find("header injection") != std::string::npos);
}

TEST_CASE("SmtpMailer names the server when nothing listens", "[mailer]") {
  // A refusal comes at once; the generous connect timeout only keeps a loaded machine (CI ran it
  // beside other tests and builds, and once took the 1 s it had) from turning it into a timeout.
  fib::SmtpMailer mailer({"smtp://127.0.0.1:1", 10000, 12000});
  auto s = mailer.Send({"f@example.com", "t@example.com", "Hi", "b", {}});
  REQUIRE(!s.ok());
  CHECK(s.message().find("smtp://127.0.0.1:1") != std::string::npos);
  CHECK(s.message().find("refused") != std::string::npos);
}
