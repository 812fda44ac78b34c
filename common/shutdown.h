// ShutdownSignals: turns SIGTERM/SIGINT (and optionally SIGTSTP) into callbacks run on a
// dedicated thread, so servers can stop cleanly (finish in-flight work, release ports).
// Construct once in main() before starting any other thread (it blocks the signals process-wide).
#pragma once

#include <functional>
#include <thread>

namespace fib {

class ShutdownSignals {
 public:
  // `on_stop` runs (once per signal) on the signal thread for SIGTERM and SIGINT;
  // `on_quiet`, when given, runs for SIGTSTP (which otherwise keeps its default action).
  explicit ShutdownSignals(std::function<void(int signal)> on_stop,
                           std::function<void()> on_quiet = nullptr);
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

 private:
  std::thread thread_;
};

}  // namespace fib
