#include "bench/report/latency_spectrum.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace fib {

namespace {
constexpr double kUsPerMs = 1000.0;

// The percentile HdrHistogram's iterator reports after `percentile`: the step halves every time
// the distance to 100% halves, so the tail gets as many rows as the body.
double NextTick(double percentile, int ticks_per_half_distance) {
  int64_t halvings = static_cast<int64_t>(std::log2(100.0 / (100.0 - percentile))) + 1;
  double ticks = ticks_per_half_distance * std::pow(2.0, static_cast<double>(halvings));
  return percentile + 100.0 / ticks;
}
}  // namespace

double SpectrumPoint::InverseTail() const {
  if (percentile >= 100.0) return std::numeric_limits<double>::infinity();
  return 1.0 / (1.0 - percentile / 100.0);
}

LatencySpectrum LatencySpectrum::FromHistogram(const HdrHistogram& histogram_us) {
  LatencySpectrum s;
  int64_t cumulative = 0;
  histogram_us.ForEach([&](int64_t value_us, int64_t count) {
    cumulative += count;
    s.buckets_.push_back({value_us / kUsPerMs, cumulative});
  });
  s.total_count_ = cumulative;
  if (cumulative == 0) return s;
  s.min_ms_ = histogram_us.Min() / kUsPerMs;
  s.max_ms_ = histogram_us.Max() / kUsPerMs;
  s.mean_ms_ = histogram_us.Mean() / kUsPerMs;
  s.stdev_ms_ = histogram_us.StdDev() / kUsPerMs;
  return s;
}

Result<LatencySpectrum> LatencySpectrum::FromRows(const std::vector<SpectrumPoint>& rows,
                                                  const HgrmFooter& footer) {
  if (rows.empty()) return Status::Error("no percentile rows (value, percentile, count, 1/(1-p))");
  LatencySpectrum s;
  double sum = 0, sum_squares = 0;
  int64_t previous_count = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const SpectrumPoint& row = rows[i];
    if (i > 0 && (row.value_ms < rows[i - 1].value_ms || row.total_count < previous_count ||
                  row.percentile < rows[i - 1].percentile)) {
      return Status::Error("percentile row " + std::to_string(i + 1) +
                           " goes backwards (rows must be in increasing order)");
    }
    // Values between two rows are attributed to the upper row: an estimate, stated in --help.
    int64_t count = row.total_count - previous_count;
    sum += row.value_ms * count;
    sum_squares += row.value_ms * row.value_ms * count;
    previous_count = row.total_count;
    s.buckets_.push_back({row.value_ms, row.total_count});
  }
  s.hgrm_rows_ = rows;
  s.total_count_ = previous_count;
  if (s.total_count_ <= 0) return Status::Error("the last percentile row has a total count of 0");
  double mean = sum / s.total_count_;
  s.min_ms_ = rows.front().value_ms;
  s.max_ms_ = footer.max_ms.value_or(rows.back().value_ms);
  s.mean_ms_ = footer.mean_ms.value_or(mean);
  s.stdev_ms_ = footer.stdev_ms.value_or(
      std::sqrt(std::max(0.0, sum_squares / s.total_count_ - mean * mean)));
  return s;
}

double LatencySpectrum::ValueAtMs(double percentile) const {
  if (buckets_.empty()) return 0;
  double p = std::clamp(percentile, 0.0, 100.0);
  // Computed exactly as HdrHistogram::ValueAtPercentile does, so both agree at every rank; the
  // epsilon keeps 99.9% of 1000 at rank 999 although 99.9 has no exact binary form.
  double exact_rank = p / 100.0 * static_cast<double>(total_count_);
  auto rank = static_cast<int64_t>(std::ceil(exact_rank - exact_rank * 1e-12));
  rank = std::clamp<int64_t>(rank, 1, total_count_);
  auto it =
      std::lower_bound(buckets_.begin(), buckets_.end(), rank,
                       [](const Bucket& b, int64_t wanted) { return b.cumulative_count < wanted; });
  return it == buckets_.end() ? buckets_.back().value_ms : it->value_ms;
}

std::vector<SpectrumPoint> LatencySpectrum::Ticks(int ticks_per_half_distance) const {
  if (!hgrm_rows_.empty()) return hgrm_rows_;
  std::vector<SpectrumPoint> rows;
  if (total_count_ == 0) return rows;
  double next_percentile = 0;
  for (const Bucket& b : buckets_) {
    double current = 100.0 * static_cast<double>(b.cumulative_count) / total_count_;
    if (b.cumulative_count == total_count_) {
      // As HdrHistogram_c: one row at the last bucket, then the 100% row.
      rows.push_back({b.value_ms, next_percentile, b.cumulative_count});
      rows.push_back({b.value_ms, 100.0, b.cumulative_count});
      break;
    }
    while (next_percentile <= current) {
      rows.push_back({b.value_ms, next_percentile, b.cumulative_count});
      next_percentile = NextTick(next_percentile, ticks_per_half_distance);
    }
  }
  return rows;
}

nlohmann::json LatencySpectrum::SummaryJson() const {
  return {{"p50", ValueAtMs(50)}, {"p75", ValueAtMs(75)},     {"p90", ValueAtMs(90)},
          {"p99", ValueAtMs(99)}, {"p99_9", ValueAtMs(99.9)}, {"p99_99", ValueAtMs(99.99)},
          {"min", min_ms_},       {"max", max_ms_},           {"mean", mean_ms_},
          {"stdev", stdev_ms_}};
}

}  // namespace fib
