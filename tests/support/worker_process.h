// StartWorker: the one launcher of fibtastic-worker for integration tests, and readings of a
// worker's log. Unlike the other launchers it hands out the Subprocess itself: the worker tests
// kill, replace and collect workers (vectors of them, `worker = StartWorker(...)` after a -9),
// which a wrapper class would only forward.
// Thread-safety: one owner thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/redis_server.h"
#include "tests/support/subprocess.h"

namespace fib::test {

struct WorkerLaunch {
  std::string redis_url;
  std::string smtp_url;
  // Short test intervals (--heartbeat-interval-s 1 --poll-interval-s 0.2) before `flags`;
  // false runs the worker with its production defaults.
  bool test_intervals = true;
  std::vector<std::string> flags;  // later flags win
};

// Starts fibtastic-worker per `launch` (REDIS_URL / REDIS_PROVIDER cleared) and waits for its
// "starting: identity=" line; FAILs the test with its log when that does not come within 10 s.
std::unique_ptr<Subprocess> StartWorker(const WorkerLaunch& launch);
// Starts fibtastic-worker against `redis` and `smtp_url` with test intervals and `extra` flags.
std::unique_ptr<Subprocess> StartWorker(const RedisServer& redis, const std::string& smtp_url,
                                        std::vector<std::string> extra = {});

// Waits until `process`'s output contains `text`; returns whether it did within timeout_ms.
bool WaitForLog(Subprocess& process, const std::string& text, int timeout_ms);
// Returns how many times `text` occurs in `process`'s output.
int CountInLog(Subprocess& process, const std::string& text);
// Returns the identity a fibtastic-worker logged at start ("" if it has not yet).
std::string WorkerIdentity(Subprocess& worker);
// Returns the sum of the numbers logged as "<key>=<n>" by `process` (e.g. requeued_at_shutdown).
int SumLogged(Subprocess& process, const std::string& key);

}  // namespace fib::test
