#include "tests/soak/process_sampler.h"

#include <dirent.h>

#include <fstream>
#include <sstream>

namespace fib::test {

Result<int64_t> ReadRssKb(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/status";
  std::ifstream in(path);
  if (!in)
    return Status::Error("cannot read " + path + " (has process " + std::to_string(pid) +
                         " exited?)");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    std::istringstream fields(line.substr(6));
    int64_t kb = 0;
    if (fields >> kb) return kb;
  }
  return Status::Error("no VmRSS line in " + path + " (a zombie process has none)");
}

Result<int64_t> CountOpenFds(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/fd";
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) {
    return Status::Error("cannot list " + path + " (exited, or not our process?)");
  }
  int64_t count = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count;
}

std::string SamplesCsv(const std::vector<ProcessSeries>& series) {
  std::ostringstream out;
  out << "process,pid,t_s,rss_kb,fds\n";
  for (const ProcessSeries& one : series) {
    for (const ProcessSample& s : one.samples) {
      out << one.name << ',' << one.pid << ',' << s.t_s << ',' << s.rss_kb << ',' << s.fds << '\n';
    }
  }
  return out.str();
}

void ProcessSampler::Watch(std::string name, pid_t pid) {
  ProcessSeries series;
  series.name = std::move(name);
  series.pid = pid;
  series_.push_back(std::move(series));
}

void ProcessSampler::Start() {
  start_ = std::chrono::steady_clock::now();
  SampleAll();
  thread_ = std::thread([this] { Loop(); });
}

void ProcessSampler::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  thread_.join();
  SampleAll();
}

void ProcessSampler::Loop() {
  auto next = start_;
  while (!stop_) {
    next += std::chrono::milliseconds(options_.interval_ms);
    // Sleep in short steps so Stop returns quickly.
    while (!stop_ && std::chrono::steady_clock::now() < next) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!stop_) SampleAll();
  }
}

void ProcessSampler::SampleAll() {
  double t_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  for (ProcessSeries& series : series_) {
    auto rss = ReadRssKb(series.pid);
    auto fds = CountOpenFds(series.pid);
    if (!rss.ok() || !fds.ok()) {
      ++series.read_errors;
      series.last_error = rss.ok() ? fds.message() : rss.message();
      continue;
    }
    series.samples.push_back({t_s, *rss, *fds});
  }
}

}  // namespace fib::test
