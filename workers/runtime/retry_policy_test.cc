#include "workers/runtime/retry_policy.h"

#include <catch2/catch.hpp>

#include "common/clock.h"

namespace {

constexpr double kNow = 1700000000.0;

fib::JobPayload Job(nlohmann::json retry = true) {
  fib::ManualClock clock;
  fib::JobPayload payload = fib::NewJobPayload("SequenceEmailWorker", {"a@example.com", 5}, clock);
  payload.retry = retry;
  return payload;
}

}  // namespace

TEST_CASE("backoff is count^4 + 15 + jitter * (count + 1), scaled", "[retry]") {
  CHECK(fib::RetryDelaySeconds(0, 0) == 15);
  CHECK(fib::RetryDelaySeconds(0, 9) == 24);
  CHECK(fib::RetryDelaySeconds(3, 0) == 81 + 15);
  CHECK(fib::RetryDelaySeconds(3, 9) == 81 + 15 + 36);
  CHECK(fib::RetryDelaySeconds(24, 5) == 331776 + 15 + 125);
  CHECK(fib::RetryDelaySeconds(3, 9, 0.01) == Approx(1.32));
}

TEST_CASE("first failure writes failed_at and retry_count 0, later ones retried_at and +1",
          "[retry]") {
  fib::JobPayload job = Job();
  int count = fib::RecordFailure(&job, "SmtpError", "connection refused", kNow);
  CHECK(count == 0);
  CHECK(job.retry_count == 0);
  CHECK(job.failed_at == kNow);
  CHECK_FALSE(job.retried_at.has_value());
  CHECK(job.error_class == "SmtpError");
  CHECK(job.error_message == "connection refused");

  count = fib::RecordFailure(&job, "ArgumentError", "bad", kNow + 30);
  CHECK(count == 1);
  CHECK(job.failed_at == kNow);  // kept from the first failure
  CHECK(job.retried_at == kNow + 30);
  CHECK(job.error_class == "ArgumentError");
}

TEST_CASE("error messages keep at most 10,000 characters and valid UTF-8", "[retry]") {
  CHECK(fib::TruncateErrorMessage(std::string(20000, 'x')).size() == 10000);
  std::string euro(12000 * 3, ' ');
  for (size_t i = 0; i < 12000; ++i) euro.replace(i * 3, 3, "\xE2\x82\xAC");  // U+20AC
  std::string cut = fib::TruncateErrorMessage(euro);
  CHECK(cut.size() == 30000);  // 10,000 characters of 3 bytes, none split
  CHECK(fib::TruncateErrorMessage("ok \xFF end") == "ok \xEF\xBF\xBD end");
  CHECK(fib::TruncateErrorMessage("short") == "short");
}

TEST_CASE("retry limits: true is 25, integers are honoured, other values are 25", "[retry]") {
  CHECK(fib::MaxRetriesFor(true) == 25);
  CHECK(fib::MaxRetriesFor(3) == 3);
  CHECK(fib::MaxRetriesFor(0) == 0);
  CHECK(fib::MaxRetriesFor("5") == 25);
}

TEST_CASE("a failure below the limit is retried inside Sidekiq's window", "[retry]") {
  for (int jitter = 0; jitter <= 9; ++jitter) {
    fib::FailureDecision d = fib::DecideFailure(Job(), "SmtpError", "down", kNow, jitter, 1.0);
    REQUIRE(d.action == fib::FailureAction::kRetry);
    CHECK(d.at_seconds >= kNow + 15);
    CHECK(d.at_seconds <= kNow + 15 + 9);
    CHECK(d.retry_count == 0);
  }
  fib::JobPayload third = Job();
  third.retry_count = 2;  // failed three times before; this is the fourth failure (count 3)
  fib::FailureDecision d = fib::DecideFailure(third, "SmtpError", "down", kNow, 9, 1.0);
  REQUIRE(d.action == fib::FailureAction::kRetry);
  CHECK(d.delay_s == 81 + 15 + 9 * 4);
  auto stored = fib::DecodePayload(d.raw);
  REQUIRE(stored.ok());
  CHECK(stored->retry_count == 3);
  CHECK(stored->retried_at == kNow);
  CHECK(stored->error_message == "down");
}

TEST_CASE("reaching the limit sends the job to the dead set", "[retry]") {
  fib::JobPayload job = Job(2);
  job.retry_count = 1;  // next failure has count 2, and 2 < 2 is false
  fib::FailureDecision d = fib::DecideFailure(job, "SmtpError", "down", kNow, 0, 1.0);
  CHECK(d.action == fib::FailureAction::kDead);
  CHECK(d.at_seconds == kNow);
  auto stored = fib::DecodePayload(d.raw);
  REQUIRE(stored.ok());
  CHECK(stored->retry_count == 2);
  CHECK(stored->error_class == "SmtpError");
}

TEST_CASE("retry: 0 goes straight to the dead set, retry: false is dropped", "[retry]") {
  fib::FailureDecision zero = fib::DecideFailure(Job(0), "SmtpError", "down", kNow, 0, 1.0);
  CHECK(zero.action == fib::FailureAction::kDead);
  CHECK(zero.retry_count == 0);
  fib::FailureDecision off = fib::DecideFailure(Job(false), "SmtpError", "down", kNow, 0, 1.0);
  CHECK(off.action == fib::FailureAction::kDrop);
  CHECK(off.retry_count == -1);
}

TEST_CASE("dead: false drops the job once retries are exhausted", "[retry]") {
  fib::JobPayload job = Job(0);
  job.extra["dead"] = false;
  CHECK(fib::DecideFailure(job, "E", "m", kNow, 0, 1.0).action == fib::FailureAction::kDrop);
}

TEST_CASE("retry_queue moves the retried job to that queue", "[retry]") {
  fib::JobPayload job = Job();
  job.extra["retry_queue"] = "slow";
  fib::FailureDecision d = fib::DecideFailure(job, "E", "m", kNow, 0, 1.0);
  auto stored = fib::DecodePayload(d.raw);
  REQUIRE(stored.ok());
  CHECK(stored->queue == "slow");
}

TEST_CASE("an undecodable object keeps its keys and gains the failure fields", "[retry]") {
  nlohmann::json object = {{"klass", "Oops"}, {"jid", "abc"}, {"custom", {1, 2}}};
  auto dead = nlohmann::json::parse(
      fib::MarkUndecodableObject(object, "InvalidPayloadError", "no class", kNow));
  CHECK(dead["klass"] == "Oops");
  CHECK(dead["custom"] == nlohmann::json({1, 2}));
  CHECK(dead["error_class"] == "InvalidPayloadError");
  CHECK(dead["error_message"] == "no class");
  CHECK(dead["failed_at"] == kNow);
  CHECK(dead["retry_count"] == 0);
}
