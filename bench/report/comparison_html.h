// ComparisonHtml: `fibtastic-report compare --html OUT.html` — the comparison as one
// self-contained page like report.html (html_page.h): the table (one run per side, or medians
// with intervals for several), the stage table, conditions that differ, notes and warnings, and
// the reports' percentile spectra, latency over time with queue depth, and stage waterfalls.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "bench/report/comparison.h"
#include "bench/report/group_comparison.h"

namespace fib {

// Returns the page for a comparison of one run per side.
std::string ComparisonHtml(const Comparison& comparison);
// Returns the page for a comparison of several runs per side.
std::string GroupComparisonHtml(const GroupComparison& comparison);

}  // namespace fib
