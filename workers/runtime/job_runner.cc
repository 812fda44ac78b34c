#include "workers/runtime/job_runner.h"

#include <cxxabi.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <exception>
#include <memory>
#include <typeinfo>

#include "common/json_depth.h"

namespace fib {
namespace {

// Returns the demangled name of the exception's dynamic type, e.g. "std::runtime_error".
std::string ExceptionClassName(const std::exception& e) {
  const char* mangled = typeid(e).name();
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(mangled);
}

// Log lines show at most this much of an error message (the payload keeps up to 10,000 chars).
constexpr size_t kLoggedMessageChars = 300;

std::string ShortMessage(const std::string& message) {
  std::string text = message.size() <= kLoggedMessageChars
                         ? message
                         : TruncateErrorMessage(message.substr(0, kLoggedMessageChars)) + "...";
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

// Returns `seconds` (a payload's epoch-seconds time) in µs; 0 when absent or not a number.
int64_t StampMicros(const std::optional<double>& seconds) {
  return seconds && *seconds > 0 && *seconds < 1e11 ? std::llround(*seconds * 1e6) : 0;
}

}  // namespace

const char* OutcomeName(JobOutcome::Kind kind) {
  switch (kind) {
    case JobOutcome::Kind::kDone:
      return "done";
    case JobOutcome::Kind::kRetry:
      return "retry";
    case JobOutcome::Kind::kDead:
      return "dead";
    case JobOutcome::Kind::kDropped:
      return "dropped";
  }
  return "?";
}

std::string DescribeOutcome(const FetchedJob& job, const JobOutcome& outcome) {
  std::string line =
      fmt::format("{} jid={} queue={} elapsed_ms={:.1f} {}",
                  outcome.class_name.empty() ? "(undecodable payload)" : outcome.class_name,
                  outcome.jid.empty() ? "-" : outcome.jid, job.queue, outcome.elapsed_ms,
                  OutcomeName(outcome.kind));
  switch (outcome.kind) {
    case JobOutcome::Kind::kDone:
      return line;
    case JobOutcome::Kind::kRetry:
      line += fmt::format(" in {:.1f} s (retry_count={})", outcome.delay_s, outcome.retry_count);
      break;
    case JobOutcome::Kind::kDead:
      line += outcome.retry_count > 0
                  ? fmt::format(" (retries exhausted, retry_count={})", outcome.retry_count)
                  : std::string(" (moved to the dead set)");
      break;
    case JobOutcome::Kind::kDropped:
      line += " (retry: false, so Sidekiq drops it; it will not run again)";
      break;
  }
  return line + fmt::format(": {}: {}", outcome.error_class, ShortMessage(outcome.error_message));
}

JobRunner::JobRunner(JobRunnerOptions options, const JobRegistry* registry, Mailer* mailer,
                     const Clock* clock, RandomFn random)
    : options_(options),
      registry_(registry),
      mailer_(mailer),
      clock_(clock),
      random_(std::move(random)) {}

JobOutcome JobRunner::Dead(std::string raw, std::string error_class, std::string message) const {
  JobOutcome outcome;
  outcome.kind = JobOutcome::Kind::kDead;
  outcome.raw = std::move(raw);
  outcome.at_seconds = clock_->NowSeconds();
  outcome.error_class = std::move(error_class);
  outcome.error_message = std::move(message);
  return outcome;
}

JobOutcome JobRunner::Run(const FetchedJob& job) const {
  if (options_.max_payload_bytes > 0 && job.raw.size() > options_.max_payload_bytes) {
    // Straight to dead as a stub, never retried or parsed: each retry would copy the value
    // through Redis again, and decoding it could take more memory than the limit means to allow.
    return DeadStub(job, fmt::format("payload is {} bytes, over the worker's limit of {} "
                                     "bytes (--max-payload-bytes): not run, not retried; "
                                     "pass a reference to large data (a key, a path)",
                                     job.raw.size(), options_.max_payload_bytes));
  }
  Result<JobPayload> payload = DecodePayload(job.raw);
  if (payload.ok()) return RunPayload(job, *payload);
  return DeadUnrunnable(job, "payload cannot be run: " + payload.message());
}

JobOutcome JobRunner::DeadStub(const FetchedJob& job, const std::string& message) const {
  JobOutcome outcome = Dead("", kPayloadError, message);
  outcome.raw = UnreadablePayloadStub(job.raw, kPayloadError, message, outcome.at_seconds);
  outcome.jid = PeekPayload(outcome.raw).jid;  // the stub's own, plain-hex jid
  return outcome;
}

JobOutcome JobRunner::DeadUnrunnable(const FetchedJob& job, const std::string& message) const {
  // Too deep to decode safely (DecodePayload refused it): a stub, as for an over-limit payload.
  if (JsonDepth(job.raw) > kMaxJsonDepth) return DeadStub(job, message);
  // Parsed again only on this rare path, to tell text that is not an object from a bad object.
  nlohmann::json object = nlohmann::json::parse(job.raw, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded() || !object.is_object()) {
    // As Sidekiq: text that is not a JSON object cannot carry failure fields, so it goes to the
    // dead set exactly as it was.
    return Dead(
        job.raw, kPayloadError,
        object.is_discarded() ? "payload is not valid JSON" : "payload is JSON but not an object");
  }
  JobOutcome outcome = Dead("", kPayloadError, message);
  if (auto jid = object.find("jid"); jid != object.end() && jid->is_string()) outcome.jid = *jid;
  outcome.raw =
      MarkUndecodableObject(std::move(object), kPayloadError, message, outcome.at_seconds);
  return outcome;
}

JobOutcome JobRunner::RunPayload(const FetchedJob& job, const JobPayload& payload) const {
  int64_t start_us = clock_->MonotonicMicros();
  JobStatus status = Perform(job, payload);
  JobOutcome outcome;
  outcome.elapsed_ms = static_cast<double>(clock_->MonotonicMicros() - start_us) / 1000.0;
  outcome.jid = payload.jid;
  outcome.class_name = payload.class_name;
  if (status.ok()) return outcome;

  outcome.error_class = status.error_class();
  outcome.error_message = status.message();
  JobPayload failed = payload;
  failed.queue = job.queue;  // Sidekiq retries on the queue the job was fetched from
  int jitter = static_cast<int>(random_(10));
  FailureDecision decision =
      DecideFailure(std::move(failed), status.error_class(), status.message(), clock_->NowSeconds(),
                    jitter, options_.retry_delay_scale);
  outcome.raw = std::move(decision.raw);
  outcome.at_seconds = decision.at_seconds;
  outcome.delay_s = decision.delay_s;
  switch (decision.action) {
    case FailureAction::kRetry:
      outcome.kind = JobOutcome::Kind::kRetry;
      break;
    case FailureAction::kDead:
      outcome.kind = JobOutcome::Kind::kDead;
      break;
    case FailureAction::kDrop:
      outcome.kind = JobOutcome::Kind::kDropped;
      break;
  }
  outcome.retry_count = decision.retry_count;
  return outcome;
}

JobStatus JobRunner::Perform(const FetchedJob& job, const JobPayload& payload) const {
  JobContext context{payload.jid, payload.request_id, mailer_, clock_, {}};
  // Stamps missing from the payload (jobs Ruby's Sidekiq::Client enqueued) stay 0: the email
  // then says nothing about them, and the load generator counts them as missing.
  auto start = payload.extra.find(kRequestStartAtKey);
  if (start != payload.extra.end()) {
    context.timing.request_start_us = StampMicros(EpochSecondsFromJson(*start));
  }
  context.timing.enqueued_us = StampMicros(payload.enqueued_at);
  context.timing.fetched_us = job.fetched_at_us;
  context.timing.perform_us = clock_->NowMicros();
  // Job code is ours, but a throw must never take the whole worker (and its other jobs) down.
  try {
    return registry_->Run(payload.class_name, payload.args, context);
  } catch (const std::exception& e) {
    return JobStatus::Fail(ExceptionClassName(e), e.what());
  } catch (...) {
    return JobStatus::Fail("UnknownException",
                           "the job threw something that is not a std::exception");
  }
}

}  // namespace fib
