// GroupComparisonWriter: renders a GroupComparison (several runs per side) as Markdown, aligned
// text, CSV (one row per side and metric) or JSON — medians with their 95% intervals and the
// ratios of medians against the baseline side with theirs.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "bench/report/comparison_writer.h"
#include "bench/report/group_comparison.h"

namespace fib {

// Returns the comparison in `format`. Markdown and text open with how the intervals were made and
// end with the notes, differing conditions and warnings; CSV holds only the table (the caller
// prints the rest on stderr); JSON holds all of it.
std::string RenderGroupComparison(const GroupComparison& comparison, TableFormat format);
// Returns the table of medians and ratios as a grid (report.html), and the sentence on how the
// intervals were made.
TableGrid GroupComparisonGrid(const GroupComparison& comparison);
std::string GroupComparisonIntro(const GroupComparison& comparison);
// Returns the lines after the table: the conditions that differ (each side's distinct values),
// sides without an interval and the runs' notes, then the runs' warnings.
std::string RenderGroupNotes(const GroupComparison& comparison, bool markdown);

}  // namespace fib
