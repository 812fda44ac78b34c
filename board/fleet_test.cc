#include "board/fleet.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "tests/support/ports.h"
#include "tests/support/subprocess.h"

namespace fib {
namespace {

// Runs `body` in a forked child and returns its exit code, or -1 when it had not finished within
// `timeout_ms` (it is then killed). A hang in `body` thus fails the test instead of freezing it.
int RunInChild(const std::function<int()>& body, int timeout_ms) {
  pid_t child = fork();
  if (child == 0) _exit(body());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(child, &status, WNOHANG) == child)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(child, SIGKILL);
  waitpid(child, &status, 0);
  return -1;
}

}  // namespace

// The board's SIGTERM path ends in ~Fleet; with a load run going it used to wait on the run's
// thread while holding the lock that thread needs to finish, so the board never exited.
TEST_CASE("Fleet stops a running load run and returns when destroyed", "[board]") {
  int code = RunInChild(
      [] {
        BoardOptions options;
        std::string loadgen = test::BinPath("fibtastic-loadgen");
        options.bin_dir = loadgen.substr(0, loadgen.rfind('/'));
        int port = 0;  // a server that accepts and never answers: the run lasts its 30 s
        if (test::ListenLoopback(&port) < 0) return 2;
        options.background_url = "http://127.0.0.1:" + std::to_string(port);
        options.workers = 0;
        {
          Fleet fleet(options);
          LoadRequest load{"background", "fibtastic", 2, 30, 5};
          if (!fleet.StartLoad(load).ok()) return 3;
          std::this_thread::sleep_for(std::chrono::milliseconds(500));
          if (!fleet.LoadState().value("running", false)) return 4;
        }  // ~Fleet: stops the loadgen and joins the run's thread
        return 0;
      },
      15000);
  CHECK(code == 0);
}

// Stopped (reset, or the board's SIGTERM) in the moment before the loadgen is started: the run
// must still stop, not go on for its whole duration.
TEST_CASE("Fleet stops a load run it is just starting", "[board]") {
  int code = RunInChild(
      [] {
        BoardOptions options;
        std::string loadgen = test::BinPath("fibtastic-loadgen");
        options.bin_dir = loadgen.substr(0, loadgen.rfind('/'));
        int port = 0;
        if (test::ListenLoopback(&port) < 0) return 2;
        options.background_url = "http://127.0.0.1:" + std::to_string(port);
        options.workers = 0;
        Fleet fleet(options);
        LoadRequest load{"background", "fibtastic", 2, 30, 5};
        if (!fleet.StartLoad(load).ok()) return 3;
        fleet.StopLoad();
        for (int i = 0; i < 150 && fleet.LoadState().value("running", false); ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return fleet.LoadState().value("running", false) ? 4 : 0;
      },
      15000);
  CHECK(code == 0);
}

}  // namespace fib
