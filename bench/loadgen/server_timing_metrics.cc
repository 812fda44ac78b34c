#include "bench/loadgen/server_timing_metrics.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include "common/text.h"

namespace fib {
namespace {

std::vector<std::string_view> SplitOn(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

}  // namespace

std::vector<std::pair<std::string, int64_t>> ParseServerTiming(std::string_view header) {
  std::vector<std::pair<std::string, int64_t>> out;
  for (std::string_view metric : SplitOn(header, ',')) {
    auto params = SplitOn(metric, ';');
    std::string name = Trim(params[0]);
    if (name.empty()) continue;
    for (size_t i = 1; i < params.size(); ++i) {
      std::string param = Trim(params[i]);
      if (param.rfind("dur=", 0) != 0) continue;
      std::string value = param.substr(4);
      char* end = nullptr;
      double ms = std::strtod(value.c_str(), &end);
      if (end == value.c_str() || *end != '\0' || !std::isfinite(ms) || ms < 0) break;
      out.emplace_back(name, static_cast<int64_t>(std::llround(ms * 1000.0)));
      break;
    }
  }
  return out;
}

}  // namespace fib
