#include "bench/report/report_reader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench/report/hgrm_parser.h"
#include "common/json_depth.h"

namespace fib {

namespace {
using nlohmann::json;

// Returns the JSON value shortened for an error message.
std::string Shown(const json& value) {
  std::string text = value.dump();
  return text.size() > 40 ? text.substr(0, 37) + "..." : text;
}

// Copies obj[key] into metrics[name] when present; error when it is not a number.
Status CopyNumber(const json& obj, const char* key, const std::string& where,
                  const std::string& name, std::map<std::string, double>* metrics) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::Ok();
  if (!it->is_number()) {
    return Status::Error(where + "." + key + " must be a number, got " + Shown(*it));
  }
  (*metrics)[name] = it->get<double>();
  return Status::Ok();
}

double NumberOr(const json& obj, const char* key, double fallback) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_number() ? it->get<double>() : fallback;
}

// Reads obj[key] (absent or not a number: 0) as a count; error when it is negative or too large
// for one (a cast of 1e300 to an integer would be undefined behaviour).
Status ReadCount(const json& obj, const char* key, const std::string& where, int64_t* out) {
  double value = NumberOr(obj, key, 0);
  if (!(value >= 0 && value <= 1e15)) {
    return Status::Error(where + "." + key + " must be a count from 0 to 1e15, got " +
                         Shown(obj[key]));
  }
  *out = static_cast<int64_t>(value);
  return Status::Ok();
}

Status CheckSchema(const json& root) {
  if (!root.is_object()) {
    return Status::Error("not a fibtastic-loadgen report (the top level is not a JSON object)");
  }
  auto schema = root.find("schema");
  if (schema == root.end()) return Status::Error("not a fibtastic-loadgen report (no \"schema\")");
  if (!schema->is_number_integer()) {
    return Status::Error("\"schema\" must be a whole number, got " + Shown(*schema));
  }
  int64_t version = schema->get<int64_t>();
  if (version > kReportSchema) {
    return Status::Error("schema " + std::to_string(version) +
                         " is newer than this tool understands (" + std::to_string(kReportSchema) +
                         "); update fibtastic-report");
  }
  if (version < 1) return Status::Error("schema " + std::to_string(version) + " is not valid");
  return Status::Ok();
}

// Reads histograms.<key> into `data`; the summary object `summary_key` is the fallback.
Status ReadLatency(const json& root, const char* histogram_key, const char* summary_key,
                   const std::string& prefix, Report* report, LatencyData* data) {
  const json& histograms = root.value("histograms", json::object());
  auto h = histograms.find(histogram_key);
  if (h != histograms.end() && !h->is_null()) {
    Result<HdrHistogram> histogram = HdrHistogram::FromJson(*h);
    if (!histogram.ok()) {
      return Status::Error(std::string("histograms.") + histogram_key + ": " + histogram.message());
    }
    data->spectrum = LatencySpectrum::FromHistogram(*histogram);
    data->histogram_us = std::move(*histogram);
    if (data->spectrum->empty()) return Status::Ok();
    const json summary = data->spectrum->SummaryJson();  // outlives the loop over items()
    for (const auto& [key, value] : summary.items()) {
      report->metrics[prefix + key] = value.get<double>();
    }
    return Status::Ok();
  }
  const json& summary = root["summary"];
  auto s = summary.find(summary_key);
  if (s == summary.end() || s->is_null()) return Status::Ok();
  if (!s->is_object()) {
    return Status::Error(std::string("summary.") + summary_key + " must be an object, got " +
                         Shown(*s));
  }
  for (const auto& [key, value] : s->items()) {
    Status st = CopyNumber(*s, key.c_str(), std::string("summary.") + summary_key, prefix + key,
                           &report->metrics);
    if (!st.ok()) return st;
  }
  report->notes.push_back(std::string("no histograms.") + histogram_key + ": " + summary_key +
                          " percentiles from the summary fields");
  return Status::Ok();
}

Status ReadSummary(const json& root, Report* report) {
  auto summary = root.find("summary");
  if (summary == root.end() || !summary->is_object()) {
    return Status::Error("no \"summary\" object (is this a fibtastic-loadgen --json report?)");
  }
  for (const char* key : {"requests", "rps", "offered_rps", "errors", "in_flight_at_end"}) {
    Status s = CopyNumber(*summary, key, "summary", key, &report->metrics);
    if (!s.ok()) return s;
  }
  if (!report->metrics.count("offered_rps") && report->conditions.contains("offered_rps")) {
    report->metrics["offered_rps"] = NumberOr(report->conditions, "offered_rps", 0);
  }
  auto warnings = summary->find("warnings");
  if (warnings != summary->end() && warnings->is_array()) {
    for (const json& w : *warnings) {
      if (w.is_string()) report->warnings.push_back(w.get<std::string>());
    }
  }
  auto e2e = summary->find("e2e");
  if (e2e != summary->end() && e2e->is_object()) {
    return CopyNumber(*e2e, "missing", "summary.e2e", "e2e_missing", &report->metrics);
  }
  return Status::Ok();
}

Status ReadSeries(const json& root, Report* report) {
  for (const char* key : {"timeseries", "redis_samples"}) {
    auto it = root.find(key);
    if (it != root.end() && !it->is_null() && !it->is_array()) {
      return Status::Error(std::string("\"") + key + "\" must be an array, got " + Shown(*it));
    }
  }
  const json& timeseries = root.value("timeseries", json::array());
  for (size_t i = 0; i < timeseries.size(); ++i) {
    const json& row = timeseries[i];
    if (!row.is_object()) return Status::Error("timeseries rows must be objects");
    std::string where = "timeseries[" + std::to_string(i) + "]";
    TimeseriesRow r;
    r.t_s = NumberOr(row, "t_s", 0);
    r.rps = NumberOr(row, "rps", 0);
    if (row.contains("p50_ms") && row["p50_ms"].is_number()) r.p50_ms = row["p50_ms"].get<double>();
    if (row.contains("p99_ms") && row["p99_ms"].is_number()) r.p99_ms = row["p99_ms"].get<double>();
    Status s = ReadCount(row, "requests", where, &r.requests);
    if (s.ok()) s = ReadCount(row, "errors", where, &r.errors);
    if (!s.ok()) return s;
    report->timeseries.push_back(r);
  }
  const json& samples = root.value("redis_samples", json::array());
  for (size_t i = 0; i < samples.size(); ++i) {
    const json& row = samples[i];
    if (!row.is_object()) return Status::Error("redis_samples rows must be objects");
    std::string where = "redis_samples[" + std::to_string(i) + "]";
    RedisSample sample{NumberOr(row, "t_s", 0)};
    Status s = ReadCount(row, "queue_depth", where, &sample.queue_depth);
    if (s.ok()) s = ReadCount(row, "retry", where, &sample.retry);
    if (s.ok()) s = ReadCount(row, "dead", where, &sample.dead);
    if (s.ok()) s = ReadCount(row, "busy", where, &sample.busy);
    if (!s.ok()) return s;
    report->redis_samples.push_back(sample);
  }
  return Status::Ok();
}

// Returns Ok when `name` can be shown in a table, a chart and a message: 1 to
// kMaxStageNameBytes bytes, none of them a control character.
Status CheckStageName(const std::string& name, const std::string& where) {
  if (name.empty() || name.size() > kMaxStageNameBytes) {
    return Status::Error(where + ": a stage name must be 1 to " +
                         std::to_string(kMaxStageNameBytes) + " bytes, got " +
                         std::to_string(name.size()));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f) {
      return Status::Error(where + ": stage name " + Shown(json(name)) +
                           " has a control character (byte " + std::to_string(c) + " at offset " +
                           std::to_string(i) + "); stage names must be printable text");
    }
  }
  return Status::Ok();
}

// Returns obj[key] in ms when it is a number from 0 to 1e9 (absent: NaN); error otherwise.
Status StageFigure(const json& obj, const char* key, const std::string& where, double* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::Ok();
  double v = it->is_number() ? it->get<double>() : -1;
  if (!(v >= 0 && v <= 1e9)) {
    return Status::Error(where + "." + key + " must be a time from 0 to 1e9 ms, got " + Shown(*it));
  }
  *out = v;
  return Status::Ok();
}

// Reads summary.<key> ({name: {"p50", "p99", ...}}) into *out, in `order` first.
Status ReadStageSection(const json& summary, const char* key, const std::vector<std::string>& order,
                        std::vector<StageLatency>* out) {
  auto section = summary.find(key);
  if (section == summary.end() || section->is_null()) return Status::Ok();
  std::string where = std::string("summary.") + key;
  if (!section->is_object())
    return Status::Error(where + " must be an object, got " + Shown(*section));
  if (section->size() > kMaxStages) {
    return Status::Error(where + " has " + std::to_string(section->size()) + " stages; at most " +
                         std::to_string(kMaxStages) + " are read");
  }
  std::vector<std::string> names;
  for (const std::string& name : order) {
    if (section->contains(name)) names.push_back(name);
  }
  for (const auto& [name, value] : section->items()) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  for (const std::string& name : names) {
    if (Status s = CheckStageName(name, where); !s.ok()) return s;
    const json& v = (*section)[name];
    if (!v.is_object())
      return Status::Error(where + "[" + Shown(json(name)) + "] must be an object");
    StageLatency stage{name};
    Status s = StageFigure(v, "p50", where, &stage.p50_ms);
    if (s.ok()) s = StageFigure(v, "p99", where, &stage.p99_ms);
    if (!s.ok()) return s;
    out->push_back(std::move(stage));
  }
  return Status::Ok();
}

// Reads the waterfall's segments (summary.stages_ms in summary.stage_order) and the web's
// Server-Timing metrics. Names are untrusted: they reach tables and gnuplot, so they are checked.
Status ReadStages(const json& root, Report* report) {
  const json& summary = root["summary"];
  std::vector<std::string> order;
  auto order_it = summary.find("stage_order");
  if (order_it != summary.end() && !order_it->is_null()) {
    if (!order_it->is_array() || order_it->size() > kMaxStages) {
      return Status::Error("summary.stage_order must be an array of at most " +
                           std::to_string(kMaxStages) + " stage names");
    }
    for (const json& name : *order_it) {
      if (!name.is_string())
        return Status::Error("summary.stage_order holds a non-string " + Shown(name));
      if (Status s = CheckStageName(name.get<std::string>(), "summary.stage_order"); !s.ok()) {
        return s;
      }
      order.push_back(name.get<std::string>());
    }
  }
  Status s = ReadStageSection(summary, "stages_ms", order, &report->stages);
  if (!s.ok()) return s;
  return ReadStageSection(summary, "server_timing_ms", {}, &report->web_stages);
}

Status ParseInto(const json& root, Report* report) {
  Status s = CheckSchema(root);
  if (!s.ok()) return s;
  report->json = root;
  auto label = root.find("label");
  if (label != root.end() && label->is_string() && !label->get<std::string>().empty()) {
    report->label = label->get<std::string>();
  }
  report->conditions = root.value("conditions", json::object());
  if (!report->conditions.is_object()) return Status::Error("\"conditions\" must be an object");
  if (!(s = ReadSummary(root, report)).ok()) return s;
  if (!(s = ReadLatency(root, "latency", "latency_ms", "", report, &report->latency)).ok()) {
    return s;
  }
  if (!(s = ReadLatency(root, "uncorrected_latency", "uncorrected_latency_ms", "uncorrected_",
                        report, &report->uncorrected))
           .ok()) {
    return s;
  }
  if (!(s = ReadLatency(root, "e2e", "e2e_ms", "e2e_", report, &report->e2e)).ok()) return s;
  if (!(s = ReadStages(root, report)).ok()) return s;
  return ReadSeries(root, report);
}

std::string FileStem(const std::string& path) {
  return std::filesystem::path(path).stem().string();
}
}  // namespace

Result<Report> ParseJsonReport(const nlohmann::json& json, const std::string& source) {
  Report report;
  report.source = source;
  report.label = FileStem(source);
  try {
    Status s = ParseInto(json, &report);
    if (!s.ok()) return Status::Error(source + ": " + s.message());
  } catch (const nlohmann::json::exception& e) {
    // value()/[] on a field of the wrong type; the message names the JSON type involved.
    return Status::Error(source + ": unexpected field type: " + e.what());
  }
  return report;
}

Result<Report> ParseReportText(const std::string& text, const std::string& source) {
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return Status::Error(source + ": the file is empty");
  if (text[first] != '{' && text[first] != '[') return ParseHgrm(text, source, FileStem(source));
  if (Status deep = CheckJsonDepth(text, source); !deep.ok()) return deep;
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
    return Status::Error(source + ": not valid JSON (" + e.what() + ")");
  }
  return ParseJsonReport(root, source);
}

Result<Report> ReadReport(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(path + ": cannot read (" + std::strerror(errno) + ")");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseReportText(buffer.str(), path);
}

}  // namespace fib
