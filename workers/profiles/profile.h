// Profile: a request/job shape as data (a TOML file in bench/profiles/, format in
// docs/profiles.md): the stages the web request runs before and after the job point, and either
// the job's own stages or the name of a C++ job type that does the job.
// Thread-safety: Profile is an immutable value once loaded, apart from each variable stage's
// StageSampler (shared by copies, internally locked); the functions are thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace fib {

// cpu burns CPU time on the calling thread; io waits (sleeps); smtp sends a real email.
enum class StageKind { kCpu, kIo, kSmtp };
// Where a stage runs: in the web request before the job point, in the job, or after the job point.
enum class StagePhase { kRequest, kJob, kResponse };

// How a cpu or io stage's duration varies from run to run (docs/profiles.md, "Variable stage
// times"): fixed (ms, or ms ± a uniform jitter), exponential (mean ms), log-normal (p50, p99).
enum class StageDistribution { kFixed, kExponential, kLogNormal };

class StageSampler;  // workers/profiles/stage_sampler.h: a stage's seeded stream of draws

// Returns "cpu", "io" or "smtp".
const char* StageKindName(StageKind kind);
// Returns "fixed", "exponential" or "lognormal" (the TOML values).
const char* StageDistributionName(StageDistribution distribution);
// Returns "request", "job" or "response" (the TOML array names).
const char* StagePhaseName(StagePhase phase);

struct Stage {
  std::string name;  // shown in logs, email subjects and Server-Timing
  StageKind kind = StageKind::kIo;
  StageDistribution distribution = StageDistribution::kFixed;  // cpu/io; smtp: kFixed
  // cpu: CPU time to burn; io: time to sleep; smtp: unused (the sink's delay). For a variable
  // stage: exponential, its mean; lognormal, its median (= p50_ms).
  int ms = 0;
  int jitter_ms = 0;  // fixed cpu/io: the duration varies uniformly by ± this much (never below 0)
  int p99_ms = 0;     // lognormal: the 99th percentile (p50 is `ms`)
  int max_ms = 0;     // exponential/lognormal: no draw exceeds this (the cap); 0 for fixed
  std::optional<int64_t> seed;  // the stage's own `seed` key, when given
  // Draws this stage's durations; null when the duration is fixed (no jitter). Shared by copies
  // of the Profile, so they draw from one stream (stage_sampler.h states the guarantee).
  // ParseProfile sets it and max_ms; a Stage built by hand without a sampler always lasts ms.
  std::shared_ptr<StageSampler> sampler;
  int line = 0;  // where the stage starts in its file, for messages
};

struct Profile {
  std::string name;             // the file's stem ("lesson" for lesson.toml)
  std::string description;      // one line for --help and reports
  std::string job_class;        // Sidekiq class the job is registered and enqueued under
  int mail_delay_ms = 0;        // the mail sink --delay-ms this profile assumes (what smtp costs)
  std::optional<int64_t> seed;  // top-level `seed`: seeds every variable stage without its own
  // The job's args as the web builds them from the form: strings "{email}" and
  // "{sequence_length}" are replaced; empty = ["{email}", "{sequence_length}"].
  nlohmann::json args = nlohmann::json::array();
  std::vector<Stage> request;   // [[request]]: before the job point
  std::vector<Stage> job;       // [[job]]: the job (empty: job_class is an existing C++ job)
  std::vector<Stage> response;  // [[response]]: after the job point
  std::string source_path;      // the file it was loaded from ("" when parsed from text)

  const std::vector<Stage>& Stages(StagePhase phase) const;
  // Returns true when the profile defines the job ([[job]] stages) rather than naming a C++ job.
  bool DefinesJob() const { return !job.empty(); }
  // Returns the intended duration of one stage, for diagrams and nominal totals: ms for cpu/io
  // (for a variable stage: the exponential's mean, the log-normal's median), mail_delay_ms for
  // smtp. Queueing formulas want MeanMs and VarianceMs2 instead.
  int NominalMs(const Stage& stage) const;
  // Returns the sum of NominalMs over one phase (0 for kJob when the job is a C++ class).
  int NominalMs(StagePhase phase) const;
  // Returns the theoretical mean (E[S], ms) and variance (Var[S], ms²) of one stage's duration
  // as drawn, the cap included. smtp counts as mail_delay_ms with variance 0. cpu stages are
  // CPU time: their wall time grows when threads compete for cores.
  double MeanMs(const Stage& stage) const;
  double VarianceMs2(const Stage& stage) const;
  // Returns the sums over one phase (the stages draw independently, so variances add); 0 for
  // kJob when the job is a C++ class. SquaredCv = VarianceMs2 / MeanMs² (0 when the mean is 0).
  double MeanMs(StagePhase phase) const;
  double VarianceMs2(StagePhase phase) const;
  double SquaredCv(StagePhase phase) const;
};

// Returns the job args the web dispatches for a valid form: `args_template` (Profile::args) with
// "{email}" and "{sequence_length}" replaced; an empty template gives [email, sequence_length].
nlohmann::json JobArgs(const nlohmann::json& args_template, const std::string& email,
                       int sequence_length);

// Parses a profile from TOML text. `source_name` names the text in messages (a path or
// "<string>"); the profile's name is the stem of source_name unless the text sets `name`.
// Errors read "<source>:<line>:<column>: <what is wrong>".
Result<Profile> ParseProfile(std::string_view toml_text, const std::string& source_name);

// Loads a profile. A bare name ("lesson") means <profiles_dir>/<name>.toml; anything with a '/'
// or ending in ".toml" is a path. An unknown name's error lists the available profiles.
Result<Profile> LoadProfile(const std::string& path_or_name, const std::string& profiles_dir);

// Returns the names (file stems, sorted) of the *.toml files in `dir`; empty if none or no dir.
std::vector<std::string> ListProfiles(const std::string& dir);

// Loads every profile in `dir`, sorted by name. Fails on the first malformed one, or when two
// profiles define [[job]] stages under the same job_class.
Result<std::vector<Profile>> LoadAllProfiles(const std::string& dir);

}  // namespace fib
