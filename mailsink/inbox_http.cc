#include "mailsink/inbox_http.h"

#include <fmt/format.h>

#include "common/flags.h"
#include "mailsink/message_json.h"

namespace fib {

void JsonError(httplib::Response& response, int status, const std::string& message) {
  response.status = status;
  response.set_content(DumpJson({{"error", message}}), kJsonType);
}

bool ParseDigits(const std::string& text, int64_t max, int64_t* value) {
  bool digits = !text.empty() && text.size() <= 19 &&
                text.find_first_not_of("0123456789") == std::string::npos;
  if (!digits) return false;
  auto parsed = ParseInt(text, "number");
  if (!parsed.ok() || *parsed > max) return false;
  *value = *parsed;
  return true;
}

bool QueryInt(const httplib::Request& request, httplib::Response& response, const char* name,
              int64_t max, int64_t* value) {
  if (!request.has_param(name)) return true;
  const std::string text = request.get_param_value(name);
  if (ParseDigits(text, max, value)) return true;
  JsonError(
      response, 400,
      fmt::format("{} must be a whole number 0..{}, got '{}'", name, max, text.substr(0, 64)));
  return false;
}

}  // namespace fib
