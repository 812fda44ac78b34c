// StackChoice: which programs one benchmark stack runs — our C++ web and worker, the Rails peer's
// (peers/rails-fibtastic: Puma and Ruby Sidekiq), a mixed pair, or apps somebody else started and
// that are measured by URL only (--target; docs/targets.md). Parsing and validating the flags
// that choose them.
// Thread-safety: plain values and pure functions.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace fib::bench {

struct StackChoice {
  std::string name = "cpp";    // as given: "cpp", "rails", "rails-web+cpp-worker", "target"
  std::string web = "cpp";     // "cpp" | "rails" | "target" (an app we did not start)
  std::string worker = "cpp";  // "cpp" | "rails" | "target" (none of ours)

  bool target() const { return web == "target"; }
  bool uses_rails() const { return web == "rails" || worker == "rails"; }
};

// Returns the stacks of a comma-separated --stack list, in order: "cpp", "rails", and mixed pairs
// "<cpp|rails>-web+<cpp|rails>-worker". An error names the bad item and the accepted forms.
Result<std::vector<StackChoice>> ParseStacks(const std::string& list);

// Returns `url` without a trailing "/" when it is http://HOST:PORT[/PATH] with a non-empty host
// and a port from 1 to 65535; an error naming `flag`, the URL and what to write instead.
Result<std::string> ValidateHttpUrl(const std::string& flag, const std::string& url);
// Returns `url` when it is redis://[:PASSWORD@]HOST:PORT[/DB]; an error naming the flag otherwise.
Result<std::string> ValidateRedisUrl(const std::string& url);

// Returns mode -> base URL from repeated "--target MODE=URL" (MODE inline or background). Both
// modes must be given exactly once.
Result<std::map<std::string, std::string>> ParseTargets(const std::vector<std::string>& specs);

// Returns the Rails peer's --profile for one of our profiles: lesson -> lesson, fibtastic -> none;
// an error for profiles the Rails app does not have.
Result<std::string> RailsProfile(const std::string& profile);

}  // namespace fib::bench
