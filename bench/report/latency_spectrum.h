// LatencySpectrum: the one place the report tool turns a latency distribution into percentiles.
// compare's table, plot's percentile spectrum and merge's recomputed summary all use it, so a
// merged report and its inputs are read the same way. Built from an HdrHistogram (exact to the
// histogram's resolution) or from the rows of an .hgrm percentile distribution (as printed).
// Thread-safety: immutable after construction; safe to share between threads.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bench/histogram/hdr_histogram.h"
#include "common/status.h"

namespace fib {

// One row of a percentile distribution (the four .hgrm columns).
struct SpectrumPoint {
  double value_ms = 0;
  double percentile = 0;    // 0..100
  int64_t total_count = 0;  // values at or below value_ms
  // Returns 1/(1 - percentile/100), the HdrHistogram plotter's x axis; +inf at 100%.
  double InverseTail() const;
};

// Footer figures of an .hgrm file ("#[Mean = ..., StdDeviation = ...]", "#[Max = ...]").
struct HgrmFooter {
  std::optional<double> mean_ms, stdev_ms, max_ms;
};

class LatencySpectrum {
 public:
  // Returns the spectrum of a histogram of microsecond values.
  static LatencySpectrum FromHistogram(const HdrHistogram& histogram_us);
  // Returns the spectrum of .hgrm rows (values in ms, increasing). Percentiles between rows
  // resolve to the next row at or above them. Error when rows are empty or not increasing.
  static Result<LatencySpectrum> FromRows(const std::vector<SpectrumPoint>& rows,
                                          const HgrmFooter& footer);

  int64_t total_count() const { return total_count_; }
  bool empty() const { return total_count_ == 0; }
  // Returns the value (ms) at percentile p (0..100), as HdrHistogram::ValueAtPercentile does:
  // the highest value equivalent to the bucket that holds the ceil(p/100 * count)-th value.
  double ValueAtMs(double percentile) const;
  double min_ms() const { return min_ms_; }
  double max_ms() const { return max_ms_; }
  double mean_ms() const { return mean_ms_; }
  double stdev_ms() const { return stdev_ms_; }

  // Returns HdrHistogram's percentile-iteration rows: `ticks_per_half_distance` rows per halving
  // of the distance to 100% (only where values are), ending with the 100% row.
  std::vector<SpectrumPoint> Ticks(int ticks_per_half_distance = 5) const;
  // Returns {"p50","p75","p90","p99","p99_9","p99_99","min","max","mean","stdev"} in ms, the
  // summary layout of docs/report-format.md.
  nlohmann::json SummaryJson() const;

 private:
  struct Bucket {
    double value_ms;
    int64_t cumulative_count;
  };
  LatencySpectrum() = default;

  std::vector<Bucket> buckets_;           // non-empty buckets (or .hgrm rows), increasing value
  std::vector<SpectrumPoint> hgrm_rows_;  // when built from .hgrm: its rows, returned by Ticks
  int64_t total_count_ = 0;
  double min_ms_ = 0, max_ms_ = 0, mean_ms_ = 0, stdev_ms_ = 0;
};

}  // namespace fib
