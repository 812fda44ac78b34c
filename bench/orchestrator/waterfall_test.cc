// Unit tests of the saturation scenario's computed sentence: it must say what the figures show —
// the job waited, or it also got slower, and then whether its CPU demand outran the workers' cores.
#include "bench/orchestrator/waterfall.h"

#include <catch2/catch.hpp>

using fib::bench::SaturationStages;
using fib::bench::SaturationStageTable;
using fib::bench::WorkerCpu;

namespace {

SaturationStages Step(double rate_rps, double wait_ms, double recommendations_ms) {
  nlohmann::json stages = {{"queue wait", {{"p50_ms", wait_ms}}},
                           {"pickup", {{"p50_ms", 0.1}}},
                           {"generate recommendations", {{"p50_ms", recommendations_ms}}},
                           {"smtp", {{"p50_ms", 100.0}}}};
  return SaturationStages{rate_rps, {{"stages", stages}}};
}

std::string Table(double wait16, double rec16, WorkerCpu cpu) {
  return SaturationStageTable({Step(4, 0.3, 100), Step(16, wait16, rec16)},
                              {"generate recommendations"}, cpu);
}

}  // namespace

TEST_CASE("the saturation sentence says the job waited when only the queue wait grew",
          "[bench][waterfall]") {
  std::string t = Table(2500, 104, WorkerCpu{100, 2});
  CHECK_THAT(t, Catch::Contains("| 16 | 2500 |"));
  CHECK_THAT(t, Catch::Contains("under load the job did not get slower, it waited."));
}

TEST_CASE("the saturation sentence blames the cores when the jobs' CPU demand exceeds them",
          "[bench][waterfall]") {
  // 16 req/s x 100 ms of CPU = 1.6 CPU-seconds per second on the 1 core of split placement.
  std::string t = Table(397, 891, WorkerCpu{100, 1});
  CHECK_THAT(t, Catch::Contains("the job waited longer and also got slower"));
  CHECK_THAT(t, Catch::Contains("16 × 100 ms = 1.6 CPU-seconds per second, more than the 1 core"));
  CHECK_THAT(t, Catch::Contains("needs cores, not only worker threads"));
}

TEST_CASE("the saturation sentence points at the machine when the CPU demand fits the cores",
          "[bench][waterfall]") {
  CHECK_THAT(Table(397, 300, WorkerCpu{10, 2}),
             Catch::Contains("ask for only 0.2 of the 2 cores its workers run on: look at the "
                             "machine's load"));
  CHECK_THAT(Table(0.3, 300, WorkerCpu{0, 2}), Catch::Contains("the job got slower, though it has "
                                                               "no cpu stage"));
  CHECK_THAT(Table(0.5, 101, WorkerCpu{100, 2}),
             Catch::Contains("neither the queue wait nor the job's own stages grew much."));
}
