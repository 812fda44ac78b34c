#include "server/request_pipeline.h"

#include "common/clock.h"

namespace fib {

RequestPipeline::RequestPipeline(const Clock* clock) : clock_(clock) {}

void RequestPipeline::AddBeforeJob(std::shared_ptr<RequestStage> stage) {
  before_.push_back(std::move(stage));
}

void RequestPipeline::AddAfterJob(std::shared_ptr<RequestStage> stage) {
  after_.push_back(std::move(stage));
}

Status RequestPipeline::RunBeforeJob(const std::string& request_id, ServerTiming* timing) const {
  return RunStages(before_, request_id, timing);
}

Status RequestPipeline::RunAfterJob(const std::string& request_id, ServerTiming* timing) const {
  return RunStages(after_, request_id, timing);
}

Status RequestPipeline::RunStages(const std::vector<std::shared_ptr<RequestStage>>& stages,
                                  const std::string& request_id, ServerTiming* timing) const {
  for (const auto& stage : stages) {
    int64_t start_us = clock_->MonotonicMicros();
    Status status = stage->Run(request_id);
    timing->Add(stage->name(), clock_->MonotonicMicros() - start_us);
    if (!status.ok())
      return Status::Error("request stage " + stage->name() + ": " + status.message());
  }
  return Status::Ok();
}

}  // namespace fib
