#include "bench/report/comparison.h"

#include <algorithm>
#include <set>

#include "common/require.h"

namespace fib {

namespace {
// The metrics compare's table shows, in order.
constexpr const char* kTableMetrics[] = {
    "requests", "rps", "offered_rps",     "errors",  "p50",     "p90",         "p99",
    "p99_9",    "max", "uncorrected_p99", "e2e_p50", "e2e_p99", "e2e_missing",
};

// The run conditions worth pointing out when they differ (docs/report-format.md "conditions").
constexpr const char* kConditionKeys[] = {
    "build_type",  "debug_build", "cores",      "load_model", "offered_rps",
    "connections", "threads",     "duration_s", "warmup_s",   "timeout_ms",
    "url",         "method",      "hostname",   "compiler",   "project_version",
};

// Adds the names of `stages` missing from `rows`, each right after the one before it in `stages`.
void MergeInOrder(const std::vector<StageLatency>& stages, std::vector<std::string>* rows) {
  auto at = rows->begin();
  for (const StageLatency& s : stages) {
    auto found = std::find(rows->begin(), rows->end(), s.name);
    at = found != rows->end() ? found + 1 : rows->insert(at, s.name) + 1;
  }
}

std::string ConditionText(const nlohmann::json& conditions, const char* key) {
  auto it = conditions.find(key);
  if (it == conditions.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}
}  // namespace

Comparison::Comparison(const std::vector<Report>& reports, size_t baseline)
    : reports_(reports), baseline_(baseline) {
  FIB_REQUIRE(!reports.empty() && baseline < reports.size());
  for (const char* name : kTableMetrics) {
    const MetricInfo* info = FindMetric(name);
    for (const Report& r : reports_) {
      if (info && r.Metric(name)) {
        rows_.push_back(info);
        break;
      }
    }
  }
  FindDifferingConditions();
  FindStageRows();
}

void Comparison::FindStageRows() {
  size_t with_stages = 0;
  for (const Report& r : reports_) with_stages += r.stages.empty() && r.web_stages.empty() ? 0 : 1;
  if (with_stages < 2) return;
  // The waterfall's segments first, then the web's metrics; a name one report adds goes right
  // after the name it follows there, so the rows keep each report's order.
  std::vector<std::string> web;
  for (const Report& r : reports_) {
    MergeInOrder(r.stages, &stage_rows_);
    MergeInOrder(r.web_stages, &web);
  }
  for (const std::string& name : web) {
    if (std::find(stage_rows_.begin(), stage_rows_.end(), name) == stage_rows_.end()) {
      stage_rows_.push_back(name);
    }
  }
}

const StageLatency* Comparison::Stage(size_t i, const std::string& name) const {
  for (const auto* list : {&reports_[i].stages, &reports_[i].web_stages}) {
    for (const StageLatency& s : *list) {
      if (s.name == name) return &s;
    }
  }
  return nullptr;
}

void Comparison::FindDifferingConditions() {
  for (const char* key : kConditionKeys) {
    ConditionDiff diff{key, {}};
    std::set<std::string> distinct;
    for (const Report& r : reports_) {
      diff.values.push_back(ConditionText(r.conditions, key));
      // .hgrm inputs state no conditions; they do not make every condition "differ".
      if (!r.is_hgrm) distinct.insert(diff.values.back());
    }
    if (distinct.size() > 1) differing_.push_back(std::move(diff));
  }
}

std::string Comparison::Heading(size_t i) const {
  for (size_t j = 0; j < reports_.size(); ++j) {
    if (j != i && reports_[j].label == reports_[i].label) return reports_[i].DisplayName();
  }
  return reports_[i].label;
}

std::optional<double> Comparison::Ratio(size_t i, const std::string& metric) const {
  std::optional<double> value = reports_[i].Metric(metric);
  std::optional<double> base = reports_[baseline_].Metric(metric);
  if (!value || !base || *base == 0) return std::nullopt;
  return *value / *base;
}

std::vector<std::string> Comparison::Warnings() const {
  std::vector<std::string> lines;
  for (const Report& r : reports_) {
    if (r.debug_build()) {
      lines.push_back("WARNING: " + r.DisplayName() +
                      " is from a debug build; its latency figures are not representative "
                      "(rebuild with -DCMAKE_BUILD_TYPE=Release)");
    }
    // The loadgen's own warnings (e.g. it could not keep its send schedule).
    for (const std::string& warning : r.warnings) lines.push_back(r.DisplayName() + ": " + warning);
  }
  return lines;
}

std::vector<std::string> Comparison::Notes() const {
  std::vector<std::string> lines;
  for (size_t i = 0; i < reports_.size(); ++i) {
    for (const std::string& note : reports_[i].notes) lines.push_back(Heading(i) + ": " + note);
  }
  return lines;
}

}  // namespace fib
