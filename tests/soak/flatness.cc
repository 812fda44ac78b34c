#include "tests/soak/flatness.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace fib::test {

double GrowthPercent(int64_t base, int64_t value) {
  if (base == 0) return 0;
  return 100.0 * static_cast<double>(value - base) / static_cast<double>(base);
}

Flatness AssessFlatness(const ProcessSeries& series, const FlatnessLimits& limits) {
  Flatness result;
  result.name = series.name;
  result.read_errors = series.read_errors;
  auto first = std::find_if(series.samples.begin(), series.samples.end(),
                            [&](const ProcessSample& s) { return s.t_s >= limits.warmup_s; });
  if (first == series.samples.end()) return result;
  result.judged = true;
  result.baseline = *first;
  result.end = series.samples.back();
  for (auto it = first; it != series.samples.end(); ++it) {
    result.max_rss_kb = std::max(result.max_rss_kb, it->rss_kb);
    result.max_fds = std::max(result.max_fds, it->fds);
  }
  double rss_limit =
      static_cast<double>(result.baseline.rss_kb) * (1 + limits.max_rss_growth_fraction);
  result.rss_limit_kb = static_cast<int64_t>(std::floor(rss_limit));
  int64_t fd_room = std::max<int64_t>(
      limits.fd_slack, static_cast<int64_t>(std::ceil(static_cast<double>(result.baseline.fds) *
                                                      limits.max_fd_growth_fraction)));
  result.fd_limit = result.baseline.fds + fd_room;
  result.rss_flat = result.max_rss_kb <= result.rss_limit_kb;
  result.fds_flat = result.max_fds <= result.fd_limit;
  return result;
}

std::string FlatnessTable(const std::vector<Flatness>& rows) {
  std::string out =
      fmt::format("{:<22} {:>9} {:>9} {:>9} {:>7} {:>7} | {:>5} {:>5} {:>5} {:>6} {:>5} | {}\n",
                  "process", "RSS@warm", "RSS@end", "RSS max", "d_end%", "d_max%", "fd@w", "fd@e",
                  "fdmax", "d_max%", "limit", "verdict");
  out += fmt::format("{:<22} {:>9} {:>9} {:>9} {:>7} {:>7} | {:>5} {:>5} {:>5} {:>6} {:>5} |\n", "",
                     "(kB)", "(kB)", "(kB)", "", "", "", "", "", "", "");
  for (const Flatness& r : rows) {
    if (!r.judged) {
      out +=
          fmt::format("{:<22} no sample after warm-up ({} read errors)\n", r.name, r.read_errors);
      continue;
    }
    std::string verdict = r.rss_flat && r.fds_flat     ? "flat"
                          : !r.rss_flat && !r.fds_flat ? "RSS+fds GREW"
                          : !r.rss_flat                ? "RSS GREW"
                                                       : "fds GREW";
    out += fmt::format(
        "{:<22} {:>9} {:>9} {:>9} {:>+7.1f} {:>+7.1f} | {:>5} {:>5} {:>5} {:>+6.1f} {:>5} | {}\n",
        r.name, r.baseline.rss_kb, r.end.rss_kb, r.max_rss_kb,
        GrowthPercent(r.baseline.rss_kb, r.end.rss_kb),
        GrowthPercent(r.baseline.rss_kb, r.max_rss_kb), r.baseline.fds, r.end.fds, r.max_fds,
        GrowthPercent(r.baseline.fds, r.max_fds), r.fd_limit, verdict);
  }
  return out;
}

}  // namespace fib::test
