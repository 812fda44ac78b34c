#include "bench/report/gnuplot_runner.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace fib {

namespace {
const char kInstallHint[] =
    "install the Debian package gnuplot-nox (sudo apt-get install gnuplot-nox) or pass "
    "--gnuplot PATH";

// A temporary file removed when this object goes away.
class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "fibtastic-report-XXXXXX").string();
    int fd = mkstemp(pattern.data());
    if (fd < 0) return;
    path_ = pattern;
    ok_ = contents.empty() ||
          write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size());
    close(fd);
  }
  ~TempFile() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  bool ok() const { return ok_ && !path_.empty(); }
  const std::string& path() const { return path_; }
  std::string Read() const {
    std::ifstream in(path_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::string path_;
  bool ok_ = false;
};

Result<int> SpawnAndWait(const std::string& path, const std::string& stdin_path,
                         const std::string& stderr_path, bool inherit_stdout) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, stdin_path.c_str(), O_RDONLY, 0);
  if (!inherit_stdout) posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_TRUNC, 0);
  std::string argv0 = path;
  char* argv[] = {argv0.data(), nullptr};
  std::fflush(stdout);  // our table/text must come before gnuplot's drawing
  pid_t pid = -1;
  int rc = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return Status::Error("cannot start gnuplot at '" + path + "': " + std::strerror(rc) + "; " +
                         kInstallHint);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
}  // namespace

Result<std::string> FindGnuplot(const std::string& program, const std::string& search_path) {
  if (program.find('/') != std::string::npos) {
    if (access(program.c_str(), X_OK) == 0) return program;
    return Status::Error("gnuplot not found at '" + program + "'; " + kInstallHint);
  }
  std::stringstream dirs(search_path);
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return Status::Error("'" + program + "' not found in PATH; " + kInstallHint);
}

Status RunGnuplot(const std::string& path, const std::string& script, bool inherit_stdout,
                  std::string* warnings) {
  // The script goes in through a file rather than a pipe: no deadlock, no SIGPIPE if gnuplot
  // stops reading early, and it is still gnuplot's stdin.
  TempFile script_file(script), stderr_file("");
  if (!script_file.ok() || !stderr_file.ok()) {
    return Status::Error(std::string("cannot create a temporary file for gnuplot: ") +
                         std::strerror(errno));
  }
  Result<int> exit_code =
      SpawnAndWait(path, script_file.path(), stderr_file.path(), inherit_stdout);
  if (!exit_code.ok()) return exit_code.status();
  std::string errors = stderr_file.Read();
  if (*exit_code != 0) {
    return Status::Error("gnuplot failed (exit " + std::to_string(*exit_code) + "): " + errors);
  }
  if (warnings) *warnings = errors;
  return Status::Ok();
}

}  // namespace fib
