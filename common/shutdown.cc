#include "common/shutdown.h"

#include <pthread.h>
#include <signal.h>

namespace fib {

ShutdownSignals::ShutdownSignals(std::function<void(int)> on_stop, std::function<void()> on_quiet) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  // SIGUSR2 is private: the destructor uses it to wake the thread.
  sigaddset(&set, SIGUSR2);
  if (on_quiet) sigaddset(&set, SIGTSTP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A peer closing a socket must be an error value, never a process kill.
  signal(SIGPIPE, SIG_IGN);
  thread_ = std::thread([set, on_stop = std::move(on_stop), on_quiet = std::move(on_quiet)] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      if (sig == SIGUSR2) return;
      if (sig == SIGTSTP) {
        on_quiet();
      } else {
        on_stop(sig);
      }
    }
  });
}

ShutdownSignals::~ShutdownSignals() {
  pthread_kill(thread_.native_handle(), SIGUSR2);
  thread_.join();
}

}  // namespace fib
