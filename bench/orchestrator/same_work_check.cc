#include "bench/orchestrator/same_work_check.h"

#include <fmt/format.h>

#include <cmath>

#include "bench/orchestrator/loadgen_run.h"

namespace fib::bench {
std::string SameWorkCheck(nlohmann::json* points) {
  std::string flagged;
  for (auto& p : *points) {
    double in = NumberAt(p, "inline_email_p50_ms"), bg = NumberAt(p, "background_email_p50_ms");
    if (std::isnan(in) || std::isnan(bg) || in < 20) continue;  // short jobs: overhead dominates
    p["background_vs_inline_email"] = bg / in;
    if (bg > 1.25 * in && bg - in > 20) {
      flagged += fmt::format("{}sequence_length {} (background {} ms vs inline {} ms, {:.1f}×)",
                             flagged.empty() ? "" : "; ", p.value("sequence_length", 0), Ms(bg),
                             Ms(in), bg / in);
    }
  }
  if (flagged.empty()) return "";
  return "> **WARNING: the same job took longer in the background than inline at " + flagged +
         ". The work is identical, so the job ran slower on the workers' core during that row "
         "(another process or the hypervisor took CPU time there; see the machine load in the "
         "conditions): noise, not a cost of background jobs. Rerun, or use REPEAT.**\n\n";
}

}  // namespace fib::bench
