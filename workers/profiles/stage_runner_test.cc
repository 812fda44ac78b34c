#include "workers/profiles/stage_runner.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>

#include "common/fib_timing.h"
#include "common/smtp/mailer.h"
#include "tests/support/recording_mailer.h"
#include "workers/profiles/profile_job.h"
#include "workers/profiles/stage_sampler.h"

namespace {

using fib::test::RecordingMailer;

fib::Profile ProfileFrom(const std::string& text) {
  auto profile = fib::ParseProfile(text, "test.toml");
  REQUIRE(profile.ok());
  return *profile;
}

int64_t WallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

const char kMailProfile[] =
    "job_class = \"MailWorker\"\ndescription = \"mail test\"\n"
    "[[job]]\nname = \"send email\"\nkind = \"smtp\"\n";

}  // namespace

TEST_CASE("A cpu stage burns about the requested CPU time on its thread", "[stages]") {
  fib::Profile profile =
      ProfileFrom("job_class = \"W\"\n[[job]]\nname = \"think\"\nkind = \"cpu\"\nms = 50\n");
  fib::StageTiming timing;
  int64_t cpu_before_us = fib::ThreadCpuMicros();
  REQUIRE(fib::StageRunner(profile).Run(profile.job[0], {}, {}, &timing).ok());
  int64_t cpu_used_us = fib::ThreadCpuMicros() - cpu_before_us;
  CHECK(cpu_used_us >= 50000);
  CHECK(cpu_used_us < 150000);
  CHECK(timing.cpu_us >= 50000);
  CHECK(timing.wall_us >= timing.cpu_us - 1000);  // CPU time cannot outrun the wall clock
  CHECK(timing.name == "think");
}

TEST_CASE("An io stage sleeps at least its ms and uses almost no CPU", "[stages]") {
  fib::Profile profile =
      ProfileFrom("job_class = \"W\"\n[[request]]\nname = \"db\"\nkind = \"io\"\nms = 30\n");
  std::vector<fib::StageTiming> timings;
  int64_t start_us = WallMicros();
  REQUIRE(fib::RunRequestStages(profile, fib::StagePhase::kRequest, {}, &timings).ok());
  CHECK(WallMicros() - start_us >= 30000);
  REQUIRE(timings.size() == 1);
  CHECK(timings[0].wall_us >= 30000);
  CHECK(timings[0].cpu_us < 10000);
}

TEST_CASE("Jitter varies a stage within ± jitter_ms", "[stages]") {
  fib::Profile profile = ProfileFrom(
      "job_class = \"W\"\n[[job]]\nname = \"db\"\nkind = \"io\"\nms = 10\njitter_ms = 8\n");
  int64_t shortest_us = INT64_MAX, longest_us = 0;
  for (int i = 0; i < 30; ++i) {
    fib::StageTiming timing;
    REQUIRE(fib::StageRunner(profile).Run(profile.job[0], {}, {}, &timing).ok());
    shortest_us = std::min(shortest_us, timing.wall_us);
    longest_us = std::max(longest_us, timing.wall_us);
  }
  CHECK(shortest_us >= 2000);
  CHECK(shortest_us < 8000);  // 30 draws from 2..18 ms: one below 8 ms is all but certain
  CHECK(longest_us > 12000);
}

TEST_CASE("An smtp stage sends to args[0] with the request and job ids", "[stages]") {
  fib::Profile profile = ProfileFrom(kMailProfile);
  RecordingMailer mailer;
  fib::JobContext context{"jid-1", "req-9", &mailer, nullptr, {}};
  fib::ProfileJob job(profile);
  REQUIRE(job.Perform({"ada@example.com", 42}, context).ok());
  REQUIRE(mailer.sent.size() == 1);
  const fib::Email& email = mailer.sent[0];
  CHECK(email.to == "ada@example.com");
  CHECK(email.from == fib::kStageSender);
  CHECK(email.subject == "[test] send email");
  CHECK(email.headers.at("X-Request-Id") == "req-9");
  CHECK(email.headers.at("X-Job-Id") == "jid-1");
  CHECK(email.html_body.find("mail test") != std::string::npos);
}

TEST_CASE(
    "An smtp stage's email carries X-Request-Start and X-Fib-Timing with the stages before it",
    "[stages]") {
  fib::Profile profile = ProfileFrom(
      "job_class = \"W\"\n[[job]]\nname = \"nap time\"\nkind = \"io\"\nms = 5\n"
      "[[job]]\nname = \"send email\"\nkind = \"smtp\"\n");
  RecordingMailer mailer;
  fib::JobContext context{"jid-1", "req-9", &mailer, nullptr, {}};
  context.timing.request_start_us = 1700000000123456;
  context.timing.enqueued_us = 1700000000124000;
  context.timing.perform_us = 1700000000125000;
  REQUIRE(fib::ProfileJob(profile).Perform({"ada@example.com"}, context).ok());
  REQUIRE(mailer.sent.size() == 1);
  const fib::Email& email = mailer.sent[0];
  CHECK(email.headers.at("X-Request-Start") == "1700000000123");
  auto timing = fib::ParseFibTiming(email.headers.at("X-Fib-Timing"));
  REQUIRE(timing.ok());
  CHECK(timing->request_start_us == 1700000000123456);
  CHECK(timing->enqueued_us == 1700000000124000);
  CHECK(timing->fetched_us == 0);  // not stamped: left out, reported as missing
  REQUIRE(timing->stages.size() == 1);
  CHECK(timing->stages[0].first == "nap time");
  CHECK(timing->stages[0].second >= 5000);
  CHECK(timing->smtp_start_us > timing->perform_us);
}

TEST_CASE("An smtp stage without a string recipient mails the default user", "[stages]") {
  fib::Profile profile = ProfileFrom(kMailProfile);
  RecordingMailer mailer;
  fib::JobContext context{"", "", &mailer, nullptr, {}};
  REQUIRE(fib::ProfileJob(profile).Perform(nlohmann::json::array({7}), context).ok());
  REQUIRE(mailer.sent.size() == 1);
  CHECK(mailer.sent[0].to == "user@example.com");
  CHECK(mailer.sent[0].headers.count("X-Request-Id") == 0);
}

TEST_CASE("Stage failures are SmtpError or ArgumentError and stop the job", "[stages]") {
  fib::Profile profile =
      ProfileFrom(std::string(kMailProfile) + "[[job]]\nname = \"after\"\nkind = \"smtp\"\n");
  RecordingMailer mailer;
  mailer.fail_with = "smtp://127.0.0.1:1: connection refused";
  fib::JobContext context{"", "", &mailer, nullptr, {}};
  fib::JobStatus failed = fib::ProfileJob(profile).Perform(nlohmann::json::array(), context);
  CHECK(failed.error_class() == fib::kSmtpError);
  CHECK(failed.message().find("stage 'send email' of profile 'test'") != std::string::npos);
  CHECK(failed.message().find("connection refused") != std::string::npos);
  CHECK(mailer.sent.size() == 1);  // the second smtp stage never ran
  fib::JobStatus bad_address = fib::ProfileJob(profile).Perform({"not an email"}, context);
  CHECK(bad_address.error_class() == fib::kArgumentError);
  fib::JobStatus no_mailer = fib::ProfileJob(profile).Perform(nlohmann::json::array(), {});
  CHECK(no_mailer.error_class() == fib::kSmtpError);
  CHECK(no_mailer.message().find("no mailer configured") != std::string::npos);
  fib::Status web = fib::RunRequestStages(profile, fib::StagePhase::kJob, context);
  CHECK(web.message().rfind("SmtpError: stage 'send email'", 0) == 0);
}

TEST_CASE("An exponential io stage sleeps its seeded draws, which vary", "[stages]") {
  const std::string text =
      "job_class = \"W\"\nseed = 11\n[[job]]\nname = \"db\"\nkind = \"io\"\n"
      "distribution = \"exponential\"\nms = 10\n";
  fib::Profile profile = ProfileFrom(text);
  fib::Profile replay = ProfileFrom(text);  // the same seed: the same draws, to compare with
  int64_t shortest_us = INT64_MAX, longest_us = 0;
  for (int i = 0; i < 20; ++i) {
    fib::StageTiming timing;
    REQUIRE(fib::StageRunner(profile).Run(profile.job[0], {}, {}, &timing).ok());
    auto drawn_us = static_cast<int64_t>(replay.job[0].sampler->DrawMs() * 1000);
    CHECK(timing.wall_us >= drawn_us);          // it slept at least its draw ...
    CHECK(timing.wall_us < drawn_us + 100000);  // ... and not wildly more (a busy machine)
    shortest_us = std::min(shortest_us, timing.wall_us);
    longest_us = std::max(longest_us, timing.wall_us);
  }
  CHECK(longest_us - shortest_us > 10000);  // 20 exponential draws of mean 10 ms spread widely
}
