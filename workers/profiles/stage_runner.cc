#include "workers/profiles/stage_runner.h"

#include <fmt/format.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include "common/clock.h"
#include "common/smtp/mailer.h"
#include "common/text.h"
#include "workers/jobs/sequence_email_job.h"
#include "workers/jobs/trace_headers.h"
#include "workers/profiles/stage_sampler.h"

namespace fib {

namespace {

// Keeps BurnCpu's arithmetic observable so the optimiser cannot delete the loop.
std::atomic<uint64_t> burn_sink{0};

int64_t MonotonicMicros(const JobContext& context) {
  const Clock* clock = context.clock ? context.clock : SystemClock::Default();
  return clock->MonotonicMicros();
}

// Returns the stage's duration for this run: its ms, or the next draw of its sampler.
int64_t DurationMicros(const Stage& stage) {
  if (!stage.sampler) return static_cast<int64_t>(stage.ms) * 1000;
  return std::max<int64_t>(0, std::llround(stage.sampler->DrawMs() * 1000));
}

}  // namespace

int64_t ThreadCpuMicros() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

uint64_t BurnCpu(int64_t cpu_us) {
  int64_t deadline_us = ThreadCpuMicros() + cpu_us;
  uint64_t x = 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(cpu_us);
  while (ThreadCpuMicros() < deadline_us) {
    // A few microseconds of xorshift-multiply between clock reads keeps the reads' cost small.
    for (int i = 0; i < 2000; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      x *= 0x2545F4914F6CDD1Dull;
    }
  }
  burn_sink.fetch_add(x, std::memory_order_relaxed);
  return x;
}

Result<std::string> RecipientFromArgs(const nlohmann::json& args) {
  if (!args.is_array() || args.empty() || !args[0].is_string()) {
    return std::string(kDefaultRecipient);
  }
  std::string recipient = args[0].get<std::string>();
  std::string problem = CheckEmailAddress(recipient);
  if (!problem.empty()) {
    return Status::Error(fmt::format("recipient (argument 1) '{}': {}", recipient, problem));
  }
  return recipient;
}

Email StageRunner::StageEmail(const Stage& stage, const std::string& recipient,
                              const JobContext& context) const {
  Email email;
  email.from = kStageSender;
  email.to = recipient;
  email.subject = fmt::format("[{}] {}", profile_.name, stage.name);
  email.html_body = fmt::format(
      "<!DOCTYPE html>\n<html>\n<body>\n<h1>{}</h1>\n<p>Stage '{}' of profile '{}' ({}).</p>\n"
      "<p>Request {} &middot; job {}</p>\n</body>\n</html>\n",
      HtmlEscape(stage.name), HtmlEscape(stage.name), HtmlEscape(profile_.name),
      HtmlEscape(profile_.description),
      HtmlEscape(context.request_id.empty() ? "-" : context.request_id),
      HtmlEscape(context.jid.empty() ? "-" : context.jid));
  AddTraceHeaders(context, &email);
  email.headers["X-Fib-Profile"] = profile_.name;
  return email;
}

JobStatus StageRunner::Run(const Stage& stage, const nlohmann::json& args,
                           const JobContext& context, StageTiming* timing) const {
  int64_t start_us = MonotonicMicros(context);
  int64_t start_cpu_us = ThreadCpuMicros();
  JobStatus status = JobStatus::Ok();
  switch (stage.kind) {
    case StageKind::kCpu:
      BurnCpu(DurationMicros(stage));
      break;
    case StageKind::kIo:
      std::this_thread::sleep_for(std::chrono::microseconds(DurationMicros(stage)));
      break;
    case StageKind::kSmtp: {
      Result<std::string> recipient = RecipientFromArgs(args);
      if (!recipient.ok()) {
        status = JobStatus::Fail(kArgumentError, recipient.message());
      } else if (!context.mailer) {
        status = JobStatus::Fail(kSmtpError, fmt::format("stage '{}' of profile '{}': no mailer "
                                                         "configured (set SMTP_URL)",
                                                         stage.name, profile_.name));
      } else if (Status sent = context.mailer->Send(StageEmail(stage, *recipient, context));
                 !sent.ok()) {
        status =
            JobStatus::Fail(kSmtpError, fmt::format("stage '{}' of profile '{}': {}", stage.name,
                                                    profile_.name, sent.message()));
      }
      break;
    }
  }
  if (timing) {
    *timing = StageTiming{stage.name, stage.kind, MonotonicMicros(context) - start_us,
                          ThreadCpuMicros() - start_cpu_us};
  }
  return status;
}

JobStatus StageRunner::RunPhase(StagePhase phase, const nlohmann::json& args,
                                const JobContext& context,
                                std::vector<StageTiming>* timings) const {
  // Each stage sees the ones before it in its context, so an smtp stage's X-Fib-Timing lists them.
  JobContext staged = context;
  for (const Stage& stage : profile_.Stages(phase)) {
    StageTiming timing;
    JobStatus status = Run(stage, args, staged, &timing);
    staged.timing.stages.emplace_back(stage.name, timing.wall_us);
    if (timings) timings->push_back(std::move(timing));
    if (!status.ok()) return status;
  }
  return JobStatus::Ok();
}

Status RunRequestStages(const Profile& profile, StagePhase phase, const JobContext& context,
                        std::vector<StageTiming>* timings) {
  return ToStatus(StageRunner(profile).RunPhase(phase, nlohmann::json::array(), context, timings));
}

Status ToStatus(const JobStatus& status) {
  if (status.ok()) return Status::Ok();
  return Status::Error(status.error_class() + ": " + status.message());
}

}  // namespace fib
