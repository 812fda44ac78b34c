// ComparisonWriter: renders a Comparison as Markdown (the default, pastes into pull requests),
// aligned text, CSV (one row per report and metric) or JSON.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "bench/report/comparison.h"
#include "common/status.h"

namespace fib {

enum class TableFormat { kMarkdown, kText, kCsv, kJson };

// Parses "markdown", "text", "csv" or "json"; error names the bad value.
Result<TableFormat> ParseTableFormat(const std::string& name);

// Returns the comparison in `format`. Markdown and text end with the differing conditions,
// warnings and notes; CSV holds only the table (the caller prints the rest on stderr); JSON
// holds all of it.
std::string RenderComparison(const Comparison& comparison, TableFormat format);
// Rows of cells, the heading row first, as the table renderers take them.
using TableGrid = std::vector<std::vector<std::string>>;
// Returns `grid` as a Markdown table (first column left-aligned, the others right-aligned).
// REQUIRES: !grid.empty().
std::string RenderMarkdownTable(const TableGrid& grid);
// Returns `grid` as aligned text columns. REQUIRES: !grid.empty().
std::string RenderTextTable(const TableGrid& grid);
// Returns `text` as one CSV field, quoted when it holds a comma, quote or newline.
std::string CsvField(const std::string& text);
// Returns the metric table and the stage table ({} without stages) as grids (report.html).
TableGrid ComparisonGrid(const Comparison& comparison);
TableGrid ComparisonStageGrid(const Comparison& comparison);
// Returns the lines after the table: differing conditions, warnings and notes (text form).
std::string RenderConditionsAndWarnings(const Comparison& comparison, bool markdown);

}  // namespace fib
