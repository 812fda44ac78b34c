// Subprocess: starts a real program for an integration test and always stops it.
// Output (stdout+stderr) goes to a log file that Log() returns, to print when a test fails.
// A thin test wrapper of ChildProcess: the child also dies if the test process is killed.
// Thread-safety: one owner thread.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/process.h"

namespace fib::test {

// Returns the path of one of our programs in the build's bin/ folder.
std::string BinPath(const std::string& program);
// Creates a fresh directory /tmp/fibtastic-TAG-XXXXXX and returns its path (the test fails if it
// cannot).
std::string MakeTempDir(const std::string& tag);

class Subprocess {
 public:
  // Starts argv[0] (a path or a name looked up in PATH) with extra environment variables.
  // Aborts the test (Catch2 FAIL) when the program cannot be started.
  Subprocess(std::vector<std::string> argv, std::map<std::string, std::string> env = {});
  ~Subprocess();  // SIGTERM, then SIGKILL after 5 s
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return child_->pid(); }
  bool running();
  // Sends `signal`; does not wait.
  void Signal(int signal);
  // Waits up to timeout_ms for exit. Returns the exit code, 128+signal if killed, -1 on timeout.
  int Wait(int timeout_ms);
  // Sends SIGTERM and waits (SIGKILL after timeout_ms). Returns as Wait().
  int Stop(int timeout_ms = 5000);
  // Returns everything the process has written so far.
  std::string Log() const;
  // In sanitizer builds, fails the current test (Catch2 FAIL_CHECK, showing the report) when the
  // log holds an ASan/LSan/UBSan/TSan report; the destructor calls it after the child exited.
  void CheckNoSanitizerReport() const;
  const std::string& log_path() const { return log_path_; }

 private:
  std::string log_path_;
  std::unique_ptr<ChildProcess> child_;
};

// Returns the first sanitizer report in `log` (from its first line to the end of the log, at
// most ~8 KB), or "" when there is none.
std::string FindSanitizerReport(const std::string& log);

// Runs a command to completion (up to timeout_ms); returns its exit code and fills `output`.
int RunCommand(const std::vector<std::string>& argv, std::string* output, int timeout_ms = 60000,
               const std::map<std::string, std::string>& env = {});

}  // namespace fib::test
