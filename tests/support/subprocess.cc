#include "tests/support/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace fib::test {

std::string BinPath(const std::string& program) { return std::string(FIB_BIN_DIR) + "/" + program; }

namespace {
std::string NewLogPath() {
  char tmpl[] = "/tmp/fibtastic-test-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd >= 0) close(fd);
  return tmpl;
}

// Decodes a waitpid status into our exit-code convention.
int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}
}  // namespace

Subprocess::Subprocess(std::vector<std::string> argv, std::map<std::string, std::string> env)
    : log_path_(NewLogPath()) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    std::string key = kv.substr(0, kv.find('='));
    if (!env.count(key)) env_strings.push_back(kv);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> c_argv, c_env;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  for (auto& e : env_strings) c_env.push_back(e.data());
  c_env.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Children start with default signal dispositions and an empty mask, whatever the test did.
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  int rc = posix_spawnp(&pid_, c_argv[0], &actions, &attr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    pid_ = -1;
    FAIL("cannot start " << argv[0] << ": " << strerror(rc));
  }
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !exited_) Stop();
  unlink(log_path_.c_str());
}

bool Subprocess::running() {
  if (exited_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exited_ = true;
    exit_code_ = DecodeStatus(status);
  }
  return !exited_;
}

void Subprocess::Signal(int signal) {
  if (running()) kill(pid_, signal);
}

int Subprocess::Wait(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_code_;
}

int Subprocess::Stop(int timeout_ms) {
  Signal(SIGTERM);
  int code = Wait(timeout_ms);
  if (code == -1) {
    Signal(SIGKILL);
    code = Wait(5000);
  }
  return code;
}

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
  if (code == -1) code = p.Stop(1000) == -1 ? -1 : -1;
  if (output) *output = p.Log();
  return code;
}

}  // namespace fib::test
