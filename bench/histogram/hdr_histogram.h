// HdrHistogram: a log-linear latency histogram of our own (HdrHistogram is not packaged in Debian).
// Records values (µs) in O(1) with a relative error below 10^-digits; memory is fixed by the range,
// not by the number of values. One per thread, merged at the end.
// Thread-safety: none; one writer. Merge copies between threads after they stop.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"

namespace fib {

class HdrHistogram {
 public:
  // Default: 1 µs .. 1 hour, 3 significant digits.
  explicit HdrHistogram(int64_t lowest = 1, int64_t highest = 3600LL * 1000 * 1000,
                        int significant_digits = 3);

  // Records one value (count times). Values above highest are clamped to highest and counted
  // in clamped(); values below lowest (including negatives) record as lowest.
  void Record(int64_t value, int64_t count = 1);
  // Adds every count of `other` (which may have another range or precision).
  void Merge(const HdrHistogram& other);
  void Reset();

  int64_t total_count() const { return total_count_; }
  int64_t clamped() const { return clamped_; }
  int64_t Min() const;  // 0 when empty
  int64_t Max() const;  // highest equivalent value of the largest recorded, 0 when empty
  double Mean() const;
  double StdDev() const;
  // Returns the value at percentile p (0..100): the highest value equivalent to the bucket that
  // holds the ceil(p/100 * count)-th value. 0 when empty.
  int64_t ValueAtPercentile(double p) const;
  // Calls fn(highest_equivalent_value, count) for each non-empty bucket in increasing order.
  void ForEach(const std::function<void(int64_t value, int64_t count)>& fn) const;

  // Returns the HdrHistogram percentile-distribution text (.hgrm,
  // docs/measurement.md#hdrhistogram), values divided by `scale` (1000: µs recorded, ms printed),
  // 5 ticks per half distance to 100%.
  std::string FormatHgrm(double scale = 1000.0, int ticks_per_half_distance = 5) const;
  // Returns {"lowest","highest","significant_digits","total_count","clamped","counts":[[v,c],...]}
  // with one [value, count] pair per non-empty bucket (value = highest equivalent value).
  nlohmann::json ToJson() const;
  // Rebuilds a histogram written by ToJson. Error names the missing or ill-typed field.
  static Result<HdrHistogram> FromJson(const nlohmann::json& json);

  // Returns the largest / smallest value that shares `value`'s bucket (what percentiles report).
  // REQUIRES: lowest <= value <= highest.
  int64_t HighestEquivalentValue(int64_t value) const;
  int64_t LowestEquivalentValue(int64_t value) const;
  int bucket_count() const { return bucket_count_; }
  int sub_bucket_count() const { return sub_bucket_count_; }

 private:
  // (implementation details: bucket/sub-bucket layout as HdrHistogram_c)
  int BucketIndex(int64_t value) const;
  size_t CountsIndex(int64_t value) const;
  int64_t ValueAtIndex(size_t index) const;
  int64_t EquivalentRangeSize(int64_t value) const;
  int64_t MedianEquivalentValue(int64_t value) const;
  bool SameLayout(const HdrHistogram& other) const;

  int64_t lowest_, highest_;
  int significant_digits_;
  int unit_magnitude_ = 0, sub_bucket_half_count_magnitude_ = 0;
  int32_t sub_bucket_count_ = 0, sub_bucket_half_count_ = 0, bucket_count_ = 0;
  int64_t sub_bucket_mask_ = 0;
  std::vector<int64_t> counts_;
  int64_t total_count_ = 0, clamped_ = 0;
  int64_t min_ = INT64_MAX, max_ = 0;
};

}  // namespace fib
