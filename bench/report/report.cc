#include "bench/report/report.h"

#include "bench/report/metric_catalog.h"

namespace fib {

std::optional<double> Report::Metric(std::string_view name) const {
  const MetricInfo* info = FindMetric(name);
  if (!info) return std::nullopt;
  auto it = metrics.find(info->name);
  if (it == metrics.end()) return std::nullopt;
  return it->second;
}

bool Report::debug_build() const {
  auto it = conditions.find("debug_build");
  if (it != conditions.end() && it->is_boolean()) return it->get<bool>();
  auto type = conditions.find("build_type");
  return type != conditions.end() && type->is_string() && type->get<std::string>() == "Debug";
}

std::string Report::DisplayName() const { return label + " (" + source + ")"; }

}  // namespace fib
