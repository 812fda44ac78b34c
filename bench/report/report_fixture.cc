#include "bench/report/report_fixture.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <utility>

#include "bench/histogram/hdr_histogram.h"

namespace fib {

namespace {
using nlohmann::json;

json Summary(const HdrHistogram& h) {
  auto ms = [](double us) { return us / 1000.0; };
  return {{"p50", ms(h.ValueAtPercentile(50))},
          {"p75", ms(h.ValueAtPercentile(75))},
          {"p90", ms(h.ValueAtPercentile(90))},
          {"p99", ms(h.ValueAtPercentile(99))},
          {"p99_9", ms(h.ValueAtPercentile(99.9))},
          {"p99_99", ms(h.ValueAtPercentile(99.99))},
          {"min", ms(h.Min())},
          {"max", ms(h.Max())},
          {"mean", ms(h.Mean())},
          {"stdev", ms(h.StdDev())}};
}

HdrHistogram Record(const std::vector<int64_t>& values_us) {
  HdrHistogram h;
  for (int64_t v : values_us) h.Record(v);
  return h;
}

// One row per second: the values recorded in that second (evenly spread) and their p50/p99.
json Timeseries(const std::vector<int64_t>& values_us, double duration_s) {
  json rows = json::array();
  int seconds = std::max(1, static_cast<int>(std::lround(duration_s)));
  size_t per_second = (values_us.size() + seconds - 1) / seconds;
  for (int s = 0; s < seconds; ++s) {
    size_t begin = std::min(values_us.size(), s * per_second);
    size_t end = std::min(values_us.size(), begin + per_second);
    HdrHistogram h = Record({values_us.begin() + begin, values_us.begin() + end});
    json row = {
        {"t_s", s + 1}, {"requests", end - begin}, {"rps", double(end - begin)}, {"errors", 0}};
    if (end > begin) {
      row["p50_ms"] = h.ValueAtPercentile(50) / 1000.0;
      row["p99_ms"] = h.ValueAtPercentile(99) / 1000.0;
    }
    rows.push_back(row);
  }
  return rows;
}

json RedisSamples(double duration_s) {
  json rows = json::array();
  int samples = static_cast<int>(duration_s * 10);
  for (int i = 1; i <= samples; ++i) {
    // Depth rises for the first half of the run and drains in the second.
    int depth = i <= samples / 2 ? i : std::max(0, samples - i);
    rows.push_back({{"t_s", i / 10.0},
                    {"queue_depth", depth},
                    {"retry", 0},
                    {"dead", 0},
                    {"busy", depth > 0 ? 2 : 0}});
  }
  return rows;
}

json Conditions(const FixtureOptions& o, double offered_rps) {
  bool debug = o.build_type == "Debug";
  json c = {{"command_line", "fibtastic-loadgen (test fixture)"},
            {"start_time", "2026-11-28T00:00:00Z"},
            {"url", "http://127.0.0.1:3000/sequences"},
            {"method", "POST"},
            {"load_model", "open"},
            {"offered_rps", offered_rps},
            {"connections", o.connections},
            {"threads", 2},
            {"duration_s", o.duration_s},
            {"warmup_s", 0.0},
            {"timeout_ms", 10000},
            {"build_type", o.build_type},
            {"debug_build", debug},
            {"cores", o.cores},
            {"hostname", "fixture-host"}};
  if (debug) c["warning"] = "WARNING: debug build; latency figures are not representative.";
  return c;
}
}  // namespace

std::vector<int64_t> FixtureLatencies(size_t n, int64_t low_us, int64_t high_us, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> body(low_us, high_us);
  std::vector<int64_t> values;
  for (size_t i = 0; i < n; ++i) {
    int64_t v = body(rng);
    values.push_back(i % 100 == 99 ? v * 10 : v);
  }
  return values;
}

json MakeFixtureReport(const FixtureOptions& o) {
  const auto& uncorrected =
      o.uncorrected_latencies_us.empty() ? o.latencies_us : o.uncorrected_latencies_us;
  HdrHistogram latency = Record(o.latencies_us), uncorrected_h = Record(uncorrected);
  double requests = static_cast<double>(o.latencies_us.size());
  double rps = requests / o.duration_s;
  double offered = o.offered_rps > 0 ? o.offered_rps : rps;
  json summary = {{"requests", o.latencies_us.size()},
                  {"rps", rps},
                  {"offered_rps", offered},
                  {"errors", o.errors},
                  {"in_flight_at_end", 0},
                  {"schedule_lag_ms", {{"p50", 0.01}, {"p99", 0.2}, {"max", 1.0}}},
                  {"latency_ms", Summary(latency)},
                  {"uncorrected_latency_ms", Summary(uncorrected_h)}};
  json histograms = {{"latency", latency.ToJson()},
                     {"uncorrected_latency", uncorrected_h.ToJson()}};
  if (!o.e2e_latencies_us.empty()) {
    HdrHistogram e2e = Record(o.e2e_latencies_us);
    summary["e2e_ms"] = Summary(e2e);
    int64_t expected = static_cast<int64_t>(o.e2e_latencies_us.size()) + o.e2e_missing;
    summary["e2e"] = {{"expected", expected},
                      {"received", o.e2e_latencies_us.size()},
                      {"missing", o.e2e_missing},
                      {"duplicates", 0},
                      {"missing_ids", json::array()}};
    histograms["e2e"] = e2e.ToJson();
  }
  int64_t ok = static_cast<int64_t>(o.latencies_us.size()) - o.errors;
  json report = {
      {"schema", 1},
      {"tool", "fibtastic-loadgen"},
      {"label", o.label},
      {"conditions", Conditions(o, offered)},
      {"summary", summary},
      {"status_codes", {{"200", ok}}},
      {"errors", {{"connect", 0}, {"read", 0}, {"write", 0}, {"timeout", 0}, {"status", o.errors}}},
      {"histograms", histograms},
      {"timeseries", Timeseries(o.latencies_us, o.duration_s)}};
  if (o.errors > 0) report["status_codes"]["500"] = o.errors;
  if (o.with_redis_samples) report["redis_samples"] = RedisSamples(o.duration_s);
  return report;
}

std::string MakeTempDir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  return mkdtemp(pattern.data()) ? pattern : "";
}

bool WriteJsonFile(const std::string& path, const nlohmann::json& json) {
  std::ofstream out(path);
  out << json.dump(2) << "\n";
  return static_cast<bool>(out);
}

void AddLessonStages(nlohmann::json* report, bool background, double extra_ms) {
  using Figures = std::vector<std::pair<std::string, double>>;
  Figures stages = background ? Figures{{"to web", 0.2},
                                        {"web to enqueue", 4},
                                        {"queue wait", 1},
                                        {"pickup", 0.1},
                                        {"generate recommendations", 100},
                                        {"job overhead", 0.3},
                                        {"smtp", 100}}
                              : Figures{{"to web", 0.2},
                                        {"web to job", 3},
                                        {"generate recommendations", 100},
                                        {"job overhead", 0.3},
                                        {"smtp", 100}};
  Figures web = background ? Figures{{"load_user", 3}, {"enqueue", 0.3}, {"render", 20}}
                           : Figures{{"load_user", 3}, {"job", 200.3}, {"render", 20}};
  auto summary = [extra_ms](double ms) {
    return nlohmann::json{{"p50", ms + extra_ms}, {"p99", (ms + extra_ms) * 1.1}};
  };
  nlohmann::json& s = (*report)["summary"];
  s["stage_order"] = nlohmann::json::array();
  for (const auto& [name, ms] : stages) {
    s["stage_order"].push_back(name);
    s["stages_ms"][name] = summary(ms);
  }
  for (const auto& [name, ms] : web) s["server_timing_ms"][name] = summary(ms);
}

}  // namespace fib
