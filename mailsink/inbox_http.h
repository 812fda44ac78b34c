// Small helpers the inbox's HTTP handlers share: JSON error bodies and strict numeric query
// parameters (plain digits only, a range named in the 400).
// Thread-safety: pure functions over the request/response they are given.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <string>

namespace fib {

inline constexpr const char* kJsonType = "application/json";

// Sets `status` and a body {"error": message}.
void JsonError(httplib::Response& response, int status, const std::string& message);
// Reads the optional query parameter `name` as a whole number in 0..max into `*value` (left as
// it is when absent). Returns false, with a 400 naming the parameter and the range, for anything
// else: signs, spaces, fractions, overflow, an empty value.
bool QueryInt(const httplib::Request& request, httplib::Response& response, const char* name,
              int64_t max, int64_t* value);
// Parses `text` as a whole number in 0..max (plain digits, at most 19); false otherwise.
bool ParseDigits(const std::string& text, int64_t max, int64_t* value);

}  // namespace fib
