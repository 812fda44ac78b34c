// MachineLoadSampler: snapshots /proc/stat and the process tree under one root (fibtastic-bench
// itself: its stack, its load generators, their children) every interval_ms on its own thread,
// and summarises how busy the rest of the machine was (bench/orchestrator/machine_load.h).
// Thread-safety: Start/Stop from one owner thread; the sampling thread touches only the
// snapshots, which Stop reads after joining it.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/orchestrator/machine_load.h"

namespace fib::bench {

struct MachineLoadSamplerOptions {
  pid_t root_pid = 0;  // the run's processes are this one and its descendants; 0 = this process
  int interval_ms = 250;
  double peak_window_s = 1;
  MachineLoadThresholds thresholds;
  std::string proc_dir = "/proc";
};

// Returns a snapshot of `proc_dir` now: CPU totals and the tree under `root`, or an error naming
// the file that could not be read or parsed.
Result<LoadSnapshot> TakeLoadSnapshot(const std::string& proc_dir, pid_t root);

class MachineLoadSampler {
 public:
  explicit MachineLoadSampler(MachineLoadSamplerOptions options = {});
  ~MachineLoadSampler();  // Stop
  MachineLoadSampler(const MachineLoadSampler&) = delete;
  MachineLoadSampler& operator=(const MachineLoadSampler&) = delete;

  // Takes a first snapshot now, then one every interval_ms until Stop. REQUIRES: not started.
  void Start();
  // Takes a last snapshot, joins the thread and returns the load since Start. Idempotent.
  MachineLoad Stop();

 private:
  void Sample();
  void Loop();

  MachineLoadSamplerOptions options_;
  std::vector<LoadSnapshot> snapshots_;
  std::string last_error_;
  std::mutex mu_;  // guards stop_ for the condition variable
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace fib::bench
