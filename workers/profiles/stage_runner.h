// StageRunner: runs a profile's stages for real — cpu burns CPU time on the calling thread, io
// sleeps, smtp sends an email through the JobContext's Mailer — and times each one.
// Thread-safety: stateless (variable stages draw from their StageSampler, which locks); run from
// any thread at once.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/smtp/mailer.h"
#include "common/status.h"
#include "workers/jobs/job.h"
#include "workers/profiles/profile.h"

namespace fib {

// How long one stage took.
struct StageTiming {
  std::string name;
  StageKind kind = StageKind::kIo;
  int64_t wall_us = 0;  // elapsed (monotonic) time
  int64_t cpu_us = 0;   // CPU time of the calling thread during the stage
};

inline constexpr char kDefaultRecipient[] = "user@example.com";
inline constexpr char kStageSender[] = "bench@fibtastic.local";

class StageRunner {
 public:
  // REQUIRES: `profile` outlives the runner.
  explicit StageRunner(const Profile& profile) : profile_(profile) {}

  // Runs one stage; a variable cpu/io stage lasts its sampler's next draw. `args` are the job's
  // args (args[0], if a string, is the smtp recipient).
  // Returns a failure (SmtpError) when an smtp stage cannot send; cpu and io stages never fail.
  JobStatus Run(const Stage& stage, const nlohmann::json& args, const JobContext& context,
                StageTiming* timing) const;
  // Runs every stage of `phase` in order, stopping at the first failure. Appends one timing per
  // stage that ran (the failed one included) to `timings` when it is not null.
  JobStatus RunPhase(StagePhase phase, const nlohmann::json& args, const JobContext& context,
                     std::vector<StageTiming>* timings) const;

  // Returns the email an smtp stage sends (from kStageSender to the recipient, subject naming the
  // profile and stage, X-Request-Id / X-Job-Id headers from the context when set).
  Email StageEmail(const Stage& stage, const std::string& recipient,
                   const JobContext& context) const;

 private:
  const Profile& profile_;
};

// Burns `cpu_us` of the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID) doing arithmetic the
// compiler cannot remove; under contention this takes longer in wall time, like real work.
// Returns the arithmetic's result (callers may ignore it).
uint64_t BurnCpu(int64_t cpu_us);
// Returns the CPU time the calling thread has used, in microseconds.
int64_t ThreadCpuMicros();

// Returns the smtp recipient for job args: args[0] when it is a string (checked as an email
// address: a bad one is an error, never silently replaced), else kDefaultRecipient.
Result<std::string> RecipientFromArgs(const nlohmann::json& args);

// For the web: runs the profile's kRequest or kResponse stages (no args: smtp stages go to
// kDefaultRecipient). Fills `timings` (if not null) with each stage's durations for Server-Timing.
// Returns the first failure as "<ErrorClass>: <message>".
Status RunRequestStages(const Profile& profile, StagePhase phase, const JobContext& context,
                        std::vector<StageTiming>* timings = nullptr);
// Returns a job outcome as a Status: ok, or "<ErrorClass>: <message>".
Status ToStatus(const JobStatus& status);

}  // namespace fib
