#include "mailsink/flag_units.h"

#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <string_view>
#include <utility>

#include "common/flags.h"

namespace fib {
namespace {

struct Unit {
  std::string_view name;
  int64_t scale;
};

// Splits "10min" into 10 and "min", then scales by the unit; `forms` describes what is accepted.
template <size_t N>
Result<int64_t> ParseScaled(const std::string& text, const std::string& flag,
                            const std::array<Unit, N>& units, int64_t bare_scale,
                            const std::string& forms) {
  auto bad = [&](const std::string& why) {
    return Status::Error(flag + " takes " + forms + "; got '" + text + "' (" + why + ")");
  };
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0) return bad("no whole number at the start");
  std::string_view unit = std::string_view(text).substr(digits);
  int64_t scale = unit.empty() ? bare_scale : 0;
  for (const Unit& known : units) {
    if (unit == known.name) scale = known.scale;
  }
  if (scale == 0) return bad("unknown unit '" + std::string(unit) + "'");
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t value = 0;
  for (size_t i = 0; i < digits; ++i) {
    int digit = text[i] - '0';
    if (value > (kMax - digit) / 10) return bad("too large");
    value = value * 10 + digit;
  }
  if (value > kMax / scale) return bad("too large");
  return value * scale;
}

}  // namespace

Result<int64_t> ParseDurationMs(const std::string& text, const std::string& flag, int64_t max_ms) {
  // The same units as every other duration flag (common/flags.h); a bare number is seconds.
  auto seconds = ParseDuration(text, 1, flag);
  if (!seconds.ok()) return seconds.status();
  double ms = *seconds * 1000;
  if (std::abs(ms - std::round(ms)) > 1e-6) {
    return Status::Error(flag + " counts whole milliseconds, got '" + text + "'");
  }
  if (ms < 1 || ms > static_cast<double>(max_ms)) {
    return Status::Error(flag + " must be 1ms.." + std::to_string(max_ms / 3600000) + "h, got '" +
                         text + "'");
  }
  return static_cast<int64_t>(std::llround(ms));
}

Result<int64_t> ParseByteSize(const std::string& text, const std::string& flag) {
  static constexpr std::array<Unit, 7> kUnits = {{{"B", 1},
                                                  {"KiB", 1LL << 10},
                                                  {"MiB", 1LL << 20},
                                                  {"GiB", 1LL << 30},
                                                  {"K", 1LL << 10},
                                                  {"M", 1LL << 20},
                                                  {"G", 1LL << 30}}};
  return ParseScaled(text, flag, kUnits, 1,
                     "a whole number of bytes, optionally with B, KiB, MiB or GiB (e.g. 256MiB)");
}

}  // namespace fib
