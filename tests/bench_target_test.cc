// fibtastic-bench --target: measuring apps it did not start, by URL. The test starts its own
// web (ours, both variants) and checks that the orchestrator measured it, reported what it could
// not measure as not measured (no guessing), skipped what needs a restart, and left the apps
// running. About 15 s (two quick lesson runs of 6 s).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/mail_sink.h"
#include "tests/support/redis_server.h"
#include "tests/support/subprocess.h"
#include "tests/support/web_app.h"

namespace fs = std::filesystem;
using fib::test::BinPath;
using fib::test::RunCommand;

namespace {

std::string Url(int port) { return "http://127.0.0.1:" + std::to_string(port); }

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("fibtastic-bench --target refuses bad URLs with exit 2 and a clear message",
          "[bench][target]") {
  struct Bad {
    std::vector<std::string> args;
    const char* says;
  };
  for (const Bad& b :
       {Bad{{"--target", "inline=https://127.0.0.1:3000", "--target", "background=http://a:1"},
            "not an http:// URL"},
        Bad{{"--target", "inline=http://127.0.0.1"}, "has no port"},
        Bad{{"--target", "inline=http://127.0.0.1:3000"}, "background is missing"},
        Bad{{"--target", "up=http://127.0.0.1:3000"}, "MODE=URL"},
        Bad{{"--mail-url", "http://127.0.0.1:1080"}, "--mail-url is for --target"},
        Bad{{"--stack", "java"}, "unknown stack 'java'"}}) {
    std::vector<std::string> argv = {BinPath("fibtastic-bench")};
    argv.insert(argv.end(), b.args.begin(), b.args.end());
    std::string out;
    INFO(b.says);
    CHECK(RunCommand(argv, &out) == 2);
    CHECK(out.find(b.says) != std::string::npos);
  }
}

TEST_CASE("fibtastic-bench --target measures a web it did not start and never stops it",
          "[bench][target]") {
  fib::test::RedisServer redis;
  fib::test::MailSink sink;
  fib::test::WebApp inline_web({"--mode", "inline", "--smtp-url", sink.smtp_url()});
  fib::test::WebApp background_web = fib::test::WebApp::Background(redis.url());
  std::string dir =
      fs::temp_directory_path() / ("fibtastic-target-test-" + std::to_string(getpid()));
  std::string out;
  // No --mail-url and no --redis-url: time to email and queue depth cannot be measured.
  int code = RunCommand({BinPath("fibtastic-bench"), "--quick", "--scenario", "lesson,saturation",
                         "--target", "inline=" + Url(inline_web.port()), "--target",
                         "background=" + Url(background_web.port()) + "/", "--results-dir", dir},
                        &out, 120000, {{"REDIS_URL", ""}});
  INFO(out);
  REQUIRE(code == 0);
  // The apps were neither stopped nor restarted: the same processes still answer.
  CHECK(inline_web.process().running());
  CHECK(background_web.process().running());
  auto answer = background_web.PostForm("email=after%40example.com&sequence_length=3");
  REQUIRE(answer);
  CHECK(answer->status == 200);

  std::ifstream in(dir + "/latest/summary.json");
  nlohmann::json summary = nlohmann::json::parse(in);
  const auto& target = summary["stacks"]["target"]["lesson"];
  CHECK(target["inline"]["p50_ms"].get<double>() > 0);
  CHECK(target["background"]["p50_ms"].get<double>() > 0);
  CHECK(target["background"]["enqueue_p50_ms"].get<double>() > 0);  // our web's Server-Timing
  CHECK(target["inline"]["email_p50_ms"].is_null());
  CHECK(target["background"]["email_p50_ms"].is_null());
  CHECK(summary["lesson"]["inline"]["p50_ms"].get<double>() > 0);
  const auto& why = summary["scenarios"]["lesson"]["not_measured"];
  CHECK(why["background"]["email_p50_ms"].get<std::string>().find("--mail-url") !=
        std::string::npos);
  CHECK(why["background"]["queue_depth"].get<std::string>().find("--redis-url") !=
        std::string::npos);
  CHECK(why["inline"].contains("rss"));
  CHECK(summary["scenarios"]["saturation"]["skipped"].get<std::string>().find(
            "never restarts an app it did not start") != std::string::npos);
  std::string report = Slurp(dir + "/latest/report.md");
  CHECK(
      report.find("| time until the email arrives p50 / p99 (ms) | not measured / not measured") !=
      std::string::npos);
  CHECK(report.find("Not measured (never guessed)") != std::string::npos);
  CHECK(report.find("saturation: skipped on the target stack") != std::string::npos);
  fs::remove_all(dir);
}
