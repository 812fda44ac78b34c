// AaCheck: the A/A mode of the comparison scenarios (`fibtastic-bench --aa`). The background
// variant runs N times as "A" and N times as "A2", interleaved on one stack, and is compared
// against itself with intervals under ±10% --fail-if gates: no real difference stands behind
// them, so none should be flagged (docs/repeated-runs.md).
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "bench/orchestrator/loadgen_run.h"
#include "bench/orchestrator/repeated_runs.h"
#include "bench/orchestrator/scenarios.h"
#include "common/status.h"

namespace fib::bench {

// Returns the flags `fibtastic-report compare` checks A/A runs with: ±10% gates on the response
// p50 and p99 and on the time until the email arrives (p50), Markdown output.
std::vector<std::string> AaCompareFlags();

// Returns the section of A/A run `id` on `profile` (runs as `spec`, the last run's): how it ran,
// both sides' medians and intervals, the compare's output (or why it failed) and the verdict.
// Its figures hold the sides' medians and intervals, "flagged" and "verdict".
Section AaSection(const std::string& id, const std::string& profile, const LoadgenSpec& spec,
                  const std::string& placement, const std::array<VariantRuns, 2>& variants,
                  const Result<std::string>& compare);

}  // namespace fib::bench
