// Unit tests of the busy-machine figures: canned /proc/stat and /proc/<pid>/stat texts in, outside
// load (cores) and steal out — including counters that go down, processes that exit between
// snapshots, and the lesson check that is not judged on a busy machine.
#include "bench/orchestrator/machine_load.h"

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "bench/orchestrator/report_writer.h"

using fib::bench::Between;
using fib::bench::BusyWarning;
using fib::bench::CpuTicks;
using fib::bench::LoadSnapshot;
using fib::bench::MachineLoad;
using fib::bench::MachineLoadJson;
using fib::bench::ParseCpuTicks;
using fib::bench::ParseProcessTicks;
using fib::bench::ProcessTicks;
using fib::bench::Summarize;

namespace {

struct Cpu {
  uint64_t user = 0, system = 0, idle = 0, iowait = 0, steal = 0;
};

// Returns /proc/stat text for two CPUs with these totals (split evenly per CPU).
std::string ProcStat(const Cpu& c) {
  std::string text =
      fmt::format("cpu  {} 0 {} {} {} 0 7 {} 0 0\n", c.user, c.system, c.idle, c.iowait, c.steal);
  for (int cpu = 0; cpu < 2; ++cpu) {
    text += fmt::format("cpu{} {} 0 {} {} {} 0 3 {} 0 0\n", cpu, c.user / 2, c.system / 2,
                        c.idle / 2, c.iowait / 2, c.steal / 2);
  }
  return text + "intr 123456 0 0 9\nctxt 99999\nbtime 1700000000\nprocesses 4242\n";
}

// Returns one /proc/<pid>/stat line, with a command name that holds spaces and parentheses.
std::string PidStat(int pid, int ppid, int utime, int stime, int cutime, int cstime) {
  return fmt::format(
      "{} (web (inline) x) S {} {} {} 0 -1 4194560 1200 0 0 0 {} {} {} {} 20 0 5 0 777 1000 50 "
      "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
      pid, ppid, pid, pid, utime, stime, cutime, cstime);
}

LoadSnapshot Snapshot(double t_s, const Cpu& cpu, const std::vector<std::string>& pid_stats) {
  LoadSnapshot s;
  s.t_s = t_s;
  auto ticks = ParseCpuTicks(ProcStat(cpu));
  REQUIRE(ticks.ok());
  s.cpu = *ticks;
  for (const auto& text : pid_stats) {
    auto process = ParseProcessTicks(text);
    REQUIRE(process.ok());
    s.ours[process->pid] = *process;
    s.alive.push_back(process->pid);
  }
  return s;
}

}  // namespace

TEST_CASE("ParseCpuTicks reads the cpu line and counts the CPUs", "[machine_load]") {
  auto ticks = ParseCpuTicks(ProcStat({1000, 500, 8000, 100, 40}));
  REQUIRE(ticks.ok());
  CHECK(ticks->user == 1000);
  CHECK(ticks->system == 500);
  CHECK(ticks->idle == 8000);
  CHECK(ticks->iowait == 100);
  CHECK(ticks->softirq == 7);
  CHECK(ticks->steal == 40);
  CHECK(ticks->cpus == 2);
  CHECK_FALSE(ParseCpuTicks("intr 1 2 3\n").ok());
  CHECK_FALSE(ParseCpuTicks("cpu  1 2 x 4\ncpu0 1 2 3 4\n").ok());
  CHECK_FALSE(ParseCpuTicks("cpu  1 2\ncpu0 1 2\n").ok());
}

TEST_CASE("ParseProcessTicks sums own and reaped children's CPU after the command name",
          "[machine_load]") {
  auto p = ParseProcessTicks(PidStat(4242, 17, 100, 20, 30, 4));
  REQUIRE(p.ok());
  CHECK(p->pid == 4242);
  CHECK(p->ppid == 17);
  CHECK(p->cpu_ticks == 154);
  CHECK_FALSE(ParseProcessTicks("4242 no name here 1 2 3").ok());
  CHECK_FALSE(ParseProcessTicks("4242 (short) S 1 2 3\n").ok());
  CHECK_FALSE(ParseProcessTicks("(x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15").ok());
}

TEST_CASE("ProcessTree keeps the root and its descendants only", "[machine_load]") {
  std::vector<ProcessTicks> all = {{10, 1, 0}, {11, 10, 0}, {12, 11, 0},
                                   {13, 1, 0}, {14, 13, 0}, {15, 10, 0}};
  auto tree = fib::bench::ProcessTree(all, 10);
  CHECK(tree.size() == 4);
  CHECK(tree.count(12) == 1);
  CHECK(tree.count(15) == 1);
  CHECK(tree.count(13) == 0);
  CHECK(tree.count(14) == 0);
  CHECK(fib::bench::ProcessTree(all, 99).empty());
}

TEST_CASE("Outside load is the machine's busy time minus the run's, in cores", "[machine_load]") {
  // 2 CPUs over 1.5 s = 300 ticks; 200 busy; ours rose by 30 (root) + 20 (a new child).
  LoadSnapshot a = Snapshot(0, {1000, 500, 8000}, {PidStat(10, 1, 80, 20, 0, 0)});
  LoadSnapshot b = Snapshot(1.5, {1150, 550, 8100},
                            {PidStat(10, 1, 105, 25, 0, 0), PidStat(11, 10, 15, 5, 0, 0)});
  auto interval = Between(a, b);
  CHECK(interval.total_ticks == 300);
  CHECK(interval.busy_ticks == 200);
  CHECK(interval.our_ticks == 50);
  CHECK(interval.outside_ticks() == 150);
  MachineLoad load = Summarize({a, b}, 1.0, {});
  CHECK(load.cpus == 2);
  CHECK(load.outside_cores_mean == Approx(1.0));
  CHECK(load.our_cores_mean == Approx(1.0 / 3));
  CHECK(load.steal_pct == 0);
  CHECK(load.busy());
  CHECK(BusyWarning(load, "lesson") ==
        "WARNING: other processes used 1.00 of 2 cores on average during `lesson` (peak 1.00; "
        "steal 0.0%); figures may be slower than on an idle machine");
}

TEST_CASE("Steal alone marks the machine busy", "[machine_load]") {
  // 300 ticks, 30 stolen (10%); the run did all the busy work.
  LoadSnapshot a = Snapshot(0, {1000, 500, 8000, 0, 100}, {PidStat(10, 1, 0, 0, 0, 0)});
  LoadSnapshot b = Snapshot(1.5, {1100, 550, 8120, 0, 130}, {PidStat(10, 1, 100, 50, 0, 0)});
  MachineLoad load = Summarize({a, b}, 1.0, {});
  CHECK(load.outside_cores_mean == 0);
  CHECK(load.steal_pct == Approx(10));
  CHECK(load.busy());
  CHECK(BusyWarning(load, "lesson").find("steal 10.0%") != std::string::npos);
  load.thresholds.steal_pct = 20;
  CHECK_FALSE(load.busy());
  CHECK(BusyWarning(load, "lesson").empty());
}

TEST_CASE("Counters that go down count as no time, not as a wrapped huge one", "[machine_load]") {
  // iowait is known to go backwards; the run's own counter dropping (a pid reused) too.
  LoadSnapshot a = Snapshot(0, {1000, 500, 8000, 100}, {PidStat(10, 1, 500, 0, 0, 0)});
  LoadSnapshot b = Snapshot(1.5, {1150, 550, 8100, 90}, {PidStat(10, 1, 30, 0, 0, 0)});
  auto interval = Between(a, b);
  CHECK(interval.total_ticks == 300);
  CHECK(interval.our_ticks == 0);
  MachineLoad load = Summarize({a, b}, 1.0, {});
  CHECK(load.outside_cores_mean == Approx(4.0 / 3));
  CHECK(load.outside_cores_mean <= load.cpus);
}

TEST_CASE("A process reaped between snapshots is counted once, through its parent",
          "[machine_load]") {
  // Child 11 (and its child 12) ran 40 + 25 ticks by `a`; by `b` 12 was reaped by 11 and 11 by the
  // root, whose cutime now holds 11's total of 80 (its own 50 and 12's final 30): the new ticks
  // are the root's 10, 11's 10 and 12's 5.
  const Cpu before{1000, 500, 8000}, after{1050, 500, 8250};
  LoadSnapshot a = Snapshot(
      0, before,
      {PidStat(10, 1, 100, 0, 0, 0), PidStat(11, 10, 40, 0, 0, 0), PidStat(12, 11, 25, 0, 0, 0)});
  LoadSnapshot reaped = Snapshot(1.5, after, {PidStat(10, 1, 110, 0, 80, 0)});
  CHECK(Between(a, reaped).our_ticks == 25);
  // Reparented instead (alive, no longer ours): the root's own 10 ticks only, nothing subtracted.
  LoadSnapshot left = Snapshot(1.5, after, {PidStat(10, 1, 110, 0, 0, 0)});
  left.alive = {10, 11, 12};
  CHECK(Between(a, left).our_ticks == 10);
}

TEST_CASE("The peak is the busiest window of at least peak_window_s", "[machine_load]") {
  // Four 0.5 s intervals (100 ticks each on 2 CPUs); outside 0, 0, 1.6 and 0.4 cores.
  std::vector<LoadSnapshot> s;
  const uint64_t outside[] = {0, 0, 80, 20};
  Cpu cpu{1000, 0, 8000};
  s.push_back(Snapshot(0, cpu, {PidStat(10, 1, 0, 0, 0, 0)}));
  for (int i = 0; i < 4; ++i) {
    cpu.user += outside[i];
    cpu.idle += 100 - outside[i];
    s.push_back(Snapshot(0.5 * (i + 1), cpu, {PidStat(10, 1, 0, 0, 0, 0)}));
  }
  MachineLoad load = Summarize(s, 1.0, {});
  CHECK(load.samples == 5);
  CHECK(load.seconds == Approx(2.0));
  CHECK(load.outside_cores_mean == Approx(0.5));
  CHECK(load.outside_cores_peak == Approx(1.0));  // the last two intervals
  CHECK(Summarize({s[0]}, 1.0, {}).measured() == false);
  CHECK_FALSE(Summarize({s[0]}, 1.0, {}).busy());
}

TEST_CASE("The lesson check is not judged when the lesson ran on a busy machine",
          "[machine_load]") {
  nlohmann::json figures = {{"inline", {{"p50_ms", 240.0}}}, {"background", {{"p50_ms", 24.5}}}};
  CHECK(fib::bench::HeadlineTable(figures).find("| +7.6% (outside ±5%) of 223 ms |") !=
        std::string::npos);
  MachineLoad idle;
  idle.samples = 10;
  idle.seconds = 5;
  idle.cpus = 2;
  idle.outside_cores_mean = 0.1;
  figures["machine_load"] = MachineLoadJson(idle);
  CHECK(fib::bench::HeadlineTable(figures).find("(outside ±5%)") != std::string::npos);
  MachineLoad busy = idle;
  busy.outside_cores_mean = 0.9;
  figures["machine_load"] = MachineLoadJson(busy);
  std::string table = fib::bench::HeadlineTable(figures);
  CHECK(table.find("±5%") == std::string::npos);
  CHECK(table.find("| +7.6% of 223 ms, not judged: machine busy (other processes used 0.90 of 2 "
                   "cores, steal 0.0%) |") != std::string::npos);
}
