// SequenceForm: the fields of POST /sequences, read from an HTML form post
// (application/x-www-form-urlencoded) or a JSON object (application/json).
// Parsing only extracts text; ValidateSequenceRequest (workers/jobs/sequence_email_job.h) judges
// it. Thread-safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace fib {

struct SequenceForm {
  std::string email;            // "" when absent
  std::string sequence_length;  // as text; "" when absent
  bool has_email = false;
  bool has_sequence_length = false;
};

enum class BodyFormat { kForm, kJson, kUnsupported };

// Returns the body format named by a Content-Type header value (parameters such as
// "; charset=UTF-8" ignored, case-insensitive). An empty type is treated as a form post.
BodyFormat BodyFormatOf(std::string_view content_type);

// Decodes one application/x-www-form-urlencoded component: '+' is a space, %XX a byte.
// Returns an error for a malformed escape ("%", "%4", "%zz").
Result<std::string> UrlDecodeComponent(std::string_view text);

// Parses "a=1&b=2" into name -> value. A name given twice keeps its last value (as Rails does
// for scalar params). Returns an error naming the malformed part.
Result<std::map<std::string, std::string>> ParseUrlEncoded(std::string_view body);

// Parses the body in `format`. JSON: an object with "email" (string) and "sequence_length"
// (integer or string; other numbers are passed on as their text so validation rejects them).
// Returns an error for a body that cannot be read at all (bad encoding, not a JSON object,
// email not a string); missing fields are not errors here.
Result<SequenceForm> ParseSequenceForm(BodyFormat format, std::string_view body);

}  // namespace fib
