#include "workers/profiles/profile.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "workers/jobs/example_jobs.h"
#include "workers/jobs/job_registry.h"
#include "workers/profiles/profile_job.h"

namespace {

const std::string kProfilesDir = std::string(FIB_SOURCE_DIR) + "/bench/profiles";

// Returns the error message of parsing `text` as the file "bad.toml" (fails if it parses).
std::string ParseError(const std::string& text) {
  fib::Result<fib::Profile> profile = fib::ParseProfile(text, "profiles/bad.toml");
  REQUIRE_FALSE(profile.ok());
  return profile.message();
}

const char kMinimal[] = "job_class = \"BadWorker\"\n";

// A folder under /tmp removed when the test ends.
struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/fib-profiles-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  void Write(const std::string& file, const std::string& text) const {
    std::ofstream(path + "/" + file) << text;
  }
  std::string path;
};

}  // namespace

TEST_CASE("The lesson profile adds up to the lesson's 223 ms, 23 ms outside the job", "[profile]") {
  auto lesson = fib::LoadProfile("lesson", kProfilesDir);
  REQUIRE(lesson.ok());
  CHECK(lesson->name == "lesson");
  CHECK(lesson->job_class == "LessonEmailWorker");
  CHECK(lesson->mail_delay_ms == 100);
  REQUIRE(lesson->request.size() == 1);
  REQUIRE(lesson->job.size() == 2);
  REQUIRE(lesson->response.size() == 1);
  CHECK(lesson->request[0].name == "load user");
  CHECK(lesson->request[0].kind == fib::StageKind::kIo);
  CHECK(lesson->job[0].kind == fib::StageKind::kCpu);
  CHECK(lesson->job[0].ms == 100);
  CHECK(lesson->job[1].kind == fib::StageKind::kSmtp);
  CHECK(lesson->response[0].kind == fib::StageKind::kCpu);
  int request_ms = lesson->NominalMs(fib::StagePhase::kRequest);
  int job_ms = lesson->NominalMs(fib::StagePhase::kJob);
  int response_ms = lesson->NominalMs(fib::StagePhase::kResponse);
  CHECK(request_ms + job_ms + response_ms == 223);
  CHECK(request_ms + response_ms == 23);
}

TEST_CASE("Every shipped profile loads, and a path works as well as a name", "[profile]") {
  std::vector<std::string> names = fib::ListProfiles(kProfilesDir);
  CHECK(names == std::vector<std::string>{"fibtastic", "lesson", "queue-exponential", "queue-fixed",
                                          "queue-lognormal", "thumbnail", "welcome"});
  auto all = fib::LoadAllProfiles(kProfilesDir);
  REQUIRE(all.ok());
  CHECK(all->size() == names.size());
  auto fibtastic = fib::LoadProfile(kProfilesDir + "/fibtastic.toml", "/nonexistent");
  REQUIRE(fibtastic.ok());
  CHECK(fibtastic->job_class == "SequenceEmailWorker");
  CHECK_FALSE(fibtastic->DefinesJob());
  auto welcome = fib::LoadProfile("welcome", kProfilesDir);
  REQUIRE(welcome.ok());
  CHECK(welcome->request.at(0).jitter_ms == 1);
  CHECK(welcome->NominalMs(fib::StagePhase::kJob) == 5 + 100);
}

TEST_CASE("An unknown profile name lists the available ones", "[profile]") {
  auto missing = fib::LoadProfile("lesons", kProfilesDir);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.message().find("unknown profile 'lesons'") != std::string::npos);
  CHECK(missing.message().find("available: fibtastic, lesson, queue-exponential, queue-fixed, "
                               "queue-lognormal, thumbnail, welcome") != std::string::npos);
  auto no_file = fib::LoadProfile("/nonexistent/x.toml", kProfilesDir);
  REQUIRE_FALSE(no_file.ok());
  CHECK(no_file.message().find("cannot read profile file '/nonexistent/x.toml'") !=
        std::string::npos);
}

TEST_CASE("A TOML syntax error names the file, line and column", "[profile]") {
  std::string message =
      ParseError("job_class = \"BadWorker\"\n\n[[job]]\nname = \"x\nkind = \"io\"\n");
  CHECK(message.rfind("profiles/bad.toml:4:", 0) == 0);
  CHECK(message.find("TOML syntax error") != std::string::npos);
}

TEST_CASE("An unknown stage kind names its line and the valid kinds", "[profile]") {
  std::string message = ParseError(std::string(kMinimal) +
                                   "[[request]]\nname = \"a\"\nkind = \"io\"\nms = 1\n"
                                   "[[job]]\nname = \"b\"\nkind = \"disk\"\nms = 3\n");
  CHECK(message.rfind("profiles/bad.toml:8:8: unknown kind 'disk' in [[job]] stage 1", 0) == 0);
  CHECK(message.find("one of cpu, io, smtp") != std::string::npos);
}

TEST_CASE("A misspelt key is an error that suggests the right one", "[profile]") {
  std::string stage_typo = ParseError(
      std::string(kMinimal) + "[[response]]\nname = \"render\"\nkind = \"cpu\"\nmss = 20\n");
  CHECK(stage_typo.rfind("profiles/bad.toml:5:1: unknown key 'mss' in [[response]] stage 1", 0) ==
        0);
  CHECK(stage_typo.find("did you mean 'ms'?") != std::string::npos);
  std::string top_typo = ParseError("job_class = \"BadWorker\"\nmail_delay = 100\n");
  CHECK(top_typo.rfind("profiles/bad.toml:2:1: unknown key 'mail_delay' at the top", 0) == 0);
  CHECK(top_typo.find("did you mean 'mail_delay_ms'?") != std::string::npos);
}

TEST_CASE("Missing, negative or fractional durations are errors with their line", "[profile]") {
  std::string missing =
      ParseError(std::string(kMinimal) + "\n[[job]]\nname = \"think\"\nkind = \"cpu\"\n");
  CHECK(missing.rfind("profiles/bad.toml:3:", 0) == 0);
  CHECK(missing.find("[[job]] stage 1 (cpu stage) has no 'ms'") != std::string::npos);
  std::string negative =
      ParseError(std::string(kMinimal) + "[[job]]\nname = \"think\"\nkind = \"cpu\"\nms = -5\n");
  CHECK(negative.rfind("profiles/bad.toml:5:6: 'ms' in [[job]] stage 1 must be between 0 and", 0) ==
        0);
  CHECK(negative.find("got -5") != std::string::npos);
  std::string fraction =
      ParseError(std::string(kMinimal) + "[[job]]\nname = \"think\"\nkind = \"io\"\nms = 2.5\n");
  CHECK(fraction.find("must be a whole number of milliseconds, got a floating-point number") !=
        std::string::npos);
  std::string jitter = ParseError(std::string(kMinimal) +
                                  "[[job]]\nname = \"t\"\nkind = \"io\"\nms = 2\njitter_ms = 3\n");
  CHECK(jitter.find("'jitter_ms' (3) in [[job]] stage 1 must not exceed its 'ms' (2)") !=
        std::string::npos);
}

TEST_CASE("Structural mistakes are explained", "[profile]") {
  CHECK(ParseError("description = \"x\"\n").find("profiles/bad.toml: missing 'job_class'") == 0);
  CHECK(ParseError("job_class = \"lower_case\"\n").find("is not a class name") !=
        std::string::npos);
  CHECK(ParseError(std::string(kMinimal) + "[job]\nname = \"x\"\n")
            .find("write [[job]] (two brackets)") != std::string::npos);
  CHECK(ParseError(std::string(kMinimal) + "[[job]]\nname = \"mail\"\nkind = \"smtp\"\nms = 100\n")
            .find("'ms' is not allowed in an smtp stage") != std::string::npos);
  CHECK(ParseError(std::string(kMinimal) + "[[job]]\nkind = \"io\"\nms = 1\n")
            .find("[[job]] stage 1 has no 'name'") != std::string::npos);
  CHECK(ParseError("name = \"other\"\n" + std::string(kMinimal))
            .find("name 'other' differs from the file name 'bad.toml'") != std::string::npos);
}

TEST_CASE("A malformed file in a profiles folder fails LoadAllProfiles with its path",
          "[profile]") {
  TempDir dir;
  dir.Write("good.toml",
            "job_class = \"GoodWorker\"\n[[job]]\nname = \"x\"\nkind = \"io\"\nms = 1\n");
  dir.Write("typo.toml", "job_class = \"TypoWorker\"\njob_clas = \"Oops\"\n");
  auto all = fib::LoadAllProfiles(dir.path);
  REQUIRE_FALSE(all.ok());
  CHECK(all.message().rfind(dir.path + "/typo.toml:2:1: unknown key 'job_clas'", 0) == 0);
  dir.Write("typo.toml",
            "job_class = \"GoodWorker\"\n[[job]]\nname = \"y\"\nkind = \"io\"\nms = 1\n");
  auto twice = fib::LoadAllProfiles(dir.path);
  REQUIRE_FALSE(twice.ok());
  CHECK(twice.message().find("both define [[job]] stages for job_class 'GoodWorker'") !=
        std::string::npos);
}

TEST_CASE("RegisterProfileJobs adds profile-defined jobs and leaves C++ jobs alone", "[profile]") {
  auto profiles = fib::LoadAllProfiles(kProfilesDir);
  REQUIRE(profiles.ok());
  fib::JobRegistry registry;
  fib::RegisterBuiltinJobs(&registry);
  fib::RegisterExampleJobs(&registry);
  const fib::Job* sequence_job = registry.Find("SequenceEmailWorker");
  REQUIRE(fib::RegisterProfileJobs(*profiles, &registry).ok());
  CHECK(registry.Names() == std::vector<std::string>{"LessonEmailWorker", "NoopWorker",
                                                     "QueueExponentialWorker", "QueueFixedWorker",
                                                     "QueueLognormalWorker", "SequenceEmailWorker",
                                                     "ThumbnailWorker", "WelcomeEmailWorker"});
  CHECK(registry.Find("SequenceEmailWorker") == sequence_job);  // fibtastic added nothing
  auto* lesson = dynamic_cast<const fib::ProfileJob*>(registry.Find("LessonEmailWorker"));
  REQUIRE(lesson != nullptr);
  CHECK(lesson->profile().name == "lesson");
}

TEST_CASE("RegisterProfileJobs refuses a missing C++ job and a clash with one", "[profile]") {
  auto profiles = fib::LoadAllProfiles(kProfilesDir);
  REQUIRE(profiles.ok());
  fib::JobRegistry empty;
  fib::Status missing = fib::RegisterProfileJobs(*profiles, &empty);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.message().find("names job_class 'SequenceEmailWorker' but has no [[job]] stages") !=
        std::string::npos);
  fib::JobRegistry registry;
  fib::RegisterBuiltinJobs(&registry);
  auto clash = fib::ParseProfile(
      "job_class = \"NoopWorker\"\n[[job]]\nname = \"x\"\nkind = \"io\"\nms = 1\n", "clash.toml");
  REQUIRE(clash.ok());
  fib::Status taken = fib::RegisterProfileJobs({*clash}, &registry);
  REQUIRE_FALSE(taken.ok());
  CHECK(taken.message().find("'NoopWorker', but a job type of that name is already registered") !=
        std::string::npos);
}

TEST_CASE("A profile's args template fills in the form's values", "[profile]") {
  auto profile = fib::ParseProfile(
      "job_class = \"ThumbnailWorker\"\nargs = [320, 240, \"{sequence_length}\", \"{email}\"]\n",
      "thumb.toml");
  REQUIRE(profile.ok());
  CHECK(fib::JobArgs(profile->args, "a@example.com", 7) ==
        nlohmann::json::array({320, 240, 7, "a@example.com"}));
  CHECK(fib::JobArgs(nlohmann::json::array(), "a@example.com", 7) ==
        nlohmann::json::array({"a@example.com", 7}));
  auto bad = fib::ParseProfile("job_class = \"X\"\nargs = [1.5]\n", "bad.toml");
  REQUIRE(!bad.ok());
  CHECK(bad.message().find("bad.toml:2:") == 0);
  CHECK(bad.message().find("only strings and whole numbers") != std::string::npos);
}

TEST_CASE("Variable stage times parse, with their mean, variance and cap", "[profile]") {
  auto profile = fib::ParseProfile(
      "job_class = \"W\"\nseed = 9\nmail_delay_ms = 5\n"
      "[[job]]\nname = \"e\"\nkind = \"io\"\ndistribution = \"exponential\"\nms = 10\n"
      "[[job]]\nname = \"l\"\nkind = \"cpu\"\ndistribution = \"lognormal\"\np50_ms = 8\n"
      "p99_ms = 40\nmax_ms = 500\nseed = 3\n"
      "[[job]]\nname = \"f\"\nkind = \"io\"\ndistribution = \"fixed\"\nms = 4\n"
      "[[job]]\nname = \"mail\"\nkind = \"smtp\"\n",
      "variable.toml");
  INFO(profile.message());
  REQUIRE(profile.ok());
  CHECK(profile->seed == 9);
  const fib::Stage& exponential = profile->job[0];
  CHECK(exponential.distribution == fib::StageDistribution::kExponential);
  CHECK(exponential.max_ms == 1000);
  CHECK_FALSE(exponential.seed.has_value());
  const fib::Stage& lognormal = profile->job[1];
  CHECK(lognormal.distribution == fib::StageDistribution::kLogNormal);
  CHECK(lognormal.ms == 8);  // the median: what NominalMs shows
  CHECK(lognormal.p99_ms == 40);
  CHECK(lognormal.max_ms == 500);
  CHECK(lognormal.seed == 3);
  CHECK(profile->job[2].sampler == nullptr);
  CHECK(profile->NominalMs(fib::StagePhase::kJob) == 10 + 8 + 4 + 5);
  // E[S]: 10 + 8·e^(σ²/2) + 4 + 5 with σ = ln 5 / 2.326; Var[S]: 100 + the log-normal's.
  double sigma = std::log(5.0) / 2.3263478740;
  double lognormal_mean = 8 * std::exp(sigma * sigma / 2);
  double lognormal_variance = (std::exp(sigma * sigma) - 1) * lognormal_mean * lognormal_mean;
  CHECK(profile->MeanMs(fib::StagePhase::kJob) == Approx(10 + lognormal_mean + 4 + 5));
  CHECK(profile->VarianceMs2(fib::StagePhase::kJob) ==
        Approx(100 + lognormal_variance).epsilon(1e-4));
  CHECK(profile->MeanMs(profile->job[3]) == 5);
  CHECK(profile->VarianceMs2(profile->job[3]) == 0);
  CHECK(profile->SquaredCv(fib::StagePhase::kJob) ==
        Approx(profile->VarianceMs2(fib::StagePhase::kJob) /
               std::pow(profile->MeanMs(fib::StagePhase::kJob), 2)));
}

TEST_CASE("Bad variable stage times are errors naming the line, column and key", "[profile]") {
  const std::string stage = std::string(kMinimal) + "[[job]]\nname = \"t\"\nkind = \"io\"\n";
  std::string unknown = ParseError(stage + "distribution = \"gamma\"\nms = 3\n");
  CHECK(unknown.rfind("profiles/bad.toml:5:16: unknown distribution 'gamma' in [[job]] stage 1",
                      0) == 0);
  CHECK(unknown.find("(one of fixed, exponential, lognormal)") != std::string::npos);
  std::string order =
      ParseError(stage + "distribution = \"lognormal\"\np50_ms = 50\np99_ms = 40\n");
  CHECK(order.rfind("profiles/bad.toml:7:10: 'p99_ms' (40) in [[job]] stage 1 must exceed its "
                    "'p50_ms' (50)",
                    0) == 0);
  std::string zero = ParseError(stage + "distribution = \"lognormal\"\np50_ms = 0\np99_ms = 40\n");
  CHECK(zero.rfind("profiles/bad.toml:6:10: 'p50_ms' in [[job]] stage 1 must be > 0", 0) == 0);
  std::string no_p99 = ParseError(stage + "distribution = \"lognormal\"\np50_ms = 8\n");
  CHECK(no_p99.find("[[job]] stage 1 (io stage) has no 'p99_ms'") != std::string::npos);
  std::string wrong_key = ParseError(stage + "distribution = \"lognormal\"\nms = 8\np99_ms = 9\n");
  CHECK(wrong_key.rfind("profiles/bad.toml:6:6: 'ms' is not allowed with distribution = "
                        "\"lognormal\" in [[job]] stage 1; it takes p50_ms, p99_ms, max_ms, seed",
                        0) == 0);
  std::string jitter =
      ParseError(stage + "distribution = \"exponential\"\nms = 8\njitter_ms = 1\n");
  CHECK(jitter.find("'jitter_ms' is not allowed with distribution = \"exponential\"") !=
        std::string::npos);
  CHECK(ParseError(stage + "ms = 8\nmax_ms = 100\n")
            .find("'max_ms' is not allowed with distribution = \"fixed\"") != std::string::npos);
  CHECK(ParseError(stage + "distribution = \"exponential\"\nms = 0\n")
            .find("'ms' (the mean) in [[job]] stage 1 must be > 0") != std::string::npos);
  CHECK(ParseError(stage + "distribution = \"exponential\"\nms = 10\nmax_ms = 10\n")
            .find("'max_ms' (10) in [[job]] stage 1 must exceed its 'ms' (10)") !=
        std::string::npos);
  CHECK(ParseError(stage + "distribution = \"lognormal\"\np50_ms = 8\np99_ms = 40\nmax_ms = 30\n")
            .find("'max_ms' (30) in [[job]] stage 1 must exceed its 'p99_ms' (40)") !=
        std::string::npos);
  CHECK(ParseError(stage + "ms = 8\nseed = 1\n")
            .find("'seed' in [[job]] stage 1 has nothing to seed") != std::string::npos);
  CHECK(ParseError(stage + "distribution = \"exponential\"\nms = 8\nseed = -1\n")
            .find("'seed' in [[job]] stage 1 must be a whole number >= 0") != std::string::npos);
  CHECK(ParseError("job_class = \"W\"\nseed = \"x\"\n")
            .rfind("profiles/bad.toml:2:8: 'seed' at the top of the profile must be a whole", 0) ==
        0);
  CHECK(ParseError(std::string(kMinimal) +
                   "[[job]]\nname = \"m\"\nkind = \"smtp\"\ndistribution = \"exponential\"\n")
            .find("'distribution' is not allowed in an smtp stage") != std::string::npos);
}

TEST_CASE("The queueing profiles' jobs have the mean and the variability their name says",
          "[profile]") {
  struct Expected {
    const char* name;
    double mean_ms;
    double squared_cv;
  };
  for (Expected e : {Expected{"queue-fixed", 4, 0}, Expected{"queue-exponential", 4, 1},
                     Expected{"queue-lognormal", 10.163, 0.6139}}) {
    INFO(e.name);
    auto profile = fib::LoadProfile(e.name, kProfilesDir);
    REQUIRE(profile.ok());
    CHECK(profile->mail_delay_ms == 0);
    CHECK(profile->request.empty());
    CHECK(profile->response.empty());
    REQUIRE(profile->job.size() == 2);
    CHECK(profile->job[0].kind == fib::StageKind::kIo);
    CHECK(profile->job[1].kind == fib::StageKind::kSmtp);  // the email times the job end to end
    CHECK(profile->MeanMs(fib::StagePhase::kJob) == Approx(e.mean_ms).epsilon(1e-3));
    CHECK(profile->SquaredCv(fib::StagePhase::kJob) == Approx(e.squared_cv).margin(1e-3));
  }
}
