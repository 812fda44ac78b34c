// HgrmParser: reads the HdrHistogram percentile-distribution text (.hgrm) that wrk2 --latency,
// HdrHistogram_c and fibtastic-loadgen print, so their outputs can be plotted with ours.
// Like the HdrHistogram plotter it keeps lines with exactly four fields that do not start with
// '#' (value ms, percentile fraction, total count, 1/(1-p)); other lines are ignored.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "bench/report/report.h"
#include "common/status.h"

namespace fib {

// Returns a Report holding only the response-latency spectrum of `text`, labelled `label`.
// `source` prefixes error messages. Error when there are no rows or they are out of order.
Result<Report> ParseHgrm(const std::string& text, const std::string& source,
                         const std::string& label);

}  // namespace fib
