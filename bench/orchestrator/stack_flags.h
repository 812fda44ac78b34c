// StackFlags: fibtastic-bench's flags that choose what is measured — --stack (our programs, the
// Rails peer's, mixed pairs, side by side) or --target with --redis-url/--mail-url (apps started
// by somebody else, measured by URL only; docs/targets.md) — and what follows from them for each
// stack's run.
// Thread-safety: thread-compatible.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/orchestrator/scenarios.h"
#include "bench/orchestrator/stack_choice.h"
#include "common/flags.h"
#include "common/status.h"

namespace fib::bench {

struct StackFlags {
  std::string stack_list = "cpp";
  std::vector<std::string> targets;  // MODE=URL
  std::string mail_url;
  std::string rails_dir;

  // Adds --stack, --target, --mail-url and --rails-dir to `flags`.
  void Register(FlagSet* flags);
  // Validates the flags (with options->redis_url for a target) and fills options->stack (the
  // first), rails_dir, targets and target_mail_url. Returns the stacks to run, in order; an
  // error (exit 2) naming the flag and what to write instead.
  Result<std::vector<StackChoice>> Resolve(BenchOptions* options) const;
};

// Returns "" for the first stack and "-<name>" for the others: their sections' id suffix.
std::string StackSuffix(const std::vector<StackChoice>& stacks, size_t k);
// Returns `options` for running stacks[k].
BenchOptions OptionsForStack(const BenchOptions& options, const std::vector<StackChoice>& stacks,
                             size_t k);
// Adds the stacks (and a target's URLs) to the report's conditions.
void AddStackConditions(const std::vector<StackChoice>& stacks, const BenchOptions& options,
                        nlohmann::json* conditions);
// True when the report gets the side-by-side "stacks" section: several stacks, or a Rails one.
bool WantsStackComparison(const std::vector<StackChoice>& stacks);
// Runs the worker drain comparison when a stack uses Ruby Sidekiq (WorkerDrainRates); returns
// its figures, {"error": why}, or null when no stack needs it.
nlohmann::json DrainRatesFor(const std::vector<StackChoice>& stacks, const BenchOptions& options,
                             const std::string& source_dir);

}  // namespace fib::bench
