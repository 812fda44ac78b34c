#include "workers/runtime/isolated_run.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace fib {
namespace {

// The child's outcome is the payload plus Sidekiq's failure fields (a 10,000-character message,
// a backtrace): bounded well above the largest payload a worker accepts.
constexpr size_t kMaxOutcomeBytes = 64u << 20;
constexpr int kOutcomeFd = 3;

void AppendField(std::string* out, std::string_view value) {
  *out += std::to_string(value.size());
  *out += '\n';
  out->append(value);
}

// Reads one field written by AppendField from the front of `text`.
bool ReadField(std::string_view* text, std::string* value) {
  size_t newline = text->find('\n');
  if (newline == std::string_view::npos || newline == 0 || newline > 20) return false;
  size_t length = 0;
  for (char c : text->substr(0, newline)) {
    if (c < '0' || c > '9') return false;
    length = length * 10 + static_cast<size_t>(c - '0');
  }
  text->remove_prefix(newline + 1);
  if (length > text->size()) return false;
  value->assign(text->substr(0, length));
  text->remove_prefix(length);
  return true;
}

bool ReadNumber(std::string_view* text, double* value) {
  std::string field;
  if (!ReadField(text, &field) || field.empty()) return false;
  char* end = nullptr;
  *value = std::strtod(field.c_str(), &end);
  return end == field.c_str() + field.size();
}

std::string Number(double value) { return fmt::format("{}", value); }

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// WriteAll to a pipe whose reader may already be gone, without SIGPIPE whatever this process does
// with the signal (the worker ignores it; a test binary or another host may not): SIGPIPE is
// blocked in this thread for the write (a write raises it on the writing thread), and one the
// write raised is taken back before the mask is restored. The failed write's EPIPE says enough.
bool WriteAllToPipe(int fd, std::string_view data) {
  sigset_t pipe_only, old;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  sigset_t pending;
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old);
  const bool ok = WriteAll(fd, data);
  const int write_errno = errno;
  if (!ok && write_errno == EPIPE && !was_pending) {
    timespec zero{};
    while (sigtimedwait(&pipe_only, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return ok;
}

// Appends one read from `fd` to `out`: 1 when bytes came, 0 at the end, -1 on a read error or
// beyond `limit` bytes in all.
int ReadSome(int fd, size_t limit, std::string* out) {
  char buffer[65536];
  ssize_t n = -1;
  do {
    n = read(fd, buffer, sizeof buffer);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return n == 0 ? 0 : -1;
  if (out->size() + static_cast<size_t>(n) > limit) return -1;
  out->append(buffer, static_cast<size_t>(n));
  return 1;
}

// Reads `fd` to its end, at most `limit` bytes; false on a read error or more than the limit.
bool ReadAll(int fd, size_t limit, std::string* out) {
  for (;;) {
    int got = ReadSome(fd, limit, out);
    if (got <= 0) return got == 0;
  }
}

// Returns true once `pid` has exited (it stays unreaped: its pid and group id stay ours).
bool ChildExited(pid_t pid) {
  siginfo_t info{};
  info.si_pid = 0;
  return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

// Reads the child's outcome from `fd` to its end, at most `limit` bytes. A process the child
// left behind (it forked) may hold the pipe open for ever: once the child itself has exited,
// only what is already in the pipe counts. False on a read error or more than the limit.
bool ReadOutcome(pid_t pid, int fd, size_t limit, std::string* out) {
  bool exited = false;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int ready = poll(&p, 1, exited ? 0 : 100);
    if (ready < 0 && errno != EINTR) return false;
    if (ready <= 0) {
      if (exited) return true;  // drained: the child's whole outcome was written before it exited
      exited = ChildExited(pid);
      continue;
    }
    int got = ReadSome(fd, limit, out);
    if (got <= 0) return got == 0;
  }
}

JobOutcome::Kind KindFromName(const std::string& name, bool* ok) {
  for (auto kind : {JobOutcome::Kind::kDone, JobOutcome::Kind::kRetry, JobOutcome::Kind::kDead,
                    JobOutcome::Kind::kDropped}) {
    if (name == OutcomeName(kind)) return kind;
  }
  *ok = false;
  return JobOutcome::Kind::kDone;
}

std::string DescribeExit(int status) {
  if (WIFSIGNALED(status)) {
    int signal = WTERMSIG(status);
    const char* name = strsignal(signal);
    return fmt::format("killed by signal {} ({}){}", signal, name ? name : "?",
                       WCOREDUMP(status) ? ", core dumped" : "");
  }
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  return fmt::format("ended with wait status {}", status);
}

IsolatedResult NotRun(std::string problem) {
  IsolatedResult result;
  result.kind = IsolatedResult::Kind::kNotRun;
  result.problem = std::move(problem);
  return result;
}

void ClosePipe(int fds[2]) {
  for (int i = 0; i < 2; ++i) {
    if (fds[i] >= 0) close(fds[i]);
    fds[i] = -1;
  }
}

}  // namespace

std::string EncodeIsolatedJob(const FetchedJob& job) {
  std::string out;
  AppendField(&out, job.queue);
  AppendField(&out, job.raw);
  return out;
}

Result<FetchedJob> DecodeIsolatedJob(std::string_view text) {
  FetchedJob job;
  if (!ReadField(&text, &job.queue) || !ReadField(&text, &job.raw) || !text.empty()) {
    return Status::Error("the isolated job's input is not <length>\\n<queue><length>\\n<payload>");
  }
  return job;
}

std::string EncodeOutcome(const JobOutcome& o) {
  std::string out;
  for (std::string_view field :
       {std::string_view(OutcomeName(o.kind)), std::string_view(o.jid),
        std::string_view(o.class_name), std::string_view(o.raw), std::string_view(o.error_class),
        std::string_view(o.error_message)}) {
    AppendField(&out, field);
  }
  for (double number :
       {o.at_seconds, o.delay_s, static_cast<double>(o.retry_count), o.elapsed_ms}) {
    AppendField(&out, Number(number));
  }
  return out;
}

Result<JobOutcome> DecodeOutcome(std::string_view text) {
  JobOutcome o;
  std::string kind;
  double retry_count = 0;
  bool ok = ReadField(&text, &kind) && ReadField(&text, &o.jid) &&
            ReadField(&text, &o.class_name) && ReadField(&text, &o.raw) &&
            ReadField(&text, &o.error_class) && ReadField(&text, &o.error_message) &&
            ReadNumber(&text, &o.at_seconds) && ReadNumber(&text, &o.delay_s) &&
            ReadNumber(&text, &retry_count) && ReadNumber(&text, &o.elapsed_ms) && text.empty();
  if (ok) o.kind = KindFromName(kind, &ok);
  if (!ok) return Status::Error("the isolated job's outcome is malformed");
  o.retry_count = static_cast<int>(retry_count);
  return o;
}

int RunIsolatedChild(const JobRunner& runner, int in_fd, int out_fd) {
  std::string input;
  // The payload limit is the runner's business (over it: a dead stub); this only bounds the read.
  if (!ReadAll(in_fd, kMaxOutcomeBytes, &input)) return 1;
  Result<FetchedJob> job = DecodeIsolatedJob(input);
  if (!job.ok()) return 1;
  input.clear();
  JobOutcome outcome = runner.Run(*job);
  return WriteAll(out_fd, EncodeOutcome(outcome)) ? 0 : 1;
}

ChildProcessRunner::ChildProcessRunner(std::vector<std::string> argv) : argv_(std::move(argv)) {}

IsolatedResult ChildProcessRunner::Run(const FetchedJob& job) {
  if (argv_.empty()) return NotRun("no program to run isolated jobs with");
  int in[2] = {-1, -1}, out[2] = {-1, -1};
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
    std::string problem = fmt::format("cannot make a pipe: {}", std::strerror(errno));
    ClosePipe(in);
    ClosePipe(out);
    return NotRun(problem);
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], kOutcomeFd);
  // Nothing else of ours (Redis sockets, listening ports) reaches the child.
  posix_spawn_file_actions_addclosefrom_np(&actions, kOutcomeFd + 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int signal : {SIGTERM, SIGINT, SIGTSTP, SIGHUP, SIGQUIT}) sigaddset(&defaults, signal);
  posix_spawnattr_setsigmask(&attr, &none);  // the parent blocks TERM/INT for its signal thread
  posix_spawnattr_setsigdefault(&attr, &defaults);
  // Its own process group: a Ctrl-C at the terminal stops the worker, which then decides.
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  std::vector<char*> args;
  for (const std::string& arg : argv_) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int spawned = -1;
  {
    std::lock_guard lock(mu_);
    if (killing_) {
      spawned = ECANCELED;
    } else {
      spawned = posix_spawn(&pid, argv_[0].c_str(), &actions, &attr, args.data(), environ);
      if (spawned == 0) running_.insert(pid);
    }
  }
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(in[0]);
  close(out[1]);
  if (spawned != 0) {
    close(in[1]);
    close(out[0]);
    return NotRun(spawned == ECANCELED
                      ? "the worker is stopping"
                      : fmt::format("cannot start {}: {}", argv_[0], std::strerror(spawned)));
  }
  // The child reads all of its input before it writes: no deadlock. A child that dies first
  // makes the write fail (EPIPE, never SIGPIPE); its exit status tells why.
  WriteAllToPipe(in[1], EncodeIsolatedJob(job));
  close(in[1]);
  std::string text;
  bool read_ok = ReadOutcome(pid, out[0], kMaxOutcomeBytes, &text);
  close(out[0]);
  // Waited for without reaping first, so KillAll never signals a reused pid.
  siginfo_t info{};
  while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
  }
  bool killed_by_us = false;
  {
    std::lock_guard lock(mu_);
    // Whatever the job started dies with it (the group id cannot be reused before the reap).
    kill(-pid, SIGKILL);
    running_.erase(pid);
    killed_by_us = killing_;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (killed_by_us) return NotRun("stopped at shutdown: " + DescribeExit(status));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && read_ok) {
    if (Result<JobOutcome> outcome = DecodeOutcome(text); outcome.ok()) {
      IsolatedResult result;
      result.kind = IsolatedResult::Kind::kFinished;
      result.outcome = std::move(*outcome);
      return result;
    }
  }
  IsolatedResult result;
  result.kind = IsolatedResult::Kind::kCrashed;
  result.problem = fmt::format(
      "its process (pid {}) {}{}", pid, DescribeExit(status),
      WIFEXITED(status) && WEXITSTATUS(status) == 0 ? " without a readable outcome" : "");
  return result;
}

void ChildProcessRunner::KillAll() {
  std::lock_guard lock(mu_);
  killing_ = true;
  // The child leads its own process group: anything it started dies too.
  for (pid_t pid : running_) kill(-pid, SIGKILL);
}

}  // namespace fib
