// MetricCatalog: the names compare's table and --fail-if use for report figures ("p99",
// "uncorrected_p99", "e2e_p99", "rps", "errors", ...), with their display names and units.
// Thread-safety: immutable static data; pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fib {

enum class MetricUnit { kCount, kRate, kMilliseconds };

struct MetricInfo {
  std::string name;     // canonical, e.g. "p99_9", "e2e_p99"
  std::string display;  // e.g. "latency p99.9 (ms)"
  MetricUnit unit;
};

// Returns every metric, in the order compare's table lists them.
const std::vector<MetricInfo>& AllMetrics();
// Returns the metric called `name` (aliases: "p99.9" for "p99_9", "p99.99" for "p99_99"),
// or nullptr when there is none.
const MetricInfo* FindMetric(std::string_view name);
// Returns the metric names joined for help and error messages.
std::string MetricNamesForHelp();
// Returns `value` formatted for a table cell in the metric's unit ("12.3", "240", "7.99").
std::string FormatMetricValue(MetricUnit unit, double value);
// Returns the unit's name: "ms", "req/s" or "count".
const char* MetricUnitName(MetricUnit unit);

}  // namespace fib
