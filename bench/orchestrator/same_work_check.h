// SameWorkCheck: the FibTastic scenario runs the same job inline (in the web; CPU 0 when split)
// and in the background (in the worker; CPU 1). Where the job dominates, the background email
// should arrive about when the inline one does; when it arrives much later the job itself ran
// slower on the workers' core — the machine, not a cost of background jobs — and the report must
// say so rather than let a reader take the row for a finding.
// Thread-safety: a pure function.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace fib::bench {

// `points`: the scenario's rows (sequence_length, inline_email_p50_ms, background_email_p50_ms;
// null when not measured). Sets background_vs_inline_email on each row with both figures and an
// inline time of 20 ms or more. Returns a Markdown WARNING naming every row where the background
// email took over 25% and over 20 ms longer, or "" when none did.
std::string SameWorkCheck(nlohmann::json* points);

}  // namespace fib::bench
