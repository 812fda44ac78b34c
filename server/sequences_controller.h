// SequencesController: what the FibTastic routes do, independent of the HTTP library — show the
// form, validate POST /sequences, run the request pipeline around the JobDispatcher and choose
// the status and page (HTML or JSON). WebServer adapts it to cpp-httplib.
// Thread-safety: all methods may be called from many request threads at once.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "server/dispatch/job_dispatcher.h"
#include "server/request_pipeline.h"
#include "workers/jobs/sequence_email_job.h"

namespace fib {

struct WebRequest {
  std::string content_type;  // Content-Type header value
  std::string accept;        // Accept header value
  std::string body;
  std::string request_id;  // already sanitized
  int64_t arrival_us = 0;  // wall clock (µs since the epoch) when the handler started; 0 = unknown
};

struct WebResponse {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

class SequencesController {
 public:
  // REQUIRES: dispatcher and pipeline outlive this object. `job_class` is the job a valid form
  // dispatches (a profile may name another registered class; args stay [email, length]).
  SequencesController(JobDispatcher* dispatcher, const RequestPipeline* pipeline,
                      std::string job_class = SequenceEmailJob::kClassName,
                      nlohmann::json args_template = nlohmann::json::array());

  // GET /: the empty form, naming the running mode.
  WebResponse ShowForm(const WebRequest& request) const;
  // POST /sequences: 200 thanks page or {"jid"...}; 400 unreadable body; 415 unknown type;
  // 422 invalid input (form re-shown with the message and the entered values); 502 SMTP failed
  // (inline); 503 queue unavailable (background); 500 a request stage failed.
  WebResponse CreateSequence(const WebRequest& request) const;

  // Returns an error response in the format the client asked for (JSON {"error":...} or HTML).
  static WebResponse Error(const WebRequest& request, int status, const std::string& title,
                           const std::string& message);
  // True when the client sent JSON or asked for it (Accept: application/json).
  static bool WantsJson(const WebRequest& request);

 private:
  // Runs the before stages, the job (through the dispatcher) and the after stages.
  WebResponse RunJob(const WebRequest& request, const SequenceRequest& job,
                     ServerTiming* timing) const;
  WebResponse Rejected(const WebRequest& request, int status, const std::string& message,
                       const std::string& email, const std::string& sequence_length) const;
  WebResponse DispatchFailed(const WebRequest& request, const DispatchResult& result) const;
  WebResponse Accepted(const WebRequest& request, const DispatchResult& result) const;

  JobDispatcher* dispatcher_;
  const RequestPipeline* pipeline_;
  std::string job_class_;
  nlohmann::json args_template_;  // a profile's args (see JobArgs in workers/profiles/profile.h)
};

}  // namespace fib
