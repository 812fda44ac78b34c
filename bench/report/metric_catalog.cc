#include "bench/report/metric_catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace fib {

namespace {
// The latency percentile keys of a summary object (docs/report-format.md) and their display names.
struct LatencyKey {
  const char* key;
  const char* display;
};
constexpr LatencyKey kLatencyKeys[] = {
    {"p50", "p50"},       {"p75", "p75"}, {"p90", "p90"}, {"p99", "p99"},   {"p99_9", "p99.9"},
    {"p99_99", "p99.99"}, {"min", "min"}, {"max", "max"}, {"mean", "mean"}, {"stdev", "stdev"},
};

std::vector<MetricInfo> BuildCatalog() {
  std::vector<MetricInfo> all = {
      {"requests", "requests", MetricUnit::kCount},
      {"rps", "achieved rate (req/s)", MetricUnit::kRate},
      {"offered_rps", "offered rate (req/s)", MetricUnit::kRate},
      {"errors", "errors", MetricUnit::kCount},
      {"in_flight_at_end", "in flight at end", MetricUnit::kCount},
  };
  struct Family {
    const char* prefix;
    const char* display;
  };
  for (Family family : {Family{"", "latency"}, Family{"uncorrected_", "uncorrected latency"},
                        Family{"e2e_", "e2e (time to email)"}}) {
    for (const LatencyKey& k : kLatencyKeys) {
      all.push_back({std::string(family.prefix) + k.key,
                     fmt::format("{} {} (ms)", family.display, k.display),
                     MetricUnit::kMilliseconds});
    }
  }
  all.push_back({"e2e_missing", "e2e emails missing", MetricUnit::kCount});
  return all;
}

std::string CanonicalName(std::string_view name) {
  std::string canonical(name);
  // "p99.9" and "p99.99" are how people write them; the JSON keys use underscores.
  std::replace(canonical.begin(), canonical.end(), '.', '_');
  return canonical;
}
}  // namespace

const std::vector<MetricInfo>& AllMetrics() {
  static const std::vector<MetricInfo> kAll = BuildCatalog();
  return kAll;
}

const MetricInfo* FindMetric(std::string_view name) {
  std::string canonical = CanonicalName(name);
  for (const MetricInfo& m : AllMetrics()) {
    if (m.name == canonical) return &m;
  }
  return nullptr;
}

std::string MetricNamesForHelp() {
  return "requests, rps, offered_rps, errors, in_flight_at_end, e2e_missing; latency (ms): "
         "p50 p75 p90 p99 p99.9 p99.99 min max mean stdev, each also with prefix uncorrected_ "
         "or e2e_ (e.g. uncorrected_p99, e2e_p99)";
}

std::string FormatMetricValue(MetricUnit unit, double value) {
  switch (unit) {
    case MetricUnit::kCount:
      return fmt::format("{}", static_cast<int64_t>(std::llround(value)));
    case MetricUnit::kRate:
      return fmt::format("{:.2f}", value);
    case MetricUnit::kMilliseconds:
      if (std::fabs(value) >= 100) return fmt::format("{:.1f}", value);
      if (std::fabs(value) >= 10) return fmt::format("{:.2f}", value);
      return fmt::format("{:.3f}", value);
  }
  return fmt::format("{}", value);
}

const char* MetricUnitName(MetricUnit unit) {
  switch (unit) {
    case MetricUnit::kMilliseconds:
      return "ms";
    case MetricUnit::kRate:
      return "req/s";
    case MetricUnit::kCount:
      return "count";
  }
  return "";
}

}  // namespace fib
