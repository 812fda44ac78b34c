#include "bench/report/report_merger.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "bench/report/latency_spectrum.h"
#include "bench/report/report_reader.h"
#include "common/require.h"

namespace fib {

namespace {
using nlohmann::json;

// Conditions that add up when several machines generate load together.
const std::set<std::string> kSummedConditions = {"offered_rps", "connections", "threads"};
// Conditions where the merged run lasts as long as the longest input.
const std::set<std::string> kMaxConditions = {"duration_s", "warmup_s", "timeout_ms"};

Status CheckMergeable(const Report& r) {
  if (r.is_hgrm) {
    return Status::Error(r.source +
                         ": an .hgrm file holds no histogram; merge needs "
                         "fibtastic-loadgen --json reports");
  }
  if (!r.latency.histogram_us) {
    return Status::Error(r.source +
                         ": has no histograms.latency; merging needs the full "
                         "histograms that fibtastic-loadgen --json writes");
  }
  return Status::Ok();
}

// Sums the numeric fields of obj[key] over all reports (status codes, error kinds).
json SumObjects(const std::vector<Report>& reports, const char* key) {
  json sum = json::object();
  for (const Report& r : reports) {
    const json counts = r.json.value(key, json::object());  // outlives the loop over items()
    for (const auto& [name, value] : counts.items()) {
      if (value.is_number()) sum[name] = sum.value(name, 0.0) + value.get<double>();
    }
  }
  // Whole numbers stay whole in the output.
  for (auto& [name, value] : sum.items()) {
    double v = value.get<double>();
    if (v == std::floor(v)) value = static_cast<int64_t>(v);
  }
  return sum;
}

json MergeConditions(const std::vector<Report>& reports) {
  std::map<std::string, std::vector<json>> values;
  for (const Report& r : reports) {
    for (const auto& [key, value] : r.conditions.items()) values[key].push_back(value);
  }
  json merged = json::object();
  for (const auto& [key, list] : values) {
    bool all_numbers =
        std::all_of(list.begin(), list.end(), [](const json& v) { return v.is_number(); });
    if (all_numbers && kSummedConditions.count(key)) {
      double sum = 0;
      for (const json& v : list) sum += v.get<double>();
      bool all_whole = std::all_of(list.begin(), list.end(),
                                   [](const json& v) { return v.is_number_integer(); });
      merged[key] = all_whole ? json(static_cast<int64_t>(sum)) : json(sum);
    } else if (all_numbers && kMaxConditions.count(key)) {
      merged[key] = *std::max_element(list.begin(), list.end());
    } else if (key == "debug_build") {
      merged[key] = std::any_of(list.begin(), list.end(), [](const json& v) { return v == true; });
    } else if (key == "start_time" || key == "warning") {
      merged[key] = *std::min_element(list.begin(), list.end());
    } else if (std::all_of(list.begin(), list.end(),
                           [&first = list[0]](const json& v) { return v == first; })) {
      merged[key] = list[0];
    } else if (key == "build_type") {
      merged[key] = "mixed";
    }
  }
  merged["command_line"] = "fibtastic-report merge (see merged_from)";
  return merged;
}

// Merges histograms.<key> of every input that has it; null when none has.
std::optional<HdrHistogram> MergeHistograms(const std::vector<Report>& reports,
                                            LatencyData Report::*kind) {
  std::optional<HdrHistogram> merged;
  for (const Report& r : reports) {
    const std::optional<HdrHistogram>& h = (r.*kind).histogram_us;
    if (!h) continue;
    if (!merged) {
      merged = *h;
    } else {
      merged->Merge(*h);
    }
  }
  return merged;
}

json MergeE2eCounts(const std::vector<Report>& reports) {
  json e2e = {{"expected", 0},
              {"received", 0},
              {"missing", 0},
              {"duplicates", 0},
              {"missing_ids", json::array()}};
  bool any = false;
  for (const Report& r : reports) {
    const json& counts = r.json["summary"].value("e2e", json::object());
    if (counts.empty()) continue;
    any = true;
    for (const char* key : {"expected", "received", "missing", "duplicates"}) {
      e2e[key] = e2e[key].get<int64_t>() + counts.value(key, int64_t{0});
    }
    for (const json& id : counts.value("missing_ids", json::array())) {
      if (e2e["missing_ids"].size() < 100) e2e["missing_ids"].push_back(id);
    }
  }
  return any ? e2e : json();
}

json MergeScheduleLag(const std::vector<Report>& reports) {
  json lag = json::object();
  for (const Report& r : reports) {
    const json report_lag = r.json["summary"].value("schedule_lag_ms", json::object());
    for (const auto& [key, value] : report_lag.items()) {
      if (value.is_number()) lag[key] = std::max(lag.value(key, 0.0), value.get<double>());
    }
  }
  return lag;
}

json MergeSummary(const std::vector<Report>& reports, const std::optional<HdrHistogram>& latency,
                  const std::optional<HdrHistogram>& uncorrected,
                  const std::optional<HdrHistogram>& e2e) {
  json summary = json::object();
  for (const char* key : {"requests", "rps", "offered_rps", "errors", "in_flight_at_end"}) {
    double sum = 0;
    for (const Report& r : reports) sum += r.Metric(key).value_or(0);
    summary[key] = sum;
  }
  for (const char* key : {"requests", "errors", "in_flight_at_end"}) {
    summary[key] = static_cast<int64_t>(std::llround(summary[key].get<double>()));
  }
  summary["schedule_lag_ms"] = MergeScheduleLag(reports);
  summary["latency_ms"] = LatencySpectrum::FromHistogram(*latency).SummaryJson();
  if (uncorrected) {
    summary["uncorrected_latency_ms"] = LatencySpectrum::FromHistogram(*uncorrected).SummaryJson();
  }
  if (e2e) summary["e2e_ms"] = LatencySpectrum::FromHistogram(*e2e).SummaryJson();
  json warnings = json::array();
  for (const Report& r : reports) {
    for (const std::string& w : r.warnings) warnings.push_back(r.label + ": " + w);
  }
  if (!warnings.empty()) summary["warnings"] = warnings;
  json e2e_counts = MergeE2eCounts(reports);
  if (!e2e_counts.is_null()) summary["e2e"] = e2e_counts;
  return summary;
}

// Adds up the seconds of every input's time series. Per-second percentiles cannot be merged
// without per-second histograms, so the merged p50/p99 are the worst input's (an upper bound).
json MergeTimeseries(const std::vector<Report>& reports) {
  std::map<int64_t, json> by_second;  // key: t_s in ms, so fractional seconds keep apart
  for (const Report& r : reports) {
    for (const TimeseriesRow& row : r.timeseries) {
      json& out = by_second[std::llround(row.t_s * 1000)];
      if (out.is_null()) out = {{"t_s", row.t_s}, {"requests", 0}, {"rps", 0.0}, {"errors", 0}};
      out["requests"] = out["requests"].get<int64_t>() + row.requests;
      out["rps"] = out["rps"].get<double>() + row.rps;
      out["errors"] = out["errors"].get<int64_t>() + row.errors;
      if (row.p50_ms) out["p50_ms"] = std::max(out.value("p50_ms", 0.0), *row.p50_ms);
      if (row.p99_ms) out["p99_ms"] = std::max(out.value("p99_ms", 0.0), *row.p99_ms);
    }
  }
  json series = json::array();
  for (auto& [t, row] : by_second) series.push_back(row);
  return series;
}

std::string DefaultLabel(const std::vector<Report>& reports) {
  std::string label;
  for (const Report& r : reports) label += (label.empty() ? "" : " + ") + r.label;
  return label;
}

json MergeNotes(const std::vector<Report>& reports, json* redis_samples) {
  json notes = json::array();
  notes.push_back("timeseries p50_ms/p99_ms are the highest of the inputs' (an upper bound)");
  size_t with_e2e = 0, with_redis = 0;
  for (const Report& r : reports) {
    with_e2e += r.e2e.histogram_us.has_value();
    if (!r.redis_samples.empty() && ++with_redis == 1) *redis_samples = r.json["redis_samples"];
  }
  if (with_e2e > 0 && with_e2e < reports.size()) {
    notes.push_back("only " + std::to_string(with_e2e) + " of " + std::to_string(reports.size()) +
                    " inputs have e2e latency; e2e figures cover those only");
  }
  if (with_redis > 1) {
    notes.push_back("redis_samples are the first input's (the inputs sampled the same Redis)");
  }
  return notes;
}
}  // namespace

Result<nlohmann::json> MergeReports(const std::vector<Report>& reports,
                                    const MergeOptions& options) {
  FIB_REQUIRE(!reports.empty());
  for (const Report& r : reports) {
    Status s = CheckMergeable(r);
    if (!s.ok()) return s;
  }
  std::optional<HdrHistogram> latency = MergeHistograms(reports, &Report::latency);
  std::optional<HdrHistogram> uncorrected = MergeHistograms(reports, &Report::uncorrected);
  std::optional<HdrHistogram> e2e = MergeHistograms(reports, &Report::e2e);
  json histograms = {{"latency", latency->ToJson()}};
  if (uncorrected) histograms["uncorrected_latency"] = uncorrected->ToJson();
  if (e2e) histograms["e2e"] = e2e->ToJson();

  json merged_from = json::array();
  for (const Report& r : reports) {
    merged_from.push_back({{"file", r.source}, {"label", r.label}, {"conditions", r.conditions}});
  }
  json redis_samples = json::array();
  json notes = MergeNotes(reports, &redis_samples);
  json out = {{"schema", kReportSchema},
              {"tool", "fibtastic-report merge"},
              {"label", options.label.empty() ? DefaultLabel(reports) : options.label},
              {"conditions", MergeConditions(reports)},
              {"summary", MergeSummary(reports, latency, uncorrected, e2e)},
              {"status_codes", SumObjects(reports, "status_codes")},
              {"errors", SumObjects(reports, "errors")},
              {"histograms", histograms},
              {"timeseries", MergeTimeseries(reports)},
              {"merged_from", merged_from},
              {"merge_notes", notes}};
  if (!redis_samples.empty()) out["redis_samples"] = redis_samples;
  return out;
}

}  // namespace fib
