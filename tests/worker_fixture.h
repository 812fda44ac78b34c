// Helpers for the worker's integration tests: a private redis-server, the real mail sink and
// fibtastic-worker processes, plus ways to push jobs and read what arrived.
// Thread-safety: each object belongs to one test thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/support/redis_server.h"
#include "tests/support/subprocess.h"
#include "workers/queue/job_payload.h"
#include "workers/queue/redis_job_queue.h"

namespace fib::test {

// The real fibtastic-mailsink on free ports; stopped when the object goes away.
class MailSink {
 public:
  explicit MailSink(std::vector<std::string> extra_flags = {});
  std::string smtp_url() const { return "smtp://127.0.0.1:" + std::to_string(smtp_port_); }
  // GET /messages (summaries: from, to, subject, request_id, job_id, headers).
  nlohmann::json Messages();
  // GET /messages/<id> (with the decoded body).
  nlohmann::json Message(int64_t id);
  // GET /stats (received, connections_active, ...).
  nlohmann::json Stats();
  // Polls until at least `count` messages arrived or timeout_ms passed; returns the list.
  nlohmann::json WaitForMessages(size_t count, int timeout_ms);
  std::string Log() const { return process_->Log(); }

 private:
  nlohmann::json GetJson(const std::string& path);
  int smtp_port_, http_port_;
  std::unique_ptr<Subprocess> process_;
};

// Starts fibtastic-worker against `redis` and `smtp_url` with short test intervals
// (heartbeat 1 s, poll 0.2 s) and `extra` flags (later flags win).
std::unique_ptr<Subprocess> StartWorker(const RedisServer& redis, const std::string& smtp_url,
                                        std::vector<std::string> extra = {});
// Waits until `process`'s output contains `text`; returns whether it did within timeout_ms.
bool WaitForLog(Subprocess& process, const std::string& text, int timeout_ms);
// Returns how many times `text` occurs in `process`'s output.
int CountInLog(Subprocess& process, const std::string& text);

// A producer-side queue on `redis` (no identity: it only pushes).
std::unique_ptr<RedisJobQueue> Producer(const RedisServer& redis);
// Returns a SequenceEmailWorker payload (with enqueued_at) for `email`, `length`, `request_id`.
JobPayload SequenceJob(const std::string& email, int length, const std::string& request_id);

// Counts messages per X-Request-Id: how many request ids in `expected` arrived at least once,
// and how many extra copies arrived (duplicates).
struct Delivery {
  size_t delivered = 0;
  size_t duplicates = 0;
  std::vector<std::string> missing;
};
Delivery CountDelivery(const nlohmann::json& messages, const std::set<std::string>& expected);
// Polls `sink` until every id in `ids` arrived (copies do not count: a rerun's duplicate can
// arrive before another job's first copy) or timeout_ms passed, waits settle_ms more for reruns
// still in flight, and returns the count.
Delivery WaitForDelivery(MailSink& sink, const std::set<std::string>& ids, int timeout_ms,
                         int settle_ms = 1000);

// Returns where the job with X-Request-Id `request_id` sits in `redis` ("queue:default",
// "fibtastic:inprogress:<worker>:default", "retry", "dead", ...), or "nowhere".
std::string LocateJob(const RedisServer& redis, const std::string& request_id);

// Polls `probe` (e.g. a redis-cli reading) every 100 ms until it returns `want` or timeout_ms.
bool WaitForValue(const std::function<std::string()>& probe, const std::string& want,
                  int timeout_ms);
// Polls `condition` every 50 ms until it holds or timeout_ms passed; returns whether it held.
bool WaitFor(const std::function<bool()>& condition, int timeout_ms);
// Returns how many jobs all `fibtastic:inprogress:*` lists hold (fetched, not yet finished).
size_t InProgressJobs(const RedisServer& redis);

}  // namespace fib::test
