// libFuzzer target for DecodePayload (cmake -DFIBTASTIC_FUZZ=ON with clang): whatever a Redis
// list holds, decoding gives a payload or an error, never a crash. A decoded payload, encoded
// again, must decode to the same payload (so a job read and re-pushed on retry loses nothing);
// PeekPayload's fields stay within their bound. The same bytes also go to the X-Fib-Timing header
// parser (common/fib_timing.h): what parses formats and parses back to the same stamps.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/fib_timing.h"
#include "workers/queue/job_payload.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

bool SameTime(const std::optional<double>& a, const std::optional<double>& b) {
  return a.has_value() == b.has_value() && (!a || *a == *b);
}

bool SamePayload(const fib::JobPayload& a, const fib::JobPayload& b) {
  return a.jid == b.jid && a.class_name == b.class_name && a.queue == b.queue && a.args == b.args &&
         a.retry == b.retry && a.created_at == b.created_at &&
         SameTime(a.enqueued_at, b.enqueued_at) && a.request_id == b.request_id &&
         a.error_message == b.error_message && a.error_class == b.error_class &&
         SameTime(a.failed_at, b.failed_at) && SameTime(a.retried_at, b.retried_at) &&
         a.retry_count == b.retry_count && a.extra == b.extra;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  if (auto timing = fib::ParseFibTiming(json); timing.ok()) {
    auto again = fib::ParseFibTiming(fib::FormatFibTiming(*timing));
    Check(again.ok() && *again == *timing);
  }
  // The peek the worker uses on payloads it refuses to decode: bounded, whatever the text.
  fib::PayloadPeek peek = fib::PeekPayload(json);
  Check(peek.jid.size() <= 128 && peek.class_name.size() <= 128 && peek.queue.size() <= 128);
  auto decoded = fib::DecodePayload(json);
  if (!decoded.ok()) {
    Check(!decoded.message().empty());
    return 0;
  }
  std::string encoded = fib::EncodePayload(*decoded);
  auto again = fib::DecodePayload(encoded);
  Check(again.ok());
  Check(SamePayload(*decoded, *again));
  Check(fib::EncodePayload(*again) == encoded);
  return 0;
}
