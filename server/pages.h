// Pages: the HTML the web app returns (the form, the thanks page, error pages). Everything that
// came from a request is HTML-escaped here, so callers may pass user input as is.
// Thread-safety: pure functions.
#pragma once

#include <string>

namespace fib {

inline constexpr char kAppTitle[] = "FibTastic -- Fibonacci as a Service";
inline constexpr char kThanksText[] =
    "Thanks! A carefully crafted fibonacci sequence will be hitting your inbox shortly.";

struct FormPage {
  std::string mode;              // "inline" or "background"
  std::string mode_description;  // one sentence about where the job goes
  std::string error;             // shown above the form when not empty
  std::string email;             // previously entered values (re-shown after an error)
  std::string sequence_length;
};

// Returns the form page (GET /, and a rejected POST /sequences with its error).
std::string RenderFormPage(const FormPage& page);
// Returns the success page with a link to request another sequence.
std::string RenderThanksPage(const std::string& mode, const std::string& request_id);
// Returns a page for a failure that is not the user's input (413, 502, 503, ...).
std::string RenderErrorPage(int status, const std::string& title, const std::string& message,
                            const std::string& request_id);

}  // namespace fib
