#include "tests/support/worker_process.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <map>
#include <thread>

namespace fib::test {

std::unique_ptr<Subprocess> StartWorker(const WorkerLaunch& launch) {
  std::vector<std::string> argv = {BinPath("fibtastic-worker"), "--redis-url", launch.redis_url,
                                   "--smtp-url", launch.smtp_url};
  if (launch.test_intervals) {
    argv.insert(argv.end(), {"--heartbeat-interval-s", "1", "--poll-interval-s", "0.2"});
  }
  argv.insert(argv.end(), launch.flags.begin(), launch.flags.end());
  // The environment must not redirect the worker elsewhere.
  auto worker = std::make_unique<Subprocess>(
      argv, std::map<std::string, std::string>{{"REDIS_PROVIDER", ""}, {"REDIS_URL", ""}});
  if (!WaitForLog(*worker, "starting: identity=", 10000)) {
    FAIL("fibtastic-worker did not start:\n" << worker->Log());
  }
  return worker;
}

std::unique_ptr<Subprocess> StartWorker(const RedisServer& redis, const std::string& smtp_url,
                                        std::vector<std::string> extra) {
  return StartWorker(WorkerLaunch{redis.url(), smtp_url, true, std::move(extra)});
}

bool WaitForLog(Subprocess& process, const std::string& text, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (process.Log().find(text) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

int CountInLog(Subprocess& process, const std::string& text) {
  std::string log = process.Log();
  int count = 0;
  for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++count;
  return count;
}

std::string WorkerIdentity(Subprocess& worker) {
  std::string log = worker.Log();
  size_t at = log.find("identity=");
  if (at == std::string::npos) return "";
  at += 9;
  return log.substr(at, log.find_first_of(" \n", at) - at);
}

int SumLogged(Subprocess& process, const std::string& key) {
  std::string log = process.Log(), needle = key + "=";
  int sum = 0;
  for (size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) {
    sum += std::atoi(log.c_str() + at + needle.size());
  }
  return sum;
}

}  // namespace fib::test
