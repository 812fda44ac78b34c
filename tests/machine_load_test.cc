// Integration test of the busy-machine warning (bench/orchestrator/machine_load_sampler.h) with
// real processes: a shell standing in for the run's own process tree burns about one core through
// short-lived children (only their parents' cutime can account for them), and a CPU hog runs
// beside it, outside that tree. The sampler must blame the hog and never the run itself.
#include <fmt/format.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench/orchestrator/machine_load_sampler.h"
#include "tests/support/subprocess.h"

using fib::bench::BusyWarning;
using fib::bench::MachineLoad;
using fib::bench::MachineLoadCondition;
using fib::test::Subprocess;

namespace {

// "Our" run: one core busy in children that live 0.3 s each, then are killed and reaped.
const std::vector<std::string> kOurRun = {
    "sh", "-c", "while :; do timeout 0.3 sh -c 'while :; do :; done'; done"};
const std::vector<std::string> kHog = {"sh", "-c", "while :; do :; done"};

// Returns the CPU ticks `pid` and the children it reaped have used so far (utime + stime +
// cutime + cstime, fields 14..17 of proc(5); 0 when /proc cannot tell): the kernel's own account,
// read here without the code under test, to check the sampler's against.
uint64_t CpuTicksOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  size_t name_end = line.rfind(')');
  if (name_end == std::string::npos) return 0;
  std::istringstream fields(line.substr(name_end + 2));
  std::string skip;
  for (int field = 3; field < 14; ++field) fields >> skip;
  uint64_t ticks = 0, sum = 0;
  for (int field = 14; field <= 17 && fields >> ticks; ++field) sum += ticks;
  return sum;
}

struct Measured {
  MachineLoad load;
  double watched_cores = 0;  // what `watched` (and the children it reaped) used meanwhile
};

// Samples for `seconds` with `root`'s tree as the run's own processes.
Measured Measure(pid_t root, double seconds, pid_t watched = 0) {
  fib::bench::MachineLoadSamplerOptions options;
  options.root_pid = root;
  fib::bench::MachineLoadSampler sampler(options);
  if (watched == 0) watched = root;
  uint64_t ticks_before = CpuTicksOf(watched);
  auto start = std::chrono::steady_clock::now();
  sampler.Start();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  Measured m{sampler.Stop()};
  double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  m.watched_cores = static_cast<double>(CpuTicksOf(watched) - ticks_before) /
                    static_cast<double>(sysconf(_SC_CLK_TCK)) / elapsed_s;
  return m;
}

}  // namespace

TEST_CASE("No warning when only the run's own processes keep the machine busy", "[machine_load]") {
  // On a shared machine other load may come and go: a warning only fails the test when the
  // machine was quiet just before and just after it.
  for (int attempt = 1; attempt <= 3; ++attempt) {
    MachineLoad before = Measure(getpid(), 1.5).load;
    Subprocess ours(kOurRun);
    Measured during = Measure(ours.pid(), 4);
    ours.Stop();
    INFO(MachineLoadCondition(during.load, "idle case")
         << "; the kernel's account of the run: " << during.watched_cores << " cores");
    REQUIRE(during.load.measured());
    // The sampler's account of the run's tree (most of its work in children already reaped)
    // matches the kernel's, on a quiet or a busy machine; a live burner at either end is the most
    // the two may differ by.
    CHECK(during.load.our_cores_mean == Approx(during.watched_cores).margin(0.2));
    if (!before.busy() && !during.load.busy()) {
      CHECK(during.load.our_cores_mean > 0.6);  // about a core, all of it the run's
      CHECK(BusyWarning(during.load, "idle case").empty());
      return;
    }
    MachineLoad after = Measure(getpid(), 1.5).load;
    if (!before.busy() && !after.busy()) FAIL("warned on a machine quiet before and after");
    WARN("attempt " << attempt << ": other load: " << MachineLoadCondition(before, "pre-check")
                    << " / " << MachineLoadCondition(after, "post-check"));
  }
  WARN("not judged: the machine stayed busy through 3 attempts of the idle case");
}

TEST_CASE("A CPU hog beside the run raises the warning and names its share", "[machine_load]") {
  Subprocess ours(kOurRun);
  Subprocess hog(kHog);  // the test's child, not the run's: outside load
  Measured with_hog = Measure(ours.pid(), 4, hog.pid());
  const MachineLoad& load = with_hog.load;
  std::string warning = BusyWarning(load, "hog");
  INFO(MachineLoadCondition(load, "hog")
       << "; the hog used " << with_hog.watched_cores << " cores");
  REQUIRE(load.measured());
  CHECK(load.busy());
  // The hog is counted as outside (other processes may add to it). On 2 cores the run's tree
  // (about one core at most) and the hog leave nothing idle, so outside is near 1 core or more.
  CHECK(load.outside_cores_mean > with_hog.watched_cores - 0.15);
  CHECK(load.outside_cores_mean > (load.cpus >= 2 ? 0.6 : 0.3));
  CHECK(load.outside_cores_mean <= load.cpus + 0.05);
  CHECK(load.our_cores_mean > 0.1);
  CHECK(warning.rfind(fmt::format("WARNING: other processes used {:.2f} of {} cores on average "
                                  "during `hog`",
                                  load.outside_cores_mean, load.cpus),
                      0) == 0);
}
