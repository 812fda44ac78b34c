// Waterfall: where a request's time goes, stage by stage, from a loadgen report's stages_ms and
// server_timing_ms (docs/report-format.md): the figures for summary.json, the lesson's two
// diagrams as terminal text with the measured values beside the lesson's, and the per-stage
// table and sentence of the saturation scenario. Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fib::bench {

// Returns {"stages": {name: {"p50_ms", "p99_ms"}}, "queue_wait_p50_ms", "queue_wait_p99_ms",
// "littles_law": {...}} from a loadgen report: the web's Server-Timing metrics and the joined
// email stages. Absent figures are left out.
nlohmann::json StageFigures(const nlohmann::json& report);

// Returns the lesson's two diagrams (inline; background with the worker's side) with each step's
// lesson figure and measured p50 (p99), from CompareFigures' "inline" and "background" objects.
std::string LessonDiagrams(const nlohmann::json& inline_figures,
                           const nlohmann::json& background_figures);

// Returns the Markdown table of every stage's p50 / p99 and the Little's-law line of one variant.
std::string StageTable(const nlohmann::json& figures);

// One saturation step: offered rate and the background run's StageFigures.
struct SaturationStages {
  double rate_rps = 0;
  nlohmann::json figures;
};
// What the workers' CPU could give: the profile's CPU time per job (its cpu stages, ms) and the
// cores the workers may run on (1 when pinned, every core when shared).
struct WorkerCpu {
  double cpu_ms_per_job = 0;
  int cores = 1;
};
// Returns the per-stage table across offered rates and one sentence computed from it: what grew
// (queue wait) and what did not (the job's own stages); when the job's stages grew too, the
// sentence says whether the jobs asked for more CPU than the workers' cores give.
std::string SaturationStageTable(const std::vector<SaturationStages>& steps,
                                 const std::vector<std::string>& job_stages, WorkerCpu cpu);

}  // namespace fib::bench
