// The heroku scenario's measured parts (docs/heroku.md): the lesson's scaling story on app-two
// (worker=0, 1, 2) and one network partition while the web takes jobs. Each returns its report
// rows (Markdown) and its figures for summary.json (heroku.scaling, heroku.partitions.<name>).
// Thread-safety: run from the orchestrator thread, one at a time.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "bench/orchestrator/heroku_hosts.h"
#include "common/status.h"

namespace fib::bench {

using PartFigures = std::pair<std::string, nlohmann::json>;  // Markdown, figures

// One partition: hosts `a` and `b` cut apart while the web takes jobs.
struct PartitionSpec {
  std::string name, a, b, what;
  bool recovery_by_response = false;  // web_redis: first accepted response after healing
};

// worker=0: a burst waits in Redis and no email comes; worker=1 drains it; worker=2 drains an
// equal burst. REQUIRES: hosts started; leaves no worker running.
Result<PartFigures> HerokuScaling(HerokuHosts& hosts, bool quick);

// Posts jobs for a while, cuts `spec.a` from `spec.b` in the middle, heals, waits for the emails
// and counts. Always heals, also on failure. REQUIRES: one worker running on app-two.
Result<PartFigures> HerokuPartition(HerokuHosts& hosts, const PartitionSpec& spec, bool quick);

// The partitions' table heading, with how long each run and cut lasts.
std::string HerokuPartitionIntro(bool quick);

}  // namespace fib::bench
