#include "server/dispatch/queue_dispatcher.h"

#include "workers/queue/job_payload.h"

namespace fib {

QueueDispatcher::QueueDispatcher(QueueDispatcherOptions options, JobQueue* queue,
                                 const Clock* clock)
    : options_(std::move(options)), queue_(queue), clock_(clock) {}

DispatchResult QueueDispatcher::Dispatch(const std::string& class_name, const nlohmann::json& args,
                                         const std::string& request_id, int64_t request_start_us) {
  JobPayload payload = NewJobPayload(class_name, args, *clock_, options_.queue);
  payload.request_id = request_id;
  // An extra key, as request_id: Sidekiq keeps it, Ruby jobs ignore it (docs/sidekiq-format.md).
  if (request_start_us > 0) {
    payload.extra[kRequestStartAtKey] = static_cast<double>(request_start_us) / 1e6;
  }
  payload.enqueued_at = clock_->NowSeconds();
  DispatchResult result;
  result.jid = payload.jid;
  result.timing_name = "enqueue";
  int64_t start_us = clock_->MonotonicMicros();
  Status pushed = options_.ready ? options_.ready() : Status::Ok();
  if (pushed.ok()) pushed = queue_->Push(options_.queue, EncodePayload(payload));
  result.duration_us = clock_->MonotonicMicros() - start_us;
  if (!pushed.ok()) {
    result.outcome = DispatchOutcome::kQueueUnavailable;
    result.message = pushed.message();
    result.jid.clear();
  }
  return result;
}

std::string QueueDispatcher::Describe() const {
  std::string where = options_.store_label.empty() ? "" : " at " + options_.store_label;
  return "the job is enqueued to queue:" + options_.queue + where +
         " and a worker sends the email later";
}

}  // namespace fib
