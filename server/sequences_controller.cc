#include "server/sequences_controller.h"

#include <nlohmann/json.hpp>

#include "common/log.h"
#include "server/pages.h"
#include "server/sequence_form.h"
#include "workers/jobs/sequence_email_job.h"
#include "workers/profiles/profile.h"

namespace fib {
namespace {

constexpr char kJsonType[] = "application/json";

WebResponse JsonResponse(int status, const nlohmann::json& body) {
  WebResponse response;
  response.status = status;
  response.content_type = kJsonType;
  // Replace invalid UTF-8 from user input instead of throwing.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return response;
}

void AddTiming(const ServerTiming& timing, WebResponse* response) {
  std::string value = timing.HeaderValue();
  if (!value.empty()) response->headers.emplace_back("Server-Timing", value);
}

}  // namespace

SequencesController::SequencesController(JobDispatcher* dispatcher, const RequestPipeline* pipeline,
                                         std::string job_class, nlohmann::json args_template)
    : dispatcher_(dispatcher),
      pipeline_(pipeline),
      job_class_(std::move(job_class)),
      args_template_(std::move(args_template)) {}

bool SequencesController::WantsJson(const WebRequest& request) {
  return BodyFormatOf(request.content_type) == BodyFormat::kJson ||
         request.accept.find(kJsonType) != std::string::npos;
}

WebResponse SequencesController::Error(const WebRequest& request, int status,
                                       const std::string& title, const std::string& message) {
  if (WantsJson(request)) {
    return JsonResponse(status, {{"error", message}, {"request_id", request.request_id}});
  }
  WebResponse response;
  response.status = status;
  response.body = RenderErrorPage(status, title, message, request.request_id);
  return response;
}

WebResponse SequencesController::ShowForm(const WebRequest&) const {
  WebResponse response;
  response.body = RenderFormPage({dispatcher_->ModeName(), dispatcher_->Describe(), "", "", ""});
  return response;
}

WebResponse SequencesController::CreateSequence(const WebRequest& request) const {
  BodyFormat format = BodyFormatOf(request.content_type);
  if (format == BodyFormat::kUnsupported) {
    return Error(request, 415, "Unsupported Media Type",
                 "send the form as application/x-www-form-urlencoded or application/json "
                 "(got Content-Type '" +
                     request.content_type + "')");
  }
  auto form = ParseSequenceForm(format, request.body);
  if (!form.ok()) return Rejected(request, 400, form.message(), "", "");
  auto valid = ValidateSequenceRequest(form->email, form->sequence_length);
  if (!valid.ok()) {
    return Rejected(request, 422, valid.message(), form->email, form->sequence_length);
  }
  ServerTiming timing;
  WebResponse response = RunJob(request, *valid, &timing);
  AddTiming(timing, &response);
  return response;
}

WebResponse SequencesController::RunJob(const WebRequest& request, const SequenceRequest& job,
                                        ServerTiming* timing) const {
  if (Status before = pipeline_->RunBeforeJob(request.request_id, timing); !before.ok()) {
    return Error(request, 500, "Internal Server Error", before.message());
  }
  nlohmann::json args = JobArgs(args_template_, job.email, job.sequence_length);
  DispatchResult result =
      dispatcher_->Dispatch(job_class_, args, request.request_id, request.arrival_us);
  timing->Add(result.timing_name, result.duration_us);
  if (!result.ok()) return DispatchFailed(request, result);
  if (Status after = pipeline_->RunAfterJob(request.request_id, timing); !after.ok()) {
    return Error(request, 500, "Internal Server Error", after.message());
  }
  return Accepted(request, result);
}

WebResponse SequencesController::Rejected(const WebRequest& request, int status,
                                          const std::string& message, const std::string& email,
                                          const std::string& sequence_length) const {
  if (WantsJson(request)) {
    return JsonResponse(status, {{"error", message}, {"request_id", request.request_id}});
  }
  WebResponse response;
  response.status = status;
  response.body = RenderFormPage(
      {dispatcher_->ModeName(), dispatcher_->Describe(), message, email, sequence_length});
  return response;
}

// Anonymous clients get what happened and the request id; the detail (hosts, ports, the server's
// words — each redacted by the mailer and the Redis client) goes to the log under that id.
WebResponse SequencesController::DispatchFailed(const WebRequest& request,
                                                const DispatchResult& result) const {
  switch (result.outcome) {
    case DispatchOutcome::kMailFailed:
      Log("request {}: 502, the mail server failed: {}", request.request_id, result.message);
      return Error(request, 502, "Bad Gateway",
                   "Your sequence could not be emailed because the mail server failed; nothing "
                   "was sent, please try again later. (The web's log has the details under "
                   "request " +
                       request.request_id + ".)");
    case DispatchOutcome::kQueueUnavailable: {
      Log("request {}: 503, the job queue is unavailable: {}", request.request_id, result.message);
      WebResponse response =
          Error(request, 503, "Service Unavailable",
                "Your request could not be queued: the job queue (Redis) is unavailable or did not "
                "answer in time; please try again shortly. (The web's log has the details under "
                "request " +
                    request.request_id + ".)");
      response.headers.emplace_back("Retry-After", "1");
      return response;
    }
    default:
      return Error(request, 500, "Internal Server Error",
                   "the job refused its arguments: " + result.message);
  }
}

WebResponse SequencesController::Accepted(const WebRequest& request,
                                          const DispatchResult& result) const {
  WebResponse response;
  if (WantsJson(request)) {
    nlohmann::json body = {{"mode", dispatcher_->ModeName()}, {"request_id", request.request_id}};
    body["jid"] = result.jid.empty() ? nlohmann::json(nullptr) : nlohmann::json(result.jid);
    body["status"] = result.jid.empty() ? "sent" : "enqueued";
    response = JsonResponse(200, body);
  } else {
    response.body = RenderThanksPage(dispatcher_->ModeName(), request.request_id);
  }
  if (!result.jid.empty()) response.headers.emplace_back("X-Job-Id", result.jid);
  return response;
}

}  // namespace fib
