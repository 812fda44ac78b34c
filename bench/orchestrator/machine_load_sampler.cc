#include "bench/orchestrator/machine_load_sampler.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace fib::bench {
namespace {

// Reads a whole /proc file (they report size 0, so read until the end). Returns false when it
// cannot be opened or read — for a process, usually because it has just exited.
bool ReadProcFile(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out->clear();
  char buffer[4096];
  ssize_t n = 0;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) out->append(buffer, static_cast<size_t>(n));
  close(fd);
  return n == 0;
}

// Returns every process /proc lists that could be read; those that exit meanwhile are skipped.
std::vector<ProcessTicks> AllProcesses(const std::string& proc_dir) {
  std::vector<ProcessTicks> all;
  DIR* dir = opendir(proc_dir.c_str());
  if (dir == nullptr) return all;
  std::string text;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
    if (!ReadProcFile(proc_dir + "/" + entry->d_name + "/stat", &text)) continue;
    auto process = ParseProcessTicks(text);
    if (process.ok()) all.push_back(*process);
  }
  closedir(dir);
  return all;
}

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

Result<LoadSnapshot> TakeLoadSnapshot(const std::string& proc_dir, pid_t root) {
  LoadSnapshot snapshot;
  snapshot.t_s = NowSeconds();
  std::string text;
  std::string path = proc_dir + "/stat";
  if (!ReadProcFile(path, &text)) {
    return Status::Error("cannot read " + path + ": " + std::strerror(errno) +
                         " (machine load needs Linux /proc)");
  }
  auto cpu = ParseCpuTicks(text);
  if (!cpu.ok()) return Status::Error(path + ": " + cpu.message());
  snapshot.cpu = *cpu;
  std::vector<ProcessTicks> all = AllProcesses(proc_dir);
  snapshot.ours = ProcessTree(all, root);
  for (const auto& process : all) snapshot.alive.push_back(process.pid);
  std::sort(snapshot.alive.begin(), snapshot.alive.end());
  if (snapshot.ours.empty()) {
    return Status::Error("process " + std::to_string(root) + " is not in " + proc_dir);
  }
  return snapshot;
}

MachineLoadSampler::MachineLoadSampler(MachineLoadSamplerOptions options)
    : options_(std::move(options)) {
  if (options_.root_pid == 0) options_.root_pid = getpid();
}

MachineLoadSampler::~MachineLoadSampler() { Stop(); }

void MachineLoadSampler::Start() {
  Sample();
  thread_ = std::thread([this] { Loop(); });
}

MachineLoad MachineLoadSampler::Stop() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
    Sample();
  }
  MachineLoad load = Summarize(snapshots_, options_.peak_window_s, options_.thresholds);
  if (!load.measured()) load.error = last_error_;
  return load;
}

void MachineLoadSampler::Loop() {
  auto next = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    next += std::chrono::milliseconds(options_.interval_ms);
    if (wake_.wait_until(lock, next, [this] { return stop_; })) break;
    lock.unlock();
    Sample();
    lock.lock();
  }
}

void MachineLoadSampler::Sample() {
  auto snapshot = TakeLoadSnapshot(options_.proc_dir, options_.root_pid);
  if (snapshot.ok()) {
    snapshots_.push_back(std::move(*snapshot));
  } else {
    last_error_ = snapshot.message();
  }
}

}  // namespace fib::bench
