// Helpers shared by the RedisJobQueue integration tests: options for a private RedisServer,
// ready-made SequenceEmailWorker payloads, and a fetch that must succeed.
// Thread-safety: as the objects they touch.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/clock.h"
#include "tests/support/redis_server.h"
#include "workers/queue/job_payload.h"
#include "workers/queue/redis_job_queue.h"

namespace fib::test {

using Json = nlohmann::json;

inline RedisQueueOptions Options(const RedisServer& redis, std::string identity = "",
                                 const Clock* clock = nullptr) {
  RedisQueueOptions options;
  options.url = redis.url();
  options.identity = std::move(identity);
  options.clock = clock;
  return options;
}

inline std::string Job(const std::string& name, const std::string& queue = "default") {
  ManualClock clock;
  JobPayload payload = NewJobPayload("SequenceEmailWorker", Json::array({name, 5}), clock, queue);
  payload.enqueued_at = clock.NowSeconds();
  return EncodePayload(payload);
}

inline std::string Arg0(const std::string& raw) { return Json::parse(raw)["args"][0]; }

// Returns the job fetched now (timeout 0); FAILs when there is none.
inline FetchedJob MustFetch(RedisJobQueue& queue, const std::vector<std::string>& queues) {
  auto job = queue.Fetch(queues, 0);
  REQUIRE(job.ok());
  REQUIRE(job->has_value());
  return **job;
}

// Takes the next recovered job (JobQueue::FetchRecovered); REQUIREs there is one.
inline FetchedJob MustFetchRecovered(RedisJobQueue& queue, const std::vector<std::string>& queues) {
  auto job = queue.FetchRecovered(queues);
  REQUIRE(job.ok());
  REQUIRE(job->has_value());
  return **job;
}

inline int64_t Millis(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace fib::test
