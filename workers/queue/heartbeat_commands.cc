#include "workers/queue/heartbeat_commands.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/time_format.h"
#include "workers/queue/job_payload.h"

namespace fib {
namespace {

using Json = nlohmann::json;

constexpr int64_t kStatsTtlSeconds = 5LL * 365 * 24 * 3600;

std::string UtcDate(double now_seconds) {
  return FormatUtc(static_cast<int64_t>(now_seconds), "%Y-%m-%d");
}

std::string ProcessInfoJson(const ProcessInfo& process) {
  std::vector<std::string> queues;
  for (const std::string& queue : process.queues) {
    if (std::find(queues.begin(), queues.end(), queue) == queues.end()) queues.push_back(queue);
  }
  Json info = {
      {"hostname", process.hostname}, {"started_at", process.started_at},   {"pid", process.pid},
      {"tag", process.tag},           {"concurrency", process.concurrency}, {"queues", queues},
      {"labels", Json::array()},      {"identity", process.identity}};
  return info.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void AddStatCommands(const char* name, int64_t delta, double now_seconds,
                     std::vector<std::vector<std::string>>* commands) {
  if (delta <= 0) return;
  std::string daily = std::string("stat:") + name + ":" + UtcDate(now_seconds);
  commands->push_back({"INCRBY", std::string("stat:") + name, std::to_string(delta)});
  commands->push_back({"INCRBY", daily, std::to_string(delta)});
  commands->push_back({"EXPIRE", daily, std::to_string(kStatsTtlSeconds)});
}

// Sidekiq's Web UI shows each busy job's payload; a huge one would be copied into Redis at every
// beat, so it is replaced by a note of its size.
constexpr size_t kMaxBusyPayloadBytes = 64 * 1024;

std::string BusyPayload(const std::string& raw) {
  if (raw.size() <= kMaxBusyPayloadBytes) return raw;
  return Json{
      {"class", "(payload omitted)"}, {"args", Json::array()}, {"omitted_bytes", raw.size()}}
      .dump();
}

void AddWorkersCommands(const std::string& identity, const std::vector<BusyJob>& busy,
                        std::vector<std::vector<std::string>>* commands) {
  std::string key = identity + ":workers";
  commands->push_back({"DEL", key});
  if (!busy.empty()) {
    std::vector<std::string> hset = {"HSET", key};
    for (const BusyJob& job : busy) {
      hset.push_back(job.thread_id);
      hset.push_back(
          Json{{"queue", job.queue}, {"payload", BusyPayload(job.raw)}, {"run_at", job.run_at}}
              .dump(-1, ' ', false, Json::error_handler_t::replace));
    }
    commands->push_back(std::move(hset));
  }
  commands->push_back({"EXPIRE", key, std::to_string(kHeartbeatTtlSeconds)});
}

}  // namespace

std::vector<std::vector<std::string>> HeartbeatCommands(const ProcessInfo& process,
                                                        const std::vector<BusyJob>& busy,
                                                        int64_t processed_delta,
                                                        int64_t failed_delta, double now_seconds,
                                                        int64_t rtt_us) {
  const std::string& id = process.identity;
  std::vector<std::vector<std::string>> commands = {{"MULTI"}};
  AddStatCommands("processed", processed_delta, now_seconds, &commands);
  AddStatCommands("failed", failed_delta, now_seconds, &commands);
  AddWorkersCommands(id, busy, &commands);
  commands.push_back({"SADD", "processes", id});
  commands.push_back({"HMSET", id, "info", ProcessInfoJson(process), "busy",
                      std::to_string(process.busy), "beat", FormatEpochSeconds(now_seconds),
                      "quiet", process.quiet ? "true" : "false", "rss",
                      std::to_string(process.rss_kb), "rtt_us", std::to_string(rtt_us)});
  if (!process.liveness_token.empty()) {
    commands.back().insert(commands.back().end(), {kLivenessField, process.liveness_token});
  }
  commands.push_back({"EXPIRE", id, std::to_string(kHeartbeatTtlSeconds)});
  // kHeartbeatSignalsFromEnd counts from here: LRANGE, DEL, EXEC.
  commands.push_back({"LRANGE", id + "-signals", "0", "-1"});
  commands.push_back({"DEL", id + "-signals"});
  commands.push_back({"EXEC"});
  return commands;
}

}  // namespace fib
