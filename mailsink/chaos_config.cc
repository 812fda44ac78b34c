#include "mailsink/chaos_config.h"

#include <fmt/format.h>

#include <cmath>
#include <initializer_list>
#include <limits>

#include "common/json_depth.h"

namespace fib {
namespace {

using nlohmann::json;

constexpr std::array<const char*, kChaosPointCount> kPointNames = {
    "connect", "greeting", "ehlo", "auth", "mail", "rcpt", "data_end"};

Status FieldError(const std::string& field, const std::string& rule, const json& got) {
  std::string shown = got.dump(-1, ' ', false, json::error_handler_t::replace);
  if (shown.size() > 40) shown = shown.substr(0, 40) + "...";
  return Status::Error(fmt::format("chaos field '{}' must be {}, got {}", field, rule, shown));
}

// Refuses any member of `object` not in `allowed`, and a non-object.
Status CheckObject(const json& object, const std::string& field,
                   std::initializer_list<const char*> allowed) {
  if (!object.is_object()) return FieldError(field, "an object", object);
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (const char* name : allowed) known = known || key == name;
    if (known) continue;
    std::string names;
    for (const char* name : allowed) names += (names.empty() ? "" : ", ") + std::string(name);
    std::string where = field.empty() ? "" : " in '" + field + "'";
    return Status::Error(
        fmt::format("unknown chaos field '{}'{} (allowed: {})", key.substr(0, 40), where, names));
  }
  return Status::Ok();
}

std::string Join(const std::string& parent, const char* key) {
  return parent.empty() ? key : parent + "." + key;
}

// Reads object[key] as a number in [low, high] (`low_open`: excluding low) into `out`; absent
// leaves `out` alone.
Status ReadNumber(const json& object, const std::string& parent, const char* key, double low,
                  bool low_open, double high, double* out) {
  auto it = object.find(key);
  if (it == object.end()) return Status::Ok();
  std::string rule = fmt::format("a number {}{}..{}", low_open ? "> " : "", low, high);
  if (low_open) rule = fmt::format("a number > {} and <= {}", low, high);
  if (!it->is_number()) return FieldError(Join(parent, key), rule, *it);
  double value = it->get<double>();
  if (!std::isfinite(value) || value < low || (low_open && value == low) || value > high) {
    return FieldError(Join(parent, key), rule, *it);
  }
  *out = value;
  return Status::Ok();
}

Status ReadInt(const json& object, const std::string& parent, const char* key, int64_t low,
               int64_t high, const std::string& meaning, int64_t* out) {
  auto it = object.find(key);
  if (it == object.end()) return Status::Ok();
  std::string rule = fmt::format("a whole number {}..{}{}", low, high, meaning);
  if (!it->is_number_integer()) return FieldError(Join(parent, key), rule, *it);
  bool fits = it->is_number_unsigned() ? it->get<uint64_t>() <= static_cast<uint64_t>(high)
                                       : it->get<int64_t>() >= low && it->get<int64_t>() <= high;
  if (!fits || (it->is_number_unsigned() && static_cast<int64_t>(it->get<uint64_t>()) < low)) {
    return FieldError(Join(parent, key), rule, *it);
  }
  *out = it->get<int64_t>();
  return Status::Ok();
}

Status ReadFault(const json& object, const std::string& field, ChaosFault* fault) {
  Status s = CheckObject(object, field, {"code", "probability"});
  if (!s.ok()) return s;
  if (!object.contains("code")) {
    return Status::Error(
        fmt::format("chaos field '{}.code' is required (an SMTP reply 400..599)", field));
  }
  int64_t code = 0;
  double probability = 1;
  for (Status r :
       {ReadInt(object, field, "code", 400, 599, " (an SMTP reply code 4xx or 5xx)", &code),
        ReadNumber(object, field, "probability", 0, false, 1, &probability)}) {
    if (!r.ok()) return r;
  }
  *fault = {static_cast<int>(code), probability};
  return Status::Ok();
}

Status ReadOutage(const json& object, ChaosConfig* config) {
  Status s = CheckObject(object, "outage", {"for_s", "mode"});
  if (!s.ok()) return s;
  if (!object.contains("for_s")) {
    return Status::Error(
        fmt::format("chaos field 'outage.for_s' is required (seconds, > 0 and "
                    "<= {})",
                    kMaxOutageS));
  }
  s = ReadNumber(object, "outage", "for_s", 0, true, kMaxOutageS, &config->outage_for_s);
  if (!s.ok()) return s;
  auto mode = object.find("mode");
  if (mode == object.end()) return Status::Ok();
  if (*mode == "refuse") {
    config->outage_mode = OutageMode::kRefuse;
  } else if (*mode == "421") {
    config->outage_mode = OutageMode::kReply421;
  } else {
    return FieldError("outage.mode", "\"refuse\" or \"421\"", *mode);
  }
  return Status::Ok();
}

Status ReadRateLimit(const json& object, ChaosConfig* config) {
  Status s = CheckObject(object, "rate_limit", {"per_s", "burst"});
  if (!s.ok()) return s;
  if (!object.contains("per_s")) {
    return Status::Error(fmt::format(
        "chaos field 'rate_limit.per_s' is required (messages per second, > 0 and <= {})",
        kMaxRatePerS));
  }
  for (Status r :
       {ReadNumber(object, "rate_limit", "per_s", 0, true, kMaxRatePerS, &config->rate_limit_per_s),
        ReadInt(object, "rate_limit", "burst", 1, kMaxBurst, " (messages)",
                &config->rate_limit_burst)}) {
    if (!r.ok()) return r;
  }
  return Status::Ok();
}

Status ReadLatency(const json& object, ChaosConfig* config) {
  Status s = CheckObject(object, "latency", {"ms", "jitter_ms"});
  if (!s.ok()) return s;
  for (Status r : {ReadInt(object, "latency", "ms", 0, kMaxLatencyMs, "", &config->latency_ms),
                   ReadInt(object, "latency", "jitter_ms", 0, kMaxLatencyMs, "",
                           &config->latency_jitter_ms)}) {
    if (!r.ok()) return r;
  }
  if (config->latency_ms + config->latency_jitter_ms > kMaxLatencyMs) {
    return Status::Error(
        fmt::format("chaos fields 'latency.ms' + 'latency.jitter_ms' must be at most {}, got {}",
                    kMaxLatencyMs, config->latency_ms + config->latency_jitter_ms));
  }
  return Status::Ok();
}

Status ReadDocument(const json& doc, ChaosConfig* config) {
  Status s = CheckObject(doc, "",
                         {"connect", "greeting", "ehlo", "auth", "mail", "rcpt", "data_end",
                          "outage", "rate_limit", "disconnect_mid_data", "latency", "seed"});
  if (!s.ok()) return s;
  for (size_t i = 0; i < kChaosPointCount; ++i) {
    auto it = doc.find(kPointNames[i]);
    if (it != doc.end()) s = ReadFault(*it, kPointNames[i], &config->faults[i]);
    if (!s.ok()) return s;
  }
  if (doc.contains("outage")) s = ReadOutage(doc["outage"], config);
  if (s.ok() && doc.contains("rate_limit")) s = ReadRateLimit(doc["rate_limit"], config);
  if (s.ok() && doc.contains("latency")) s = ReadLatency(doc["latency"], config);
  if (s.ok() && doc.contains("disconnect_mid_data")) {
    const json& d = doc["disconnect_mid_data"];
    s = CheckObject(d, "disconnect_mid_data", {"probability"});
    if (s.ok() && !d.contains("probability")) {
      s = Status::Error("chaos field 'disconnect_mid_data.probability' is required (0..1)");
    }
    if (s.ok()) {
      s = ReadNumber(d, "disconnect_mid_data", "probability", 0, false, 1,
                     &config->disconnect_mid_data_probability);
    }
  }
  if (s.ok() && doc.contains("seed")) {
    int64_t seed = 0;
    s = ReadInt(doc, "", "seed", 0, std::numeric_limits<int64_t>::max(), " (0 = random)", &seed);
    config->seed = static_cast<uint64_t>(seed);
  }
  return s;
}

}  // namespace

const char* ChaosPointName(ChaosPoint point) { return kPointNames[static_cast<size_t>(point)]; }

Result<ChaosConfig> ParseChaosConfig(std::string_view text) {
  if (text.size() > kMaxChaosBodyBytes) {
    return Status::Error(fmt::format("chaos document is {} bytes; at most {} are accepted",
                                     text.size(), kMaxChaosBodyBytes));
  }
  Status depth = CheckJsonDepth(text, "chaos document", 8);
  if (!depth.ok()) return depth;
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return Status::Error(
        "chaos document is not valid JSON; send an object such as "
        "{\"outage\":{\"for_s\":10,\"mode\":\"421\"}}");
  }
  ChaosConfig config;
  Status s = ReadDocument(doc, &config);
  if (!s.ok()) return s;
  return config;
}

nlohmann::json ChaosConfigJson(const ChaosConfig& config) {
  json doc = json::object();
  for (size_t i = 0; i < kChaosPointCount; ++i) {
    const ChaosFault& fault = config.faults[i];
    if (fault.code != 0)
      doc[kPointNames[i]] = {{"code", fault.code}, {"probability", fault.probability}};
  }
  if (config.outage_for_s > 0) {
    doc["outage"] = {{"for_s", config.outage_for_s},
                     {"mode", config.outage_mode == OutageMode::kRefuse ? "refuse" : "421"}};
  }
  if (config.rate_limit_per_s > 0) {
    doc["rate_limit"] = {{"per_s", config.rate_limit_per_s}};
    if (config.rate_limit_burst > 0) doc["rate_limit"]["burst"] = config.rate_limit_burst;
  }
  if (config.disconnect_mid_data_probability > 0) {
    doc["disconnect_mid_data"] = {{"probability", config.disconnect_mid_data_probability}};
  }
  if (config.latency_ms > 0 || config.latency_jitter_ms > 0) {
    doc["latency"] = {{"ms", config.latency_ms}, {"jitter_ms", config.latency_jitter_ms}};
  }
  if (config.seed) doc["seed"] = *config.seed;
  return doc;
}

Result<ChaosConfig> ApplyProviderPresets(ChaosConfig base, int64_t delay_ms, double fail_rate) {
  if (delay_ms > 0) {
    if (base.latency_ms > 0 || base.latency_jitter_ms > 0) {
      return Status::Error("--delay-ms and a --chaos latency both set the latency; give one");
    }
    base.latency_ms = delay_ms;
  }
  if (fail_rate > 0) {
    ChaosFault& data_end = base.fault(ChaosPoint::kDataEnd);
    if (data_end.code != 0) {
      return Status::Error("--fail-rate and a --chaos data_end both set the DATA fault; give one");
    }
    data_end = {451, fail_rate};
  }
  return base;
}

}  // namespace fib
