// MachineLoad: how busy the machine was while a benchmark scenario ran, computed from /proc
// snapshots — the CPU time of processes outside the run (the machine's busy time minus the run's
// own process tree) and the hypervisor's steal time — so a report can say when other load could
// have moved its figures (docs/measurement.md, "Machine load"). Pure: no I/O here.
// Thread-safety: functions are pure; the value types are thread-compatible.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"

namespace fib::bench {

// The "cpu" line of /proc/stat: clock ticks summed over all CPUs since boot.
struct CpuTicks {
  uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  int cpus = 0;  // how many "cpuN" lines follow
};

// One line of /proc/<pid>/stat, reduced to what the load needs.
struct ProcessTicks {
  pid_t pid = 0;
  pid_t ppid = 0;
  // utime + stime + cutime + cstime: its own CPU time and that of the children it has reaped.
  uint64_t cpu_ticks = 0;
};

// Returns the totals of /proc/stat's text, or an error naming what is malformed.
Result<CpuTicks> ParseCpuTicks(const std::string& proc_stat);
// Returns the fields of one /proc/<pid>/stat text, or an error naming what is malformed.
Result<ProcessTicks> ParseProcessTicks(const std::string& pid_stat);
// Returns `root` and every process descended from it among `all`, by pid.
std::map<pid_t, ProcessTicks> ProcessTree(const std::vector<ProcessTicks>& all, pid_t root);

struct LoadSnapshot {
  double t_s = 0;  // when it was taken (any monotonic origin)
  CpuTicks cpu;
  std::map<pid_t, ProcessTicks> ours;  // the run's process tree
  // Every pid /proc listed, sorted: tells a process that left the tree alive (reparented) from
  // one that exited and was reaped.
  std::vector<pid_t> alive;
};

// What happened between two snapshots, in clock ticks summed over all CPUs.
struct LoadInterval {
  double seconds = 0;
  int cpus = 0;
  uint64_t total_ticks = 0;  // every state: the CPUs' whole time
  uint64_t busy_ticks = 0;   // user + nice + system
  uint64_t our_ticks = 0;    // the run's process tree
  uint64_t steal_ticks = 0;
  // Returns busy time not spent by the run's processes (never below 0).
  uint64_t outside_ticks() const { return busy_ticks > our_ticks ? busy_ticks - our_ticks : 0; }
};

// Returns the interval from `a` to `b`. A counter that went down counts as 0. A process of ours
// that no longer exists at `b` was reaped inside the tree (the root outlives the run): its time
// moved into an ancestor's cutime/cstime, so its ticks counted at `a` come off; one that left the
// tree alive (reparented) takes its ticks with it, and its later ones are outside load.
LoadInterval Between(const LoadSnapshot& a, const LoadSnapshot& b);

// When outside load or steal could have moved a scenario's figures (docs/measurement.md).
struct MachineLoadThresholds {
  double outside_cores = 0.25;  // mean CPU of other processes, in cores
  double steal_pct = 5;         // of all CPU time
};

struct MachineLoad {
  int cpus = 0;
  int samples = 0;  // snapshots taken
  double seconds = 0;
  double outside_cores_mean = 0;
  double outside_cores_peak = 0;  // the highest mean over any window of ≥ peak_window_s
  double our_cores_mean = 0;
  double steal_pct = 0;
  double peak_window_s = 1;
  MachineLoadThresholds thresholds;
  std::string error;  // why nothing was measured, if so

  // Returns true when at least one interval was measured.
  bool measured() const { return samples >= 2 && seconds > 0; }
  // Returns true when outside load or steal crossed a threshold.
  bool busy() const;
};

// Returns the load over consecutive snapshots (in time order).
MachineLoad Summarize(const std::vector<LoadSnapshot>& snapshots, double peak_window_s,
                      MachineLoadThresholds thresholds);

// Returns summary.json's scenarios.<id>.machine_load.
nlohmann::json MachineLoadJson(const MachineLoad& load);
// Returns one line for the report's conditions, starting with "WARNING: " when busy.
std::string MachineLoadCondition(const MachineLoad& load, const std::string& scenario);
// Returns "WARNING: other processes used 0.9 of 2 cores on average during `lesson` ...", or ""
// when the machine was not busy.
std::string BusyWarning(const MachineLoad& load, const std::string& scenario);
// Returns "not judged: machine busy (...)" for a machine_load JSON whose busy flag is set, ""
// otherwise (also when absent).
std::string NotJudgedReason(const nlohmann::json& machine_load);

}  // namespace fib::bench
