// ProcessSampler: reads the resident memory (VmRSS in /proc/PID/status) and the number of open
// file descriptors (entries of /proc/PID/fd) of a set of processes every few seconds, on its own
// thread, so a soak test can tell a leak from a steady state.
// Thread-safety: Watch before Start; Start/Stop/series from the owner thread only. The sampling
// thread touches nothing but its own vector, read by series() after Stop.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace fib::test {

struct ProcessSample {
  double t_s = 0;      // seconds since Start
  int64_t rss_kb = 0;  // VmRSS
  int64_t fds = 0;     // entries in /proc/PID/fd
};

struct ProcessSeries {
  std::string name;
  pid_t pid = 0;
  std::vector<ProcessSample> samples;
  int64_t read_errors = 0;  // samples that failed (the process was gone or /proc unreadable)
  std::string last_error;
};

struct ProcessSamplerOptions {
  int interval_ms = 2000;
};

// Returns VmRSS of `pid` in kB, or an error naming the pid when /proc cannot be read.
Result<int64_t> ReadRssKb(pid_t pid);
// Returns how many file descriptors `pid` has open, or an error naming the pid.
Result<int64_t> CountOpenFds(pid_t pid);

// Returns every sample as CSV: process,pid,t_s,rss_kb,fds (for plotting a long run).
std::string SamplesCsv(const std::vector<ProcessSeries>& series);

class ProcessSampler {
 public:
  explicit ProcessSampler(ProcessSamplerOptions options = {}) : options_(options) {}
  ~ProcessSampler() { Stop(); }
  ProcessSampler(const ProcessSampler&) = delete;
  ProcessSampler& operator=(const ProcessSampler&) = delete;

  // Adds a process to sample under `name` (e.g. "web --mode inline"). REQUIRES: not started.
  void Watch(std::string name, pid_t pid);
  // Takes a first sample now, then one every interval_ms until Stop.
  void Start();
  // Takes a last sample and joins the thread. Idempotent.
  void Stop();
  // Returns what was sampled. REQUIRES: stopped.
  const std::vector<ProcessSeries>& series() const { return series_; }

 private:
  void SampleAll();
  void Loop();

  ProcessSamplerOptions options_;
  std::vector<ProcessSeries> series_;
  std::chrono::steady_clock::time_point start_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace fib::test
