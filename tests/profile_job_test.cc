// Integration: the lesson profile's job sends a real email through SmtpMailer to the real mail
// sink (fibtastic-mailsink with a 100 ms provider delay) — the job costs what the lesson says, and
// the email arrives with the request id that caused it.
#include "workers/profiles/profile_job.h"

#include <catch2/catch.hpp>
#include <chrono>

#include "common/smtp/smtp_mailer.h"
#include "common/text.h"
#include "tests/support/mail_sink.h"
#include "tests/support/ports.h"
#include "workers/jobs/example_jobs.h"
#include "workers/jobs/job_registry.h"
#include "workers/profiles/stage_runner.h"

namespace {

const std::string kProfilesDir = std::string(FIB_SOURCE_DIR) + "/bench/profiles";

fib::JobRegistry RegistryWithAllProfiles() {
  fib::JobRegistry registry;
  fib::RegisterBuiltinJobs(&registry);
  fib::RegisterExampleJobs(&registry);
  auto profiles = fib::LoadAllProfiles(kProfilesDir);
  REQUIRE(profiles.ok());
  REQUIRE(fib::RegisterProfileJobs(*profiles, &registry).ok());
  return registry;
}

int64_t WallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("The lesson job takes its 200 ms and its email reaches the sink", "[integration]") {
  fib::test::MailSink sink({"--delay-ms", "100"});
  fib::JobRegistry registry = RegistryWithAllProfiles();
  fib::SmtpMailer mailer(fib::SmtpMailerOptions{sink.smtp_url()});
  std::string request_id = fib::Uuid4();
  fib::JobContext context{fib::RandomHex(24), request_id, &mailer, nullptr, {}};

  int64_t start_ms = WallMillis();
  int64_t start_cpu_us = fib::ThreadCpuMicros();
  fib::JobStatus status = registry.Run("LessonEmailWorker", {"ada@example.com"}, context);
  int64_t job_ms = WallMillis() - start_ms;
  int64_t job_cpu_us = fib::ThreadCpuMicros() - start_cpu_us;
  INFO(status.error_class() << ": " << status.message() << "\nsink log:\n" << sink.Log());
  REQUIRE(status.ok());
  CHECK(job_cpu_us >= 100000);  // "generate recommendations" really computed for 100 ms
  CHECK(job_ms >= 200);         // ... and the send waited on the 100 ms provider
  CHECK(job_ms < 2000);

  nlohmann::json inbox = sink.Messages();
  INFO(inbox.dump(2));
  REQUIRE(inbox.size() == 1);
  const nlohmann::json& message = inbox[0];
  CHECK(message["subject"] == "[lesson] send email");
  CHECK(message["to"] == nlohmann::json::array({"ada@example.com"}));
  CHECK(message["from"] == fib::kStageSender);
  CHECK(message["request_id"] == request_id);  // the X-Request-Id header
  CHECK(message["job_id"] == context.jid);     // the X-Job-Id header
  CHECK(message["headers"]["X-Fib-Profile"] == "lesson");
}

TEST_CASE("The lesson job's email stage lasts as long as the slow provider", "[integration]") {
  // CPU contention can stretch the cpu stage's wall time, so the send is timed on its own.
  fib::test::MailSink sink({"--delay-ms", "100"});
  auto lesson = fib::LoadProfile("lesson", kProfilesDir);
  REQUIRE(lesson.ok());
  fib::SmtpMailer mailer(fib::SmtpMailerOptions{sink.smtp_url()});
  fib::JobContext context{"jid-2", fib::Uuid4(), &mailer, nullptr, {}};
  std::vector<fib::StageTiming> timings;
  fib::JobStatus status = fib::StageRunner(*lesson).RunPhase(fib::StagePhase::kJob,
                                                             {"bo@example.com"}, context, &timings);
  INFO(status.message());
  REQUIRE(status.ok());
  REQUIRE(timings.size() == 2);
  CHECK(timings[0].name == "generate recommendations");
  CHECK(timings[0].cpu_us >= 100000);
  CHECK(timings[1].name == "send email");
  CHECK(timings[1].wall_us >= 100000);
  CHECK(timings[1].wall_us < 1000000);
  CHECK(sink.Messages().size() == 1);
}

TEST_CASE("Request and response stages run in the web's thread and report their timings",
          "[integration]") {
  auto lesson = fib::LoadProfile("lesson", kProfilesDir);
  REQUIRE(lesson.ok());
  std::vector<fib::StageTiming> timings;
  fib::JobContext context{"", fib::Uuid4(), nullptr, nullptr, {}};
  REQUIRE(fib::RunRequestStages(*lesson, fib::StagePhase::kRequest, context, &timings).ok());
  REQUIRE(fib::RunRequestStages(*lesson, fib::StagePhase::kResponse, context, &timings).ok());
  REQUIRE(timings.size() == 2);
  CHECK(timings[0].wall_us >= 3000);
  CHECK(timings[1].cpu_us >= 20000);
}

TEST_CASE("With the mail sink down the lesson job fails with SmtpError", "[integration]") {
  fib::JobRegistry registry = RegistryWithAllProfiles();
  // A port that was free a moment ago: nothing listens there.
  fib::SmtpMailer mailer(fib::SmtpMailerOptions{
      "smtp://127.0.0.1:" + std::to_string(fib::test::FreePort()), 2000, 5000});
  fib::JobContext context{"jid", "req", &mailer, nullptr, {}};
  fib::JobStatus status = registry.Run("LessonEmailWorker", {"ada@example.com"}, context);
  CHECK(status.error_class() == fib::kSmtpError);
  CHECK(status.message().find("stage 'send email' of profile 'lesson'") != std::string::npos);
}
