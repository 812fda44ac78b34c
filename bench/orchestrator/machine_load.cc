#include "bench/orchestrator/machine_load.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string_view>

namespace fib::bench {
namespace {

// Returns the whitespace-separated words of `text`.
std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t at = 0;
  while (at < text.size()) {
    size_t start = text.find_first_not_of(" \t\n", at);
    if (start == std::string_view::npos) break;
    size_t end = std::min(text.find_first_of(" \t\n", start), text.size());
    words.push_back(text.substr(start, end - start));
    at = end;
  }
  return words;
}

// Parses a whole word as an integer; a negative one (tpgid is -1 without a terminal, and
// cutime/cstime are signed in theory) reads as 0.
bool ParseNumber(std::string_view word, uint64_t* out) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (error != std::errc() || end != word.data() + word.size()) return false;
  *out = value < 0 ? 0 : static_cast<uint64_t>(value);
  return true;
}

// Returns how far a cumulative counter rose; one that went down (iowait can, and a counter
// reset would) counts as no time rather than as a huge wrapped difference.
uint64_t Rise(uint64_t from, uint64_t to) { return to >= from ? to - from : 0; }

uint64_t OurTicks(const LoadSnapshot& before, const LoadSnapshot& after) {
  uint64_t risen = 0, reaped_before = 0;
  for (const auto& [pid, now] : after.ours) {
    auto then = before.ours.find(pid);
    risen += Rise(then == before.ours.end() ? 0 : then->second.cpu_ticks, now.cpu_ticks);
  }
  // A process of ours that exited was reaped by its parent, and that one (or, if it exited too,
  // its own parent) by an ancestor still ours: the whole time is now in that ancestor's
  // cutime/cstime, which `risen` counted, so the part counted at `before` must come off.
  for (const auto& [pid, then] : before.ours) {
    bool exited = !std::binary_search(after.alive.begin(), after.alive.end(), pid);
    if (after.ours.count(pid) == 0 && exited) reaped_before += then.cpu_ticks;
  }
  return Rise(reaped_before, risen);
}

// Sums of intervals; `outside` adds each interval's own (clamped) outside time.
struct Totals {
  double seconds = 0;
  int cpus = 0;
  uint64_t total = 0, ours = 0, outside = 0, steal = 0;

  void Add(const LoadInterval& i) {
    seconds += i.seconds;
    cpus = std::max(cpus, i.cpus);
    total += i.total_ticks;
    ours += i.our_ticks;
    outside += i.outside_ticks();
    steal += i.steal_ticks;
  }
  // Returns `ticks` as cores busy on average: the CPUs' whole time is `cpus` cores.
  double Cores(uint64_t ticks) const {
    return total == 0 ? 0 : static_cast<double>(ticks) * cpus / static_cast<double>(total);
  }
};

double Round3(double value) { return std::round(value * 1000) / 1000; }

}  // namespace

Result<CpuTicks> ParseCpuTicks(const std::string& proc_stat) {
  CpuTicks ticks;
  bool found = false;
  size_t at = 0;
  while (at < proc_stat.size()) {
    size_t end = std::min(proc_stat.find('\n', at), proc_stat.size());
    std::string_view line(proc_stat.data() + at, end - at);
    at = end + 1;
    if (line.size() > 3 && line.substr(0, 3) == "cpu" &&
        std::isdigit(static_cast<unsigned char>(line[3])))
      ++ticks.cpus;
    if (line.substr(0, 4) != "cpu ") continue;
    auto words = Words(line.substr(4));
    // Kernels before 2.6.11 stop after irq/softirq; missing states stay 0.
    uint64_t* fields[] = {&ticks.user,   &ticks.nice, &ticks.system,  &ticks.idle,
                          &ticks.iowait, &ticks.irq,  &ticks.softirq, &ticks.steal};
    if (words.size() < 4) return Status::Error("the cpu line of /proc/stat has under 4 fields");
    for (size_t i = 0; i < std::size(fields) && i < words.size(); ++i) {
      if (!ParseNumber(words[i], fields[i])) {
        return Status::Error("the cpu line of /proc/stat holds a non-number: " +
                             std::string(words[i].substr(0, 32)));
      }
    }
    found = true;
  }
  if (!found) return Status::Error("/proc/stat has no \"cpu \" line");
  if (ticks.cpus == 0) return Status::Error("/proc/stat has no cpuN line");
  return ticks;
}

Result<ProcessTicks> ParseProcessTicks(const std::string& pid_stat) {
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  size_t name_start = pid_stat.find('('), name_end = pid_stat.rfind(')');
  if (name_start == std::string::npos || name_end == std::string::npos || name_end < name_start) {
    return Status::Error("a /proc/<pid>/stat line without its (command name)");
  }
  ProcessTicks process;
  uint64_t pid = 0;
  auto head = Words(std::string_view(pid_stat).substr(0, name_start));
  if (head.size() != 1 || !ParseNumber(head[0], &pid) || pid == 0) {
    return Status::Error("a /proc/<pid>/stat line without a pid before its command name");
  }
  // After the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
  // utime stime cutime cstime (fields 3..17 of proc(5)).
  auto words = Words(std::string_view(pid_stat).substr(name_end + 1));
  uint64_t field[15] = {};
  if (words.size() < 15) return Status::Error("a short /proc/<pid>/stat line");
  for (size_t i = 1; i < 15; ++i) {
    if (!ParseNumber(words[i], &field[i])) {
      return Status::Error("a /proc/<pid>/stat field is not a number: " +
                           std::string(words[i].substr(0, 32)));
    }
  }
  process.pid = static_cast<pid_t>(pid);
  process.ppid = static_cast<pid_t>(field[1]);
  process.cpu_ticks = field[11] + field[12] + field[13] + field[14];
  return process;
}

std::map<pid_t, ProcessTicks> ProcessTree(const std::vector<ProcessTicks>& all, pid_t root) {
  std::multimap<pid_t, const ProcessTicks*> children;
  std::map<pid_t, ProcessTicks> tree;
  for (const auto& p : all) {
    if (p.pid == root) tree[root] = p;
    children.emplace(p.ppid, &p);
  }
  if (tree.empty()) return tree;
  std::vector<pid_t> pending = {root};
  while (!pending.empty()) {
    pid_t parent = pending.back();
    pending.pop_back();
    auto [first, last] = children.equal_range(parent);
    for (auto it = first; it != last; ++it) {
      // The emplace check also stops a cycle (impossible in /proc, but the text is not ours).
      if (tree.emplace(it->second->pid, *it->second).second) pending.push_back(it->second->pid);
    }
  }
  return tree;
}

LoadInterval Between(const LoadSnapshot& a, const LoadSnapshot& b) {
  LoadInterval i;
  i.seconds = std::max(0.0, b.t_s - a.t_s);
  i.cpus = std::max(a.cpu.cpus, b.cpu.cpus);
  uint64_t user = Rise(a.cpu.user, b.cpu.user), nice = Rise(a.cpu.nice, b.cpu.nice),
           system = Rise(a.cpu.system, b.cpu.system);
  // irq and softirq are left out of busy: the kernel charges our own loopback traffic there,
  // not to our processes.
  i.busy_ticks = user + nice + system;
  i.steal_ticks = Rise(a.cpu.steal, b.cpu.steal);
  i.total_ticks = i.busy_ticks + i.steal_ticks + Rise(a.cpu.idle, b.cpu.idle) +
                  Rise(a.cpu.iowait, b.cpu.iowait) + Rise(a.cpu.irq, b.cpu.irq) +
                  Rise(a.cpu.softirq, b.cpu.softirq);
  i.our_ticks = OurTicks(a, b);
  return i;
}

bool MachineLoad::busy() const {
  return measured() &&
         (outside_cores_mean > thresholds.outside_cores || steal_pct > thresholds.steal_pct);
}

MachineLoad Summarize(const std::vector<LoadSnapshot>& snapshots, double peak_window_s,
                      MachineLoadThresholds thresholds) {
  MachineLoad load;
  load.samples = static_cast<int>(snapshots.size());
  load.peak_window_s = peak_window_s;
  load.thresholds = thresholds;
  std::vector<LoadInterval> parts;
  for (size_t i = 1; i < snapshots.size(); ++i)
    parts.push_back(Between(snapshots[i - 1], snapshots[i]));
  Totals all;
  for (const auto& part : parts) all.Add(part);
  load.cpus = all.cpus;
  load.seconds = all.seconds;
  load.outside_cores_mean = all.Cores(all.outside);
  load.our_cores_mean = all.Cores(all.ours);
  load.steal_pct = all.total == 0 ? 0 : 100.0 * all.steal / all.total;
  // A run shorter than one window has only its mean to show.
  load.outside_cores_peak = load.outside_cores_mean;
  if (all.seconds < peak_window_s) return load;
  load.outside_cores_peak = 0;
  for (size_t first = 0; first < parts.size(); ++first) {
    Totals window;
    for (size_t j = first; j < parts.size() && window.seconds < peak_window_s; ++j) {
      window.Add(parts[j]);
    }
    if (window.seconds < peak_window_s) break;
    load.outside_cores_peak = std::max(load.outside_cores_peak, window.Cores(window.outside));
  }
  return load;
}

nlohmann::json MachineLoadJson(const MachineLoad& load) {
  nlohmann::json j = {
      {"outside_cores_mean", Round3(load.outside_cores_mean)},
      {"outside_cores_peak", Round3(load.outside_cores_peak)},
      {"our_cores_mean", Round3(load.our_cores_mean)},
      {"steal_pct", Round3(load.steal_pct)},
      {"cpus", load.cpus},
      {"samples", load.samples},
      {"seconds", Round3(load.seconds)},
      {"peak_window_s", load.peak_window_s},
      {"threshold",
       {{"outside_cores_mean", load.thresholds.outside_cores},
        {"steal_pct", load.thresholds.steal_pct}}},
      {"busy", load.busy()},
  };
  if (!load.error.empty()) j["error"] = load.error;
  return j;
}

std::string MachineLoadCondition(const MachineLoad& load, const std::string& scenario) {
  if (!load.measured()) {
    return "not measured during `" + scenario + "`" +
           (load.error.empty() ? std::string() : ": " + load.error);
  }
  std::string line = fmt::format(
      "other processes used {:.2f} of {} cores on average (peak {:.2f} over {:g} s windows), "
      "steal {:.1f}%, the run itself {:.2f} cores; {} samples over {:.0f} s; figures may have "
      "moved above {:g} core or {:g}% steal",
      load.outside_cores_mean, load.cpus, load.outside_cores_peak, load.peak_window_s,
      load.steal_pct, load.our_cores_mean, load.samples, load.seconds,
      load.thresholds.outside_cores, load.thresholds.steal_pct);
  return load.busy() ? "WARNING: busy machine: " + line : line;
}

std::string BusyWarning(const MachineLoad& load, const std::string& scenario) {
  if (!load.busy()) return "";
  return fmt::format(
      "WARNING: other processes used {:.2f} of {} cores on average during `{}` (peak {:.2f}; "
      "steal {:.1f}%); figures may be slower than on an idle machine",
      load.outside_cores_mean, load.cpus, scenario, load.outside_cores_peak, load.steal_pct);
}

std::string NotJudgedReason(const nlohmann::json& machine_load) {
  if (!machine_load.is_object() || !machine_load.value("busy", false)) return "";
  return fmt::format(
      "not judged: machine busy (other processes used {:.2f} of {} cores, steal {:.1f}%)",
      machine_load.value("outside_cores_mean", 0.0), machine_load.value("cpus", 0),
      machine_load.value("steal_pct", 0.0));
}

}  // namespace fib::bench
