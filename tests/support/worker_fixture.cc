#include "tests/support/worker_fixture.h"

#include <sstream>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace fib::test {

std::unique_ptr<RedisJobQueue> Producer(const RedisServer& redis) {
  RedisQueueOptions options;
  options.url = redis.url();
  return std::make_unique<RedisJobQueue>(options);
}

JobPayload SequenceJob(const std::string& email, int length, const std::string& request_id) {
  JobPayload payload =
      NewJobPayload("SequenceEmailWorker", {email, length}, *SystemClock::Default());
  payload.request_id = request_id;
  payload.enqueued_at = SystemClock::Default()->NowSeconds();
  return payload;
}

size_t InProgressJobs(const RedisServer& redis) {
  std::istringstream keys(redis.Cli({"KEYS", "fibtastic:inprogress:*"}));
  size_t total = 0;
  std::string key;
  while (std::getline(keys, key)) {
    if (!key.empty()) total += std::stoul(redis.Cli({"LLEN", key}));
  }
  return total;
}

std::string LocateJob(const RedisServer& redis, const std::string& request_id) {
  const std::string needle = "\"request_id\":\"" + request_id + "\"";
  std::vector<std::pair<std::string, std::string>> places = {
      {"queue:default", redis.Cli({"LRANGE", "queue:default", "0", "-1"})},
      {"fibtastic:recovered:default",
       redis.Cli({"LRANGE", "fibtastic:recovered:default", "0", "-1"})},
      {"retry", redis.Cli({"ZRANGE", "retry", "0", "-1"})},
      {"dead", redis.Cli({"ZRANGE", "dead", "0", "-1"})},
      {"schedule", redis.Cli({"ZRANGE", "schedule", "0", "-1"})}};
  std::istringstream keys(redis.Cli({"KEYS", "fibtastic:inprogress:*"}));
  for (std::string key; std::getline(keys, key);) {
    if (!key.empty()) places.emplace_back(key, redis.Cli({"LRANGE", key, "0", "-1"}));
  }
  std::string found;
  for (const auto& [place, contents] : places) {
    if (contents.find(needle) != std::string::npos) found += (found.empty() ? "" : ", ") + place;
  }
  return found.empty() ? "nowhere" : found;
}

}  // namespace fib::test
