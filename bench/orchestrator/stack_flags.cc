#include "bench/orchestrator/stack_flags.h"

#include "bench/orchestrator/stack_report.h"
#include "common/log.h"

namespace fib::bench {

void StackFlags::Register(FlagSet* flags) {
  flags->String("stack", 0, &stack_list, "LIST",
                "stacks to run, side by side: cpp (ours), rails (peers/rails-fibtastic: Puma + "
                "Ruby Sidekiq), rails-web+cpp-worker, cpp-web+rails-worker; the first one's "
                "figures are the headline (docs/targets.md)");
  flags->StringList("target", 0, &targets, "MODE=URL",
                    "measure an app we did not start (never stopped): --target inline=URL "
                    "--target background=URL, URL = http://HOST:PORT; with --redis-url and "
                    "--mail-url where they exist (docs/targets.md)");
  flags->String("mail-url", 0, &mail_url, "URL",
                "with --target: the HTTP base of the mail sink inbox the app sends through "
                "(time to email); none = not measured");
  flags->String("rails-dir", 0, &rails_dir, "DIR", "the Rails app (bin/web, bin/worker)");
}

Result<std::vector<StackChoice>> StackFlags::Resolve(BenchOptions* options) const {
  auto stacks = ParseStacks(stack_list);
  if (!stacks.ok()) return stacks.status();
  options->rails_dir = rails_dir;
  if (targets.empty()) {
    if (!mail_url.empty()) {
      return Status::Error(
          "--mail-url is for --target: a stack the orchestrator starts has its own mail sink");
    }
    options->stack = stacks->front();
    return stacks;
  }
  if (stack_list != "cpp") {
    return Status::Error("--target measures apps by URL; it cannot be combined with --stack");
  }
  auto urls = ParseTargets(targets);
  if (!urls.ok()) return urls.status();
  options->targets = *urls;
  if (!mail_url.empty()) {
    auto mail = ValidateHttpUrl("--mail-url", mail_url);
    if (!mail.ok()) return mail.status();
    options->target_mail_url = *mail;
  }
  if (!options->redis_url.empty()) {
    auto redis = ValidateRedisUrl(options->redis_url);
    if (!redis.ok()) return redis.status();
  }
  options->stack = {"target", "target", "target"};
  return std::vector<StackChoice>{options->stack};
}

std::string StackSuffix(const std::vector<StackChoice>& stacks, size_t k) {
  return k == 0 ? "" : "-" + stacks[k].name;
}

BenchOptions OptionsForStack(const BenchOptions& options, const std::vector<StackChoice>& stacks,
                             size_t k) {
  BenchOptions o = options;
  o.stack = stacks[k];
  o.id_suffix = StackSuffix(stacks, k);
  return o;
}

void AddStackConditions(const std::vector<StackChoice>& stacks, const BenchOptions& options,
                        nlohmann::json* conditions) {
  std::string names;
  for (const auto& s : stacks) {
    names +=
        (names.empty() ? "" : ", ") + s.name + " (web: " + s.web + ", worker: " + s.worker + ")";
  }
  (*conditions)["stacks"] = names;
  if (!options.stack.target()) return;
  (*conditions)["target"] =
      "inline " + options.targets.at("inline") + ", background " +
      options.targets.at("background") + "; Redis " +
      (options.redis_url.empty() ? std::string("not given") : options.redis_url) + "; mail inbox " +
      (options.target_mail_url.empty() ? std::string("not given") : options.target_mail_url) +
      "; apps the orchestrator neither started nor stopped";
}

bool WantsStackComparison(const std::vector<StackChoice>& stacks) {
  return stacks.size() > 1 || stacks.front().uses_rails();
}

nlohmann::json DrainRatesFor(const std::vector<StackChoice>& stacks, const BenchOptions& options,
                             const std::string& source_dir) {
  bool rails = false;
  for (const auto& s : stacks) rails = rails || s.worker == "rails";
  if (!rails) return nullptr;
  // Quick: enough jobs that our worker's drain (tens of thousands a second) spans well over the
  // timer's 2 ms polls.
  const int jobs = options.quick ? 10000 : 20000;
  Log("stacks: worker drain rate, ours vs Ruby Sidekiq, {} no-op jobs ...", jobs);
  auto rates = WorkerDrainRates(source_dir + "/bench/calibration/worker_throughput.sh",
                                options.bin_dir, jobs, options.out_dir + "/worker_drain.log");
  if (!rates.ok()) return {{"error", rates.message()}};
  return *rates;
}

}  // namespace fib::bench
