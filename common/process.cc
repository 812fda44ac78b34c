#include "common/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

extern char** environ;

namespace fib {
namespace {

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Runs in the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void ExecChild(pid_t parent, char** argv, char** envp, int log_fd,
                            const cpu_set_t* cpus, int sync_fd) {
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  // The parent may have died before prctl took effect.
  if (getppid() != parent) _exit(127);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int s = 1; s < NSIG; ++s) signal(s, SIG_DFL);
  int devnull = open("/dev/null", O_RDONLY);
  dup2(devnull, 0);
  dup2(log_fd, 1);
  dup2(log_fd, 2);
  if (cpus) sched_setaffinity(0, sizeof(cpu_set_t), cpus);
  execvpe(argv[0], argv, envp);
  int err = errno;
  ssize_t ignored = write(sync_fd, &err, sizeof err);
  (void)ignored;
  _exit(127);
}

}  // namespace

Result<std::unique_ptr<ChildProcess>> ChildProcess::Start(const ChildOptions& options) {
  if (options.argv.empty()) return Status::Error("no program given");
  const std::string& program = options.argv[0];
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    if (!options.env.count(kv.substr(0, kv.find('=')))) env_strings.push_back(kv);
  }
  for (const auto& [k, v] : options.env)
    env_strings.push_back(std::string(k).append("=").append(v));
  std::vector<std::string> args = options.argv;
  std::vector<char*> c_argv, c_env;
  for (auto& a : args) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  for (auto& e : env_strings) c_env.push_back(e.data());
  c_env.push_back(nullptr);

  std::string log_path = options.log_path.empty() ? "/dev/null" : options.log_path;
  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return Status::Error("cannot open log file " + log_path + ": " + strerror(errno));
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  for (int c : options.cpus) CPU_SET(c, &cpus);
  // A close-on-exec pipe reports an exec failure (e.g. program not found) back to us.
  int sync[2];
  if (pipe2(sync, O_CLOEXEC) != 0) {
    close(log_fd);
    return Status::Error(std::string("pipe: ") + strerror(errno));
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    close(sync[0]);
    ExecChild(parent, c_argv.data(), c_env.data(), log_fd, options.cpus.empty() ? nullptr : &cpus,
              sync[1]);
  }
  close(sync[1]);
  close(log_fd);
  if (pid < 0) {
    close(sync[0]);
    return Status::Error("cannot start " + program + ": fork: " + strerror(errno));
  }
  int child_errno = 0;
  ssize_t n = read(sync[0], &child_errno, sizeof child_errno);
  close(sync[0]);
  if (n == sizeof child_errno) {
    waitpid(pid, nullptr, 0);
    return Status::Error("cannot start " + program + ": " + strerror(child_errno) +
                         (child_errno == ENOENT ? " (is it built and installed? run `make`)" : ""));
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, program));
}

ChildProcess::~ChildProcess() {
  if (Running()) Stop();
}

bool ChildProcess::Running() {
  std::lock_guard lock(mu_);
  if (exited_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exited_ = true;
    exit_code_ = DecodeStatus(status);
  }
  return !exited_;
}

void ChildProcess::Signal(int signal) {
  std::lock_guard lock(mu_);
  if (!exited_) kill(pid_, signal);
}

int ChildProcess::Wait(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Running()) {
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return exit_code_;
}

int ChildProcess::Stop(int timeout_ms) {
  Signal(SIGTERM);
  int code = Wait(timeout_ms);
  if (code == -1) {
    Signal(SIGKILL);
    code = Wait(5000);
  }
  return code;
}

bool TcpPortOpen(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0) return false;
  bool ok = false;
  for (addrinfo* a = res; a && !ok; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    ok = connect(fd, a->ai_addr, a->ai_addrlen) == 0;
    close(fd);
  }
  freeaddrinfo(res);
  return ok;
}

bool WaitForTcpPort(const std::string& host, int port, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (TcpPortOpen(host, port)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

int FindFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // A failed bind leaves port 0 for getsockname, which the caller treats as "no free port".
  (void)bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace fib

namespace fib {
namespace {

std::string BootId() {
  std::ifstream file("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(file, id);
  return id;
}

std::string PidNamespace() {
  char link[128] = {};
  ssize_t n = readlink("/proc/self/ns/pid", link, sizeof(link) - 1);
  return n > 0 ? std::string(link, n) : "";
}

struct ProcStat {
  char state = '?';
  std::string start_ticks;
};

// Returns an error naming `path` and errno's meaning; kNotFound when the pid is free.
Status ProcStatError(const std::string& path, int error) {
  ErrorCode code = error == ENOENT || error == ESRCH ? ErrorCode::kNotFound : ErrorCode::kOther;
  return Status::Error("cannot read " + path + ": " + std::strerror(error), code);
}

// Reads the state and start time of `pid` from /proc/<pid>/stat. Returns an error naming errno's
// meaning; code kNotFound means the pid is free.
Result<ProcStat> ReadProcStat(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ProcStatError(path, errno);
  char buffer[1024];
  ssize_t n = read(fd, buffer, sizeof(buffer) - 1);
  int read_errno = errno;
  close(fd);
  // A process that exits between open and read makes read fail with ESRCH.
  if (n < 0) return ProcStatError(path, read_errno);
  std::string line(buffer, n);
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  size_t name_end = line.rfind(')');
  if (name_end == std::string::npos) return Status::Error("malformed /proc stat line");
  std::istringstream fields(line.substr(name_end + 1));
  ProcStat stat;
  std::string skip;
  fields >> stat.state;
  for (int field = 4; field < 22 && fields >> skip; ++field) {
  }
  if (!(fields >> stat.start_ticks)) return Status::Error("short /proc stat line");
  return stat;
}

}  // namespace

std::string ProcessLivenessToken(pid_t pid) {
  std::string boot = BootId(), ns = PidNamespace();
  auto stat = ReadProcStat(pid);
  if (boot.empty() || ns.empty() || !stat.ok()) return "";
  return boot + "/" + ns + "/" + std::to_string(pid) + "/" + stat->start_ticks;
}

bool ProcessProvablyGone(const std::string& token) {
  std::vector<std::string> parts;
  std::istringstream in(token);
  for (std::string part; std::getline(in, part, '/');) parts.push_back(part);
  if (parts.size() != 4 || parts[0].empty() || parts[0] != BootId() || parts[1] != PidNamespace()) {
    return false;
  }
  pid_t pid = 0;
  try {
    pid = static_cast<pid_t>(std::stol(parts[2]));
  } catch (const std::exception&) {
    return false;
  }
  if (pid <= 0) return false;
  auto stat = ReadProcStat(pid);
  if (!stat.ok()) return stat.code() == ErrorCode::kNotFound;
  return stat->state == 'Z' || stat->state == 'X' || stat->start_ticks != parts[3];
}

}  // namespace fib
