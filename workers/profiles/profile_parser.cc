// ParseProfile (declared in profile.h): reads a profile's TOML and checks every key and value,
// with errors that name file, line, column and key (docs/profiles.md).
#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "workers/profiles/profile.h"
#include "workers/profiles/stage_sampler.h"

namespace fib {

namespace {

namespace fs = std::filesystem;

// A stage longer than this is almost certainly a unit mistake (µs or s written as ms).
constexpr int64_t kMaxStageMs = 600000;
constexpr size_t kMaxStageNameLength = 80;

const std::vector<std::string> kTopLevelKeys = {"name",          "description", "job_class",
                                                "mail_delay_ms", "seed",        "args",
                                                "request",       "job",         "response"};
const char kTop[] = "at the top of the profile";
const std::vector<std::string> kStageKeys = {"name",   "kind",   "distribution", "ms",  "jitter_ms",
                                             "p50_ms", "p99_ms", "max_ms",       "seed"};
// The duration keys each distribution takes; the others are mistakes, not silently ignored.
const std::map<std::string, std::pair<StageDistribution, std::vector<std::string>>> kDistributions =
    {{"fixed", {StageDistribution::kFixed, {"ms", "jitter_ms", "seed"}}},
     {"exponential", {StageDistribution::kExponential, {"ms", "max_ms", "seed"}}},
     {"lognormal", {StageDistribution::kLogNormal, {"p50_ms", "p99_ms", "max_ms", "seed"}}}};
const char* const kDurationKeys[] = {"distribution", "ms",     "jitter_ms", "p50_ms",
                                     "p99_ms",       "max_ms", "seed"};

std::string TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    default:
      return "a date or time";
  }
}

// Returns the edit distance between two short strings (for "did you mean" on typos).
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string UnknownKeyMessage(const std::string& key, const std::vector<std::string>& known,
                              const std::string& where) {
  std::string message = fmt::format("unknown key '{}' {}", key, where);
  // Suggest the closest known key when it is close relative to the key's length.
  const std::string* best = nullptr;
  size_t best_distance = std::max<size_t>(2, key.size() / 3) + 1;
  for (const auto& candidate : known) {
    size_t distance = EditDistance(key, candidate);
    if (distance < best_distance && distance < key.size()) {
      best = &candidate;
      best_distance = distance;
    }
  }
  if (best) message += fmt::format(" (did you mean '{}'?)", *best);
  return message + fmt::format("; known keys: {}", fmt::join(known, ", "));
}

// Builds messages that start with "<file>:<line>:<column>: ".
class ProfileParser {
 public:
  explicit ProfileParser(std::string source_name) : source_name_(std::move(source_name)) {}

  Status Error(const toml::source_region& where, const std::string& what) const {
    return Status::Error(
        fmt::format("{}:{}:{}: {}", source_name_, where.begin.line, where.begin.column, what));
  }

  // For problems that have no line, such as a missing key.
  Status FileError(const std::string& what) const {
    return Status::Error(fmt::format("{}: {}", source_name_, what));
  }

  Status CheckKeys(const toml::table& table, const std::vector<std::string>& known,
                   const std::string& where) const {
    for (const auto& [key, node] : table) {
      if (std::find(known.begin(), known.end(), key.str()) == known.end()) {
        return Error(key.source(), UnknownKeyMessage(std::string(key.str()), known, where));
      }
    }
    return Status::Ok();
  }

  // Reads an optional string; `*out` keeps its value when the key is absent.
  Status String(const toml::table& table, const std::string& key, const std::string& where,
                std::string* out) const {
    const toml::node* node = table.get(key);
    if (!node) return Status::Ok();
    if (!node->is_string()) {
      return Error(node->source(),
                   fmt::format("'{}' {} must be a string, got {}", key, where, TypeName(*node)));
    }
    *out = node->as_string()->get();
    return Status::Ok();
  }

  // Reads an optional whole number of milliseconds in [0, kMaxStageMs].
  Status Millis(const toml::table& table, const std::string& key, const std::string& where,
                std::optional<int>* out) const {
    const toml::node* node = table.get(key);
    if (!node) return Status::Ok();
    if (!node->is_integer()) {
      return Error(node->source(),
                   fmt::format("'{}' {} must be a whole number of milliseconds, got {}", key, where,
                               TypeName(*node)));
    }
    int64_t value = node->as_integer()->get();
    if (value < 0 || value > kMaxStageMs) {
      return Error(node->source(),
                   fmt::format("'{}' {} must be between 0 and {} milliseconds, got {}", key, where,
                               kMaxStageMs, value));
    }
    *out = static_cast<int>(value);
    return Status::Ok();
  }

  // Reads an optional seed: a whole number in [0, 2^63).
  Status Seed(const toml::table& table, const std::string& where,
              std::optional<int64_t>* out) const {
    const toml::node* node = table.get("seed");
    if (!node) return Status::Ok();
    if (!node->is_integer() || node->as_integer()->get() < 0) {
      return Error(node->source(), fmt::format("'seed' {} must be a whole number >= 0", where));
    }
    *out = node->as_integer()->get();
    return Status::Ok();
  }

  Result<Stage> ParseStage(const toml::table& table, const std::string& where) const;
  Status ParseStageTime(const toml::table& table, const std::string& where, const std::string& kind,
                        Stage* stage) const;
  Status CheckFixedTime(const toml::table& table, const std::string& where, const std::string& kind,
                        const Stage& stage) const;
  Status CheckVariableTime(const toml::table& table, const std::string& where,
                           const std::string& kind, Stage* stage) const;
  // A cpu/io stage without a key its distribution needs: "<where> (<kind> stage) has no ...".
  Status Missing(const toml::table& table, const std::string& where, const std::string& kind,
                 const char* key, const char* what) const {
    return Error(table.source(),
                 fmt::format("{} ({} stage) has no '{}' ({})", where, kind, key, what));
  }
  Status ParsePhase(const toml::table& root, StagePhase phase, std::vector<Stage>* out) const;
  Result<Profile> ParseRoot(const toml::table& root, const std::string& default_name) const;

 private:
  std::string source_name_;
};

Status CheckStageName(const std::string& name) {
  if (name.empty()) return Status::Error("'name' must not be empty");
  if (name.size() > kMaxStageNameLength) {
    return Status::Error(fmt::format("'name' is longer than {} characters", kMaxStageNameLength));
  }
  for (unsigned char c : name) {
    // Stage names go into email subjects and HTTP headers: no control characters.
    if (c < 0x20 || c == 0x7f) return Status::Error("'name' may not contain control characters");
  }
  return Status::Ok();
}

Result<Stage> ProfileParser::ParseStage(const toml::table& table, const std::string& where) const {
  Stage stage;
  stage.line = static_cast<int>(table.source().begin.line);
  if (Status s = CheckKeys(table, kStageKeys, "in " + where); !s.ok()) return s;
  if (!table.contains("name")) return Error(table.source(), where + " has no 'name'");
  if (!table.contains("kind")) {
    return Error(table.source(), where + " has no 'kind' (one of cpu, io, smtp)");
  }
  if (Status s = String(table, "name", "in " + where, &stage.name); !s.ok()) return s;
  if (Status s = CheckStageName(stage.name); !s.ok()) {
    return Error(table.get("name")->source(), s.message() + " in " + where);
  }
  std::string kind;
  if (Status s = String(table, "kind", "in " + where, &kind); !s.ok()) return s;
  static const std::map<std::string, StageKind> kKinds = {
      {"cpu", StageKind::kCpu}, {"io", StageKind::kIo}, {"smtp", StageKind::kSmtp}};
  auto found = kKinds.find(kind);
  if (found == kKinds.end()) {
    return Error(table.get("kind")->source(),
                 fmt::format("unknown kind '{}' in {} (one of cpu, io, smtp)", kind, where));
  }
  stage.kind = found->second;
  if (stage.kind == StageKind::kSmtp) {
    // An smtp stage lasts as long as the mail sink makes it; a fixed ms would be a lie.
    for (const char* key : kDurationKeys) {
      if (const toml::node* node = table.get(key)) {
        return Error(node->source(),
                     fmt::format("'{}' is not allowed in an smtp stage ({}): its duration is "
                                 "the mail sink's delay; set mail_delay_ms at the top instead",
                                 key, where));
      }
    }
    return stage;
  }
  if (Status s = ParseStageTime(table, where, kind, &stage); !s.ok()) return s;
  return stage;
}

Status ProfileParser::ParseStageTime(const toml::table& table, const std::string& where,
                                     const std::string& kind, Stage* stage) const {
  std::string distribution = "fixed";
  if (Status s = String(table, "distribution", "in " + where, &distribution); !s.ok()) return s;
  auto found = kDistributions.find(distribution);
  if (found == kDistributions.end()) {
    return Error(table.get("distribution")->source(),
                 fmt::format("unknown distribution '{}' in {} (one of fixed, exponential, "
                             "lognormal)",
                             distribution, where));
  }
  stage->distribution = found->second.first;
  const std::vector<std::string>& allowed = found->second.second;
  for (const char* key : kDurationKeys) {
    const toml::node* node = table.get(key);
    if (node && key != std::string("distribution") &&
        std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return Error(node->source(),
                   fmt::format("'{}' is not allowed with distribution = \"{}\" in {}; it takes {}",
                               key, distribution, where, fmt::join(allowed, ", ")));
    }
  }
  std::optional<int> ms, jitter_ms, p50_ms, p99_ms, max_ms;
  for (auto [key, out] :
       {std::pair{"ms", &ms}, std::pair{"jitter_ms", &jitter_ms}, std::pair{"p50_ms", &p50_ms},
        std::pair{"p99_ms", &p99_ms}, std::pair{"max_ms", &max_ms}}) {
    if (Status s = Millis(table, key, "in " + where, out); !s.ok()) return s;
  }
  if (Status s = Seed(table, "in " + where, &stage->seed); !s.ok()) return s;
  stage->ms =
      stage->distribution == StageDistribution::kLogNormal ? p50_ms.value_or(0) : ms.value_or(0);
  stage->jitter_ms = jitter_ms.value_or(0);
  stage->p99_ms = p99_ms.value_or(0);
  stage->max_ms = max_ms.value_or(0);
  if (stage->distribution == StageDistribution::kFixed) {
    return CheckFixedTime(table, where, kind, *stage);
  }
  return CheckVariableTime(table, where, kind, stage);
}

// Checks a fixed stage's ms, jitter_ms and seed.
Status ProfileParser::CheckFixedTime(const toml::table& table, const std::string& where,
                                     const std::string& kind, const Stage& stage) const {
  if (!table.contains("ms")) {
    return Missing(table, where, kind, "ms", "its duration in milliseconds, e.g. ms = 100");
  }
  if (stage.jitter_ms > stage.ms) {
    return Error(table.get("jitter_ms")->source(),
                 fmt::format("'jitter_ms' ({}) in {} must not exceed its 'ms' ({})",
                             stage.jitter_ms, where, stage.ms));
  }
  if (stage.seed && stage.jitter_ms == 0) {
    return Error(table.get("seed")->source(),
                 fmt::format("'seed' in {} has nothing to seed: a fixed stage without jitter_ms "
                             "always lasts its ms",
                             where));
  }
  return Status::Ok();
}

// Checks an exponential or log-normal stage's parameters, then its cap (or sets the default).
Status ProfileParser::CheckVariableTime(const toml::table& table, const std::string& where,
                                        const std::string& kind, Stage* stage) const {
  bool lognormal = stage->distribution == StageDistribution::kLogNormal;
  const char* mean_key = lognormal ? "p50_ms" : "ms";
  if (!table.contains(mean_key)) {
    return Missing(table, where, kind, mean_key,
                   lognormal ? "the median in milliseconds"
                             : "the mean in milliseconds, e.g. "
                               "ms = 10");
  }
  if (lognormal && !table.contains("p99_ms")) {
    return Missing(table, where, kind, "p99_ms", "the 99th percentile in milliseconds");
  }
  if (stage->ms == 0) {
    return Error(table.get(mean_key)->source(), fmt::format("'{}'{} in {} must be > 0", mean_key,
                                                            lognormal ? "" : " (the mean)", where));
  }
  if (lognormal && stage->p99_ms <= stage->ms) {
    return Error(table.get("p99_ms")->source(),
                 fmt::format("'p99_ms' ({}) in {} must exceed its 'p50_ms' ({})", stage->p99_ms,
                             where, stage->ms));
  }
  // The cap: one unlucky draw must not hold a worker thread for minutes.
  if (!table.contains("max_ms")) {
    double cap = std::ceil(kDefaultCapFactor * UncappedMeanMs(*stage));
    stage->max_ms = static_cast<int>(std::min<double>(cap, kMaxStageMs));
    return Status::Ok();
  }
  int floor_ms = lognormal ? stage->p99_ms : stage->ms;
  if (stage->max_ms <= floor_ms) {
    return Error(table.get("max_ms")->source(),
                 fmt::format("'max_ms' ({}) in {} must exceed its '{}' ({}): it caps the rare "
                             "long draws of a {} stage",
                             stage->max_ms, where, lognormal ? "p99_ms" : "ms", floor_ms,
                             StageDistributionName(stage->distribution)));
  }
  return Status::Ok();
}

Status ProfileParser::ParsePhase(const toml::table& root, StagePhase phase,
                                 std::vector<Stage>* out) const {
  const std::string key = StagePhaseName(phase);
  const toml::node* node = root.get(key);
  if (!node) return Status::Ok();
  const toml::array* array = node->as_array();
  if (!array || !array->is_array_of_tables()) {
    return Error(node->source(),
                 fmt::format("'{}' must be a list of stages: write [[{}]] (two brackets) above "
                             "each stage, got {}",
                             key, key, TypeName(*node)));
  }
  for (size_t i = 0; i < array->size(); ++i) {
    std::string where = fmt::format("[[{}]] stage {}", key, i + 1);
    Result<Stage> stage = ParseStage(*array->get(i)->as_table(), where);
    if (!stage.ok()) return stage.status();
    out->push_back(std::move(*stage));
  }
  return Status::Ok();
}

std::vector<Stage>* MutableStages(Profile* profile, StagePhase phase) {
  switch (phase) {
    case StagePhase::kRequest:
      return &profile->request;
    case StagePhase::kJob:
      return &profile->job;
    case StagePhase::kResponse:
      return &profile->response;
  }
  return &profile->job;
}

// Gives each stage whose duration varies its stream of draws (stage_sampler.h).
void AttachSamplers(Profile* profile) {
  for (StagePhase phase : {StagePhase::kRequest, StagePhase::kJob, StagePhase::kResponse}) {
    std::vector<Stage>& stages = *MutableStages(profile, phase);
    for (size_t i = 0; i < stages.size(); ++i) {
      Stage& stage = stages[i];
      bool varies = stage.kind != StageKind::kSmtp &&
                    (stage.distribution != StageDistribution::kFixed || stage.jitter_ms > 0);
      if (!varies) continue;
      std::optional<int64_t> seed = stage.seed ? stage.seed : profile->seed;
      stage.sampler = std::make_shared<StageSampler>(stage, StreamSeed(seed, phase, i));
    }
  }
}

bool IsClassName(const std::string& name) {
  if (name.empty() || !std::isupper(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_' || c == ':'; });
}

Result<Profile> ProfileParser::ParseRoot(const toml::table& root,
                                         const std::string& default_name) const {
  Profile profile;
  profile.name = default_name;
  if (Status s = CheckKeys(root, kTopLevelKeys, kTop); !s.ok()) return s;
  if (Status s = String(root, "name", kTop, &profile.name); !s.ok()) return s;
  if (root.contains("name") && profile.name != default_name) {
    return Error(root.get("name")->source(),
                 fmt::format("name '{}' differs from the file name '{}.toml'; make them equal so "
                             "--profile {} finds this file",
                             profile.name, default_name, profile.name));
  }
  if (Status s = String(root, "description", kTop, &profile.description); !s.ok()) return s;
  if (!root.contains("job_class")) {
    return FileError(
        "missing 'job_class' (the Sidekiq class name the job runs under, e.g. "
        "job_class = \"LessonEmailWorker\")");
  }
  if (Status s = String(root, "job_class", kTop, &profile.job_class); !s.ok()) return s;
  if (!IsClassName(profile.job_class)) {
    return Error(root.get("job_class")->source(),
                 fmt::format("job_class '{}' is not a class name (a capital letter, then "
                             "letters, digits, _ or ::), e.g. \"WelcomeEmailWorker\"",
                             profile.job_class));
  }
  std::optional<int> mail_delay_ms;
  if (Status s = Millis(root, "mail_delay_ms", kTop, &mail_delay_ms); !s.ok()) return s;
  profile.mail_delay_ms = mail_delay_ms.value_or(0);
  if (const toml::node* args = root.get("args")) {
    const toml::array* list = args->as_array();
    if (!list)
      return Error(args->source(), "args must be an array, e.g. args = [\"{email}\", 320]");
    for (const toml::node& item : *list) {
      if (auto text = item.value<std::string>(); text && item.is_string()) {
        profile.args.push_back(*text);
      } else if (auto number = item.value<int64_t>(); number && item.is_integer()) {
        profile.args.push_back(*number);
      } else {
        return Error(item.source(), "args may hold only strings and whole numbers");
      }
    }
  }
  if (Status s = Seed(root, kTop, &profile.seed); !s.ok()) return s;
  for (StagePhase phase : {StagePhase::kRequest, StagePhase::kJob, StagePhase::kResponse}) {
    if (Status s = ParsePhase(root, phase, MutableStages(&profile, phase)); !s.ok()) return s;
  }
  AttachSamplers(&profile);
  return profile;
}

std::string Stem(const std::string& source_name) { return fs::path(source_name).stem().string(); }

}  // namespace

Result<Profile> ParseProfile(std::string_view toml_text, const std::string& source_name) {
  ProfileParser parser(source_name);
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& error) {
    return parser.Error(error.source(), fmt::format("TOML syntax error: {}", error.description()));
  }
  Result<Profile> profile = parser.ParseRoot(root, Stem(source_name));
  if (profile.ok()) profile->source_path = source_name;
  return profile;
}

}  // namespace fib
