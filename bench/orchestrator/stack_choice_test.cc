// fibtastic-bench's stack and target options (StackChoice, StackFlags) and the summary keys they
// add: --stack lists, --target MODE=URL validation, the Rails profile mapping, which scenarios a
// stack skips, and summary.json's stacks.<stack>.lesson.<mode> with nulls for what was not
// measured.
#include "bench/orchestrator/stack_choice.h"

#include <catch2/catch.hpp>

#include "bench/orchestrator/report_writer.h"
#include "bench/orchestrator/stack_flags.h"
#include "bench/orchestrator/stack_report.h"

using fib::bench::ParseStacks;
using fib::bench::ParseTargets;
using fib::bench::ValidateHttpUrl;

TEST_CASE("Stack flag: --stack takes cpp, rails and mixed pairs, in order", "[stack]") {
  auto stacks = ParseStacks("cpp, rails,rails-web+cpp-worker,cpp-web+rails-worker");
  REQUIRE(stacks.ok());
  REQUIRE(stacks->size() == 4);
  CHECK((*stacks)[0].name == "cpp");
  CHECK((*stacks)[1].web == "rails");
  CHECK((*stacks)[1].worker == "rails");
  CHECK((*stacks)[2].web == "rails");
  CHECK((*stacks)[2].worker == "cpp");
  CHECK((*stacks)[3].web == "cpp");
  CHECK((*stacks)[3].worker == "rails");
  CHECK_FALSE((*stacks)[0].uses_rails());
  CHECK((*stacks)[3].uses_rails());
  for (const char* bad : {"", "java", "rails-web", "rails-web+go-worker", "cpp+rails", "cpp,cpp",
                          "rails-worker+cpp-web"}) {
    INFO(bad);
    auto parsed = ParseStacks(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.message().find("--stack") != std::string::npos);
  }
}

TEST_CASE("Target flag: --target URLs must be http with a host and a port", "[stack]") {
  auto ok = ValidateHttpUrl("--target inline", "http://127.0.0.1:3000/");
  REQUIRE(ok.ok());
  CHECK(*ok == "http://127.0.0.1:3000");
  CHECK(*ValidateHttpUrl("--target inline", "http://localhost:80/app") ==
        "http://localhost:80/app");
  struct Bad {
    const char* url;
    const char* says;
  };
  for (const Bad& b : {Bad{"https://127.0.0.1:3000", "not an http:// URL"},
                       Bad{"127.0.0.1:3000", "not an http:// URL"},
                       Bad{"http://127.0.0.1", "has no port"}, Bad{"http://:3000", "has no host"},
                       Bad{"http://127.0.0.1:0", "not a number from 1 to 65535"},
                       Bad{"http://127.0.0.1:65536", "not a number from 1 to 65535"},
                       Bad{"http://127.0.0.1:30x0", "not a number from 1 to 65535"},
                       Bad{"http://user:pw@127.0.0.1:3000", "user information"},
                       Bad{"http://127.0.0.1:3000/?q=1", "query"}}) {
    INFO(b.url);
    auto r = ValidateHttpUrl("--target inline", b.url);
    REQUIRE_FALSE(r.ok());
    CHECK(r.message().find(b.says) != std::string::npos);
    CHECK(r.message().find("--target inline") != std::string::npos);
  }
  CHECK(fib::bench::ValidateRedisUrl("redis://:secret@127.0.0.1:6379/0").ok());
  CHECK_FALSE(fib::bench::ValidateRedisUrl("http://127.0.0.1:6379").ok());
  CHECK_FALSE(fib::bench::ValidateRedisUrl("redis://127.0.0.1").ok());
}

TEST_CASE("Target flag: --target needs both modes once each", "[stack]") {
  auto both = ParseTargets({"inline=http://127.0.0.1:3000", "background=http://127.0.0.1:3001/"});
  REQUIRE(both.ok());
  CHECK(both->at("background") == "http://127.0.0.1:3001");
  CHECK(ParseTargets({}).ok());
  CHECK(ParseTargets({"inline=http://127.0.0.1:3000"}).message().find("background is missing") !=
        std::string::npos);
  CHECK(ParseTargets({"inline=http://a:1", "inline=http://a:2", "background=http://a:3"})
            .message()
            .find("given twice") != std::string::npos);
  CHECK(ParseTargets({"sideways=http://a:1"}).message().find("MODE=URL") != std::string::npos);
  CHECK_FALSE(ParseTargets({"inline=ftp://a:1", "background=http://a:3"}).ok());
}

TEST_CASE("StackFlags: --target replaces the stacks and refuses --stack and a stray --mail-url",
          "[stack]") {
  fib::bench::BenchOptions options;
  fib::bench::StackFlags flags;
  flags.targets = {"inline=http://127.0.0.1:3000", "background=http://127.0.0.1:3001"};
  flags.mail_url = "http://127.0.0.1:1080/";
  auto stacks = flags.Resolve(&options);
  REQUIRE(stacks.ok());
  REQUIRE(stacks->size() == 1);
  CHECK(options.stack.target());
  CHECK(options.target_mail_url == "http://127.0.0.1:1080");
  options.redis_url = "localhost:6379";
  CHECK(flags.Resolve(&options).message().find("--redis-url") != std::string::npos);
  options.redis_url = "";
  flags.stack_list = "cpp,rails";
  CHECK(flags.Resolve(&options).message().find("cannot be combined with --stack") !=
        std::string::npos);
  fib::bench::StackFlags no_target;
  no_target.mail_url = "http://127.0.0.1:1080";
  CHECK(no_target.Resolve(&options).message().find("--mail-url is for --target") !=
        std::string::npos);
  no_target.mail_url = "";
  no_target.stack_list = "cpp,rails";
  auto two = no_target.Resolve(&options);
  REQUIRE(two.ok());
  CHECK(options.stack.name == "cpp");
  CHECK(fib::bench::OptionsForStack(options, *two, 1).id_suffix == "-rails");
  CHECK(fib::bench::OptionsForStack(options, *two, 0).id_suffix.empty());
  CHECK(fib::bench::WantsStackComparison(*two));
  CHECK_FALSE(fib::bench::WantsStackComparison({fib::bench::StackChoice{}}));
}

TEST_CASE("The Rails app runs lesson and fibtastic; targets skip what needs a restart", "[stack]") {
  CHECK(*fib::bench::RailsProfile("lesson") == "lesson");
  CHECK(*fib::bench::RailsProfile("fibtastic") == "none");
  CHECK_FALSE(fib::bench::RailsProfile("cpu_bound").ok());
  fib::bench::StackChoice target{"target", "target", "target"};
  CHECK(fib::bench::StackSkipReason(target, "lesson").empty());
  CHECK(fib::bench::StackSkipReason(target, "fibtastic").empty());
  CHECK(fib::bench::StackSkipReason(target, "saturation").find("never restarts") !=
        std::string::npos);
  CHECK_FALSE(fib::bench::StackSkipReason(target, "scaling").empty());
  CHECK(fib::bench::StackSkipReason(target, "heroku").find("network namespaces") !=
        std::string::npos);
  fib::bench::StackChoice rails{"rails", "rails", "rails"};
  CHECK(fib::bench::StackSkipReason(rails, "heroku").find("network namespaces") !=
        std::string::npos);
  CHECK(fib::bench::StackSkipReason(rails, "saturation").empty());
  CHECK_FALSE(fib::bench::StackSkipReason(rails, "queueing").empty());
  CHECK(fib::bench::StackSkipReason(fib::bench::StackChoice{}, "queueing").empty());
}

TEST_CASE("summary.json: stacks.<stack>.lesson.<mode> for each stack, lesson.* the first's",
          "[stack]") {
  auto lesson = [](const std::string& id, const std::string& stack, double p50) {
    fib::bench::Section s;
    s.id = id;
    s.scenario = "lesson";
    s.stack = stack;
    s.figures = {{"inline", {{"p50_ms", p50}, {"p99_ms", p50 + 1}, {"email_p50_ms", p50}}},
                 {"background", {{"p50_ms", 24.0}, {"p99_ms", 30.0}, {"email_p50_ms", nullptr}}}};
    return s;
  };
  std::vector<fib::bench::Section> sections = {lesson("lesson", "cpp", 223),
                                               lesson("lesson-rails", "rails", 250)};
  nlohmann::json summary = fib::bench::Summary(sections, nlohmann::json::object());
  CHECK(summary["lesson"]["inline"]["p50_ms"].get<double>() == 223);
  CHECK(summary["stacks"]["cpp"]["lesson"]["inline"]["p50_ms"].get<double>() == 223);
  CHECK(summary["stacks"]["rails"]["lesson"]["inline"]["p50_ms"].get<double>() == 250);
  CHECK(summary["stacks"]["rails"]["lesson"]["inline"]["p99_ms"].get<double>() == 251);
  // Not measured: present and null, never a number.
  CHECK(summary["stacks"]["rails"]["lesson"]["background"]["email_p50_ms"].is_null());
  CHECK(summary["stacks"]["rails"]["lesson"]["background"]["enqueue_p50_ms"].is_null());
  CHECK(summary["scenarios"].contains("lesson-rails"));
}

TEST_CASE("NotMeasured says why each missing figure is missing and what the app must do",
          "[stack]") {
  nlohmann::json figures = {
      {"inline",
       {{"p50_ms", 223.0}, {"email_p50_ms", nullptr}, {"stages", nlohmann::json::object()}}},
      {"background",
       {{"p50_ms", 24.0},
        {"enqueue_p50_ms", nullptr},
        {"email_p50_ms", 230.0},
        {"stages", {{"enqueue", {{"p50_ms", 1.0}}}}}}}};
  auto why = fib::bench::NotMeasured("", "", fib::bench::kTargetRssNote, figures);
  CHECK(why["inline"]["email_p50_ms"].get<std::string>().find("--mail-url") != std::string::npos);
  CHECK(why["inline"].contains("stages"));
  CHECK_FALSE(why["background"].contains("email_p50_ms"));
  CHECK_FALSE(why["background"].contains("stages"));
  CHECK(why["background"]["enqueue_p50_ms"].get<std::string>().find("Server-Timing") !=
        std::string::npos);
  CHECK(why["background"].contains("queue_depth"));
  CHECK(why["background"].contains("rss"));
  auto with_inbox =
      fib::bench::NotMeasured("http://127.0.0.1:1080", "redis://127.0.0.1:1/0", "", figures);
  CHECK(with_inbox["inline"]["email_p50_ms"].get<std::string>().find("X-Request-Id") !=
        std::string::npos);
  CHECK_FALSE(with_inbox["background"].contains("queue_depth"));
  CHECK(fib::bench::NotMeasuredMarkdown(why).find("Not measured") != std::string::npos);
  CHECK(fib::bench::NotMeasuredMarkdown(nlohmann::json::object()).empty());
}

TEST_CASE("HighestRateHeld stops at the first step over the limit", "[stack]") {
  nlohmann::json sat = {{"steps",
                         {{{"offered_rps", 2}, {"background_p99_ms", 20}},
                          {{"offered_rps", 4}, {"background_p99_ms", 40}},
                          {{"offered_rps", 8}, {"background_p99_ms", 150}},
                          {{"offered_rps", 16}, {"background_p99_ms", 50}}}}};
  CHECK(fib::bench::HighestRateHeld(sat, 100) == 4);
  CHECK(std::isnan(fib::bench::HighestRateHeld(sat, 10)));
  CHECK(std::isnan(fib::bench::HighestRateHeld(nlohmann::json::object(), 100)));
}

TEST_CASE("StackComparison puts the stacks side by side and says what did not run", "[stack]") {
  fib::bench::Section cpp;
  cpp.id = cpp.scenario = "lesson";
  cpp.stack = "cpp";
  cpp.figures = {{"inline", {{"p50_ms", 223.0}, {"p99_ms", 240.0}}},
                 {"background", {{"p50_ms", 24.0}, {"p99_ms", 30.0}, {"enqueue_p50_ms", 0.25}}},
                 {"rss_kb", {{"web-inline", 14336}}}};
  fib::bench::Section rails = cpp;
  rails.id = "lesson-rails";
  rails.stack = "rails";
  rails.figures["background"]["enqueue_p50_ms"] = nullptr;
  auto stacks = ParseStacks("cpp,rails");
  REQUIRE(stacks.ok());
  nlohmann::json drain = {{"jobs", 100},
                          {"command", "worker_throughput.sh 100"},
                          {"ours_jobs_per_s", 1000.0},
                          {"sidekiq_jobs_per_s", 50.0},
                          {"ratio", 20.0}};
  auto section = fib::bench::StackComparison({cpp, rails}, *stacks, drain);
  INFO(section.markdown);
  CHECK(section.id == "stacks");
  CHECK(section.markdown.find(
            "| cpp (web: cpp, worker: cpp) | rails (web: rails, worker: rails) |") !=
        std::string::npos);
  CHECK(section.markdown.find("| enqueue p50 (ms, Server-Timing) | 0.25 | not measured |") !=
        std::string::npos);
  CHECK(section.markdown.find("p99 < 100 ms (req/s) | not run | not run |") != std::string::npos);
  CHECK(section.markdown.find("web-inline 14") != std::string::npos);
  CHECK(section.markdown.find("(20.0×)") != std::string::npos);
  CHECK(section.figures["stacks"]["rails"]["lesson"]["background"]["enqueue_p50_ms"].is_null());
  CHECK(section.figures["worker_drain"]["ratio"].get<double>() == 20);
  auto no_drain = fib::bench::StackComparison({cpp}, *stacks, {{"error", "no sidekiq"}});
  CHECK(no_drain.markdown.find("Worker drain rate: not measured: no sidekiq") != std::string::npos);
}
