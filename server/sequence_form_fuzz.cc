// libFuzzer target for the POST /sequences body parsers (cmake -DFIBTASTIC_FUZZ=ON with clang):
// any bytes, read as a url-encoded form and as JSON, must give a value or an error — never a
// crash, a hang or a sanitizer report — and a parsed form must survive re-encoding unchanged.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include "common/text.h"
#include "server/sequence_form.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

// Re-encodes the parsed fields and checks they parse to the same map.
void CheckRoundTrip(const std::map<std::string, std::string>& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body += '&';
    body += fib::PercentEncode(name) + "=" + fib::PercentEncode(value);
  }
  auto again = fib::ParseUrlEncoded(body);
  Check(again.ok());
  // An empty name re-encodes as "=value", which parses back to the same empty-name field.
  Check(*again == fields);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto fields = fib::ParseUrlEncoded(body);
  if (fields.ok()) {
    CheckRoundTrip(*fields);
    auto form = fib::ParseSequenceForm(fib::BodyFormat::kForm, body);
    Check(form.ok());
    Check(form->has_email == (fields->count("email") == 1));
    if (form->has_email) Check(form->email == fields->at("email"));
  } else {
    Check(!fib::ParseSequenceForm(fib::BodyFormat::kForm, body).ok());
    Check(!fields.message().empty());
  }
  auto json = fib::ParseSequenceForm(fib::BodyFormat::kJson, body);
  if (!json.ok()) Check(!json.message().empty());
  Check(!fib::ParseSequenceForm(fib::BodyFormat::kUnsupported, body).ok());
  (void)fib::BodyFormatOf(body);
  return 0;
}
