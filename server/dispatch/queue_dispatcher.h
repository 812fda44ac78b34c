// QueueDispatcher: the "background" variant — turns the job into a Sidekiq 6.4 payload and pushes
// it onto a JobQueue (Redis in production), as Rails' perform_async; a worker runs it later.
// Coded against JobQueue only, so unit tests use an in-memory fake.
// Thread-safety: Dispatch may be called from many threads at once if the JobQueue allows it
// (the JobQueue contract requires that).
#pragma once

#include <functional>
#include <string>

#include "common/clock.h"
#include "server/dispatch/job_dispatcher.h"
#include "workers/queue/job_queue.h"

namespace fib {

struct QueueDispatcherOptions {
  std::string queue = "default";  // Sidekiq queue name (key queue:<name>)
  std::string store_label;        // where the queue lives, for messages, e.g. a redacted URL
  // Asked before each push: an error (e.g. "Redis 6.0 is too old") answers kQueueUnavailable
  // without pushing, so a queue no worker can drain never gets a 200. Null: always ready.
  std::function<Status()> ready;
};

class QueueDispatcher : public JobDispatcher {
 public:
  // REQUIRES: queue and clock outlive this object.
  QueueDispatcher(QueueDispatcherOptions options, JobQueue* queue, const Clock* clock);

  // Returns kOk with the new jid and the push time (µs, "enqueue"), or kQueueUnavailable with
  // the queue's error when the push failed or options.ready refused; nothing is retried here
  // (the client sees 503).
  DispatchResult Dispatch(const std::string& class_name, const nlohmann::json& args,
                          const std::string& request_id, int64_t request_start_us) override;
  std::string ModeName() const override { return "background"; }
  std::string Describe() const override;

 private:
  QueueDispatcherOptions options_;
  JobQueue* queue_;
  const Clock* clock_;
};

}  // namespace fib
