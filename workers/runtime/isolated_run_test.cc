#include "workers/runtime/isolated_run.h"

#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

namespace fib {
namespace {

JobOutcome SampleOutcome() {
  JobOutcome o;
  o.kind = JobOutcome::Kind::kRetry;
  o.jid = "0123456789abcdef01234567";
  o.class_name = "SequenceEmailWorker";
  static constexpr char kRaw[] = "{\"args\":[\"\xff\xfe not UTF-8\",\n1]}\0tail";
  o.raw = std::string(kRaw, sizeof kRaw - 1);  // the NUL inside included, the last one not
  o.at_seconds = 1700000123.25;
  o.delay_s = 17.5;
  o.retry_count = 2;
  o.error_class = "Net::SMTPServerBusy";
  o.error_message = "421 4.3.2 try again\r\nsecond line";
  o.elapsed_ms = 12.125;
  return o;
}

IsolatedResult RunShell(const std::string& script, const std::vector<std::string>& args = {}) {
  std::vector<std::string> argv = {"/bin/sh", "-c", script, "sh"};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcessRunner runner(argv);
  return runner.Run(FetchedJob{"default", "{\"class\":\"X\"}"});
}

TEST_CASE("the isolated job and outcome formats carry any bytes unchanged") {
  FetchedJob job{"critical", std::string("{\"a\":\"\x80\"}\n\0", 11)};
  auto decoded = DecodeIsolatedJob(EncodeIsolatedJob(job));
  REQUIRE(decoded.ok());
  CHECK(decoded->queue == job.queue);
  CHECK(decoded->raw == job.raw);

  JobOutcome o = SampleOutcome();
  auto back = DecodeOutcome(EncodeOutcome(o));
  REQUIRE(back.ok());
  CHECK(back->kind == o.kind);
  CHECK(back->jid == o.jid);
  CHECK(back->class_name == o.class_name);
  CHECK(back->raw == o.raw);
  CHECK(back->at_seconds == o.at_seconds);
  CHECK(back->delay_s == o.delay_s);
  CHECK(back->retry_count == o.retry_count);
  CHECK(back->error_class == o.error_class);
  CHECK(back->error_message == o.error_message);
  CHECK(back->elapsed_ms == o.elapsed_ms);
}

TEST_CASE("truncated, padded or forged isolated outcomes are refused") {
  std::string text = EncodeOutcome(SampleOutcome());
  for (size_t cut : {size_t{0}, size_t{1}, text.size() / 2, text.size() - 1}) {
    CHECK_FALSE(DecodeOutcome(text.substr(0, cut)).ok());
  }
  CHECK_FALSE(DecodeOutcome(text + "x").ok());
  CHECK_FALSE(DecodeOutcome("4\nboom" + text.substr(5)).ok());  // unknown kind
  CHECK_FALSE(DecodeOutcome("99999999999999999999999\nx").ok());
  CHECK_FALSE(DecodeIsolatedJob("7\ndefault").ok());
  CHECK_FALSE(DecodeIsolatedJob("-1\n").ok());
}

TEST_CASE("a child that writes an outcome and exits 0 finished; its payload arrived on stdin") {
  // The child checks its input is exactly the encoded job, then answers with an outcome.
  std::string want = EncodeIsolatedJob(FetchedJob{"default", "{\"class\":\"X\"}"});
  JobOutcome answer = SampleOutcome();
  answer.raw = "{\"args\":[1]}\n";  // argv cannot carry the sample's NUL
  IsolatedResult result =
      RunShell(R"(input=$(cat; printf .); [ "${input%.}" = "$1" ] || exit 3; printf '%s' "$2" >&3)",
               {want, EncodeOutcome(answer)});
  INFO(result.problem);
  REQUIRE(result.kind == IsolatedResult::Kind::kFinished);
  CHECK(result.outcome.error_class == "Net::SMTPServerBusy");
  CHECK(result.outcome.retry_count == 2);
  CHECK(result.outcome.raw == answer.raw);
}

TEST_CASE("a child that dies or answers nothing usable crashed, with the reason") {
  IsolatedResult segv = RunShell("cat >/dev/null; kill -SEGV $$");
  CHECK(segv.kind == IsolatedResult::Kind::kCrashed);
  CHECK_THAT(segv.problem, Catch::Contains("signal 11"));
  IsolatedResult early = RunShell("kill -ABRT $$");  // before reading its input
  CHECK(early.kind == IsolatedResult::Kind::kCrashed);
  CHECK_THAT(early.problem, Catch::Contains("signal 6"));
  IsolatedResult status = RunShell("cat >/dev/null; exit 7");
  CHECK(status.kind == IsolatedResult::Kind::kCrashed);
  CHECK_THAT(status.problem, Catch::Contains("exited with status 7"));
  IsolatedResult silent = RunShell("cat >/dev/null; printf 'garbage' >&3");
  CHECK(silent.kind == IsolatedResult::Kind::kCrashed);
  CHECK_THAT(silent.problem, Catch::Contains("without a readable outcome"));
}

TEST_CASE("a child that dies before reading a large job never raises SIGPIPE in the parent") {
  // Whatever the host process does with SIGPIPE (a test binary keeps the default, which kills):
  // a 1 MB job cannot fit the pipe, so the write meets a closed pipe.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  struct sigaction old {};
  sigaction(SIGPIPE, &default_action, &old);
  ChildProcessRunner runner({"/bin/sh", "-c", "exit 3"});
  IsolatedResult result = runner.Run(
      FetchedJob{"default", "{\"class\":\"X\",\"pad\":\"" + std::string(1 << 20, 'x') + "\"}"});
  sigaction(SIGPIPE, &old, nullptr);
  CHECK(result.kind == IsolatedResult::Kind::kCrashed);
  CHECK_THAT(result.problem, Catch::Contains("exited with status 3"));
  sigset_t pending;
  sigpending(&pending);
  CHECK(sigismember(&pending, SIGPIPE) == 0);  // none left pending either
}

TEST_CASE("a child that cannot start, or is killed at shutdown, did not run (not its fault)") {
  ChildProcessRunner missing({"/nonexistent/fibtastic-worker"});
  IsolatedResult none = missing.Run(FetchedJob{"default", "{}"});
  CHECK(none.kind == IsolatedResult::Kind::kNotRun);
  CHECK_THAT(none.problem, Catch::Contains("cannot start"));

  ChildProcessRunner slow({"/bin/sh", "-c", "cat >/dev/null; exec sleep 30"});
  IsolatedResult stopped;
  auto start = std::chrono::steady_clock::now();
  std::thread run([&] { stopped = slow.Run(FetchedJob{"default", "{}"}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  slow.KillAll();
  run.join();
  CHECK(stopped.kind == IsolatedResult::Kind::kNotRun);
  CHECK_THAT(stopped.problem, Catch::Contains("shutdown"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  // After KillAll nothing new starts.
  CHECK(slow.Run(FetchedJob{"default", "{}"}).kind == IsolatedResult::Kind::kNotRun);
}

TEST_CASE("a process the child leaves behind holding fd 3 neither stalls a run nor outlives it") {
  auto start = std::chrono::steady_clock::now();
  JobOutcome answer = SampleOutcome();
  answer.raw = "{}";  // argv cannot carry the sample's NUL
  IsolatedResult done = RunShell(R"(cat >/dev/null; printf '%s' "$1" >&3; sleep 20 & exit 0)",
                                 {EncodeOutcome(answer)});
  CHECK(done.kind == IsolatedResult::Kind::kFinished);
  IsolatedResult left = RunShell("cat >/dev/null; sleep 20 & exit 0");
  CHECK(left.kind == IsolatedResult::Kind::kCrashed);
  CHECK_THAT(left.problem, Catch::Contains("without a readable outcome"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));

  ChildProcessRunner forking({"/bin/sh", "-c", "cat >/dev/null; sleep 20 & wait"});
  IsolatedResult stopped;
  start = std::chrono::steady_clock::now();
  std::thread run([&] { stopped = forking.Run(FetchedJob{"default", "{}"}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  forking.KillAll();
  run.join();
  CHECK(stopped.kind == IsolatedResult::Kind::kNotRun);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

}  // namespace
}  // namespace fib
