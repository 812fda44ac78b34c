#include "tests/support/subprocess.h"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/build_info.h"

namespace fib::test {

std::string BinPath(const std::string& program) { return std::string(FIB_BIN_DIR) + "/" + program; }

namespace {
std::string NewLogPath() {
  char tmpl[] = "/tmp/fibtastic-test-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd >= 0) close(fd);
  return tmpl;
}
}  // namespace

Subprocess::Subprocess(std::vector<std::string> argv, std::map<std::string, std::string> env)
    : log_path_(NewLogPath()) {
  auto child = ChildProcess::Start({std::move(argv), std::move(env), log_path_, {}});
  if (!child.ok()) FAIL(child.message());
  child_ = std::move(*child);
}

Subprocess::~Subprocess() {
  child_.reset();  // stops it (SIGTERM, then SIGKILL)
  CheckNoSanitizerReport();
  unlink(log_path_.c_str());
}

std::string FindSanitizerReport(const std::string& log) {
  static const char* const kMarkers[] = {"ERROR: AddressSanitizer",
                                         "ERROR: LeakSanitizer",
                                         "WARNING: ThreadSanitizer",
                                         "ERROR: ThreadSanitizer",
                                         "FATAL: ThreadSanitizer",
                                         ": runtime error: ",
                                         "SUMMARY: UndefinedBehaviorSanitizer"};
  size_t first = std::string::npos;
  for (const char* marker : kMarkers) first = std::min(first, log.find(marker));
  if (first == std::string::npos) return "";
  size_t line_start = log.rfind('\n', first);
  line_start = line_start == std::string::npos ? 0 : line_start + 1;
  constexpr size_t kMaxChars = 8192;
  return log.substr(line_start, kMaxChars);
}

void Subprocess::CheckNoSanitizerReport() const {
  if (!kSanitizedBuild) return;
  std::string report = FindSanitizerReport(Log());
  if (report.empty()) return;
  FAIL_CHECK("sanitizer report in a child's log (" << log_path_ << "):\n" << report);
}

bool Subprocess::running() { return child_->Running(); }
void Subprocess::Signal(int signal) { child_->Signal(signal); }
int Subprocess::Wait(int timeout_ms) { return child_->Wait(timeout_ms); }
int Subprocess::Stop(int timeout_ms) { return child_->Stop(timeout_ms); }

std::string Subprocess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int RunCommand(const std::vector<std::string>& argv, std::string* output, int timeout_ms,
               const std::map<std::string, std::string>& env) {
  Subprocess p(argv, env);
  int code = p.Wait(timeout_ms);
  if (code == -1) p.Stop(1000);
  if (output) *output = p.Log();
  return code;
}

std::string MakeTempDir(const std::string& tag) {
  std::string pattern = "/tmp/fibtastic-" + tag + "-XXXXXX";
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

}  // namespace fib::test
