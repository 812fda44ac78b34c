// Helpers for the worker's integration tests (worker_*, fault_*): push jobs to a private
// redis-server and find where a job sits. Includes what those tests use with them: the worker
// launcher and log readings, the mail sink, delivery counts and polling.
// Thread-safety: each object belongs to one test thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "tests/support/delivery.h"
#include "tests/support/mail_sink.h"
#include "tests/support/polling.h"
#include "tests/support/redis_server.h"
#include "tests/support/worker_process.h"
#include "workers/queue/job_payload.h"
#include "workers/queue/redis_job_queue.h"

namespace fib::test {

// A producer-side queue on `redis` (no identity: it only pushes).
std::unique_ptr<RedisJobQueue> Producer(const RedisServer& redis);
// Returns a SequenceEmailWorker payload (with enqueued_at) for `email`, `length`, `request_id`.
JobPayload SequenceJob(const std::string& email, int length, const std::string& request_id);

// Returns where the job with X-Request-Id `request_id` sits in `redis` ("queue:default",
// "fibtastic:recovered:default", "fibtastic:inprogress:<worker>:default", "retry", "dead",
// ...), or "nowhere".
std::string LocateJob(const RedisServer& redis, const std::string& request_id);
// Returns how many jobs all `fibtastic:inprogress:*` lists hold (fetched, not yet finished).
size_t InProgressJobs(const RedisServer& redis);

}  // namespace fib::test
