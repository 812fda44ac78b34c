// RequestPipeline: the seam for work a request does around its job — the lesson's "load user
// (3 ms)" before and "render (20 ms)" after. Empty by default; profiles add RequestStages at
// start-up. Each stage is timed into Server-Timing under its name.
// Thread-safety: add stages before serving; afterwards Run* may be called from many threads
// (stages must then be thread-safe themselves).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "server/server_timing.h"

namespace fib {

class Clock;

// One unit of request work. Implementations are provided by whoever defines profiles.
class RequestStage {
 public:
  virtual ~RequestStage() = default;
  // Returns the stage's name, used as its Server-Timing metric (e.g. "load_user").
  virtual std::string name() const = 0;
  // Does the stage's work for the request `request_id`. An error fails the request (HTTP 500
  // with the message), so return one only for a real failure.
  virtual Status Run(const std::string& request_id) = 0;
};

class RequestPipeline {
 public:
  // REQUIRES: clock outlives this object.
  explicit RequestPipeline(const Clock* clock);

  // Appends a stage that runs before the job is dispatched (after validation).
  void AddBeforeJob(std::shared_ptr<RequestStage> stage);
  // Appends a stage that runs after a successful dispatch, before the response is sent.
  void AddAfterJob(std::shared_ptr<RequestStage> stage);

  // Runs the before/after stages in order, adding each duration to `timing`. Stops at the first
  // failing stage and returns its error prefixed with the stage name.
  Status RunBeforeJob(const std::string& request_id, ServerTiming* timing) const;
  Status RunAfterJob(const std::string& request_id, ServerTiming* timing) const;

  bool empty() const { return before_.empty() && after_.empty(); }

 private:
  Status RunStages(const std::vector<std::shared_ptr<RequestStage>>& stages,
                   const std::string& request_id, ServerTiming* timing) const;

  const Clock* clock_;
  std::vector<std::shared_ptr<RequestStage>> before_;
  std::vector<std::shared_ptr<RequestStage>> after_;
};

}  // namespace fib
