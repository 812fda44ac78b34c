// Profile: a request/job shape as data (a TOML file in bench/profiles/, format in
// docs/profiles.md): the stages the web request runs before and after the job point, and either
// the job's own stages or the name of a C++ job type that does the job.
// Thread-safety: Profile is an immutable value once loaded; the functions are thread-compatible.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace fib {

// cpu burns CPU time on the calling thread; io waits (sleeps); smtp sends a real email.
enum class StageKind { kCpu, kIo, kSmtp };
// Where a stage runs: in the web request before the job point, in the job, or after the job point.
enum class StagePhase { kRequest, kJob, kResponse };

// Returns "cpu", "io" or "smtp".
const char* StageKindName(StageKind kind);
// Returns "request", "job" or "response" (the TOML array names).
const char* StagePhaseName(StagePhase phase);

struct Stage {
  std::string name;  // shown in logs, email subjects and Server-Timing
  StageKind kind = StageKind::kIo;
  int ms = 0;         // cpu: CPU time to burn; io: time to sleep; smtp: unused (the sink's delay)
  int jitter_ms = 0;  // cpu/io: the duration varies uniformly by ± this much (never below 0)
  int line = 0;       // where the stage starts in its file, for messages
};

struct Profile {
  std::string name;         // the file's stem ("lesson" for lesson.toml)
  std::string description;  // one line for --help and reports
  std::string job_class;    // Sidekiq class the job is registered and enqueued under
  int mail_delay_ms = 0;    // the mail sink --delay-ms this profile assumes (what smtp costs)
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
  // Returns the intended duration of one stage: ms for cpu/io, mail_delay_ms for smtp.
  int NominalMs(const Stage& stage) const;
  // Returns the sum of NominalMs over one phase (0 for kJob when the job is a C++ class).
  int NominalMs(StagePhase phase) const;
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
