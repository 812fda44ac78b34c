#include "common/fib_timing.h"

#include <fmt/format.h>

#include <charconv>

namespace fib {
namespace {

bool PlainByte(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

std::string PercentEncode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    out += PlainByte(c) ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

Result<std::string> PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    int hi = i + 2 < text.size() ? HexDigit(text[i + 1]) : -1;
    int lo = i + 2 < text.size() ? HexDigit(text[i + 2]) : -1;
    if (i + 2 >= text.size() || hi < 0 || lo < 0) {
      return Status::Error("stage name has a bad %-escape");
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

Result<int64_t> Number(std::string_view key, std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value < 0) {
    return Status::Error(fmt::format("'{}' is not a whole number of µs", key));
  }
  return value;
}

// Parses "name:duration_us" into `timing`.
Status AddStage(std::string_view text, FibTiming* timing) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return Status::Error("stage without ':<µs>'");
  if (timing->stages.size() >= kMaxFibTimingStages) {
    return Status::Error(fmt::format("more than {} stages", kMaxFibTimingStages));
  }
  auto name = PercentDecode(text.substr(0, colon));
  if (!name.ok()) return name.status();
  if (name->empty() || name->size() > kMaxFibTimingStageNameBytes) {
    return Status::Error(
        fmt::format("stage name empty or over {} bytes", kMaxFibTimingStageNameBytes));
  }
  auto duration = Number("stage", text.substr(colon + 1));
  if (!duration.ok()) return duration.status();
  timing->stages.emplace_back(std::move(*name), *duration);
  return Status::Ok();
}

int64_t* StampFor(std::string_view key, FibTiming* timing) {
  if (key == "req") return &timing->request_start_us;
  if (key == "enq") return &timing->enqueued_us;
  if (key == "fetch") return &timing->fetched_us;
  if (key == "perform") return &timing->perform_us;
  if (key == "smtp") return &timing->smtp_start_us;
  return nullptr;
}

// Parses one "key=value" item into `timing`; `seen` holds the stamps already set.
Status AddItem(std::string_view item, FibTiming* timing, std::vector<std::string_view>* seen) {
  size_t eq = item.find('=');
  if (eq == std::string_view::npos) return Status::Error("item without '='");
  std::string_view key = Trim(item.substr(0, eq)), value = Trim(item.substr(eq + 1));
  if (key == "stage") return AddStage(value, timing);
  if (key == "v") return value == "1" ? Status::Ok() : Status::Error("unknown version");
  int64_t* stamp = StampFor(key, timing);
  if (!stamp) return Status::Ok();  // a later version's key
  for (std::string_view done : *seen) {
    if (done == key) return Status::Error(fmt::format("'{}' given twice", key));
  }
  seen->push_back(key);
  auto number = Number(key, value);
  if (!number.ok()) return number.status();
  *stamp = *number;
  return Status::Ok();
}

}  // namespace

std::string FormatFibTiming(const FibTiming& timing) {
  std::string out = "v=1";
  auto stamp = [&out](const char* key, int64_t us) {
    if (us > 0) out += fmt::format("; {}={}", key, us);
  };
  stamp("req", timing.request_start_us);
  stamp("enq", timing.enqueued_us);
  stamp("fetch", timing.fetched_us);
  stamp("perform", timing.perform_us);
  for (const auto& [name, us] : timing.stages) {
    out += fmt::format("; stage={}:{}", PercentEncode(name), std::max<int64_t>(us, 0));
  }
  stamp("smtp", timing.smtp_start_us);
  return out;
}

Result<FibTiming> ParseFibTiming(std::string_view value) {
  if (value.size() > kMaxFibTimingBytes) {
    return Status::Error(
        fmt::format("{} header over {} bytes", kFibTimingHeader, kMaxFibTimingBytes));
  }
  FibTiming timing;
  std::vector<std::string_view> seen;
  while (!value.empty()) {
    size_t semi = value.find(';');
    std::string_view item = Trim(value.substr(0, semi));
    value = semi == std::string_view::npos ? std::string_view() : value.substr(semi + 1);
    if (item.empty()) continue;
    if (Status added = AddItem(item, &timing, &seen); !added.ok()) {
      return Status::Error(fmt::format("{} header: {}", kFibTimingHeader, added.message()));
    }
  }
  return timing;
}

std::string FormatRequestStart(int64_t request_start_us) {
  return std::to_string(request_start_us / 1000);
}

}  // namespace fib
