#include "bench/histogram/hdr_histogram.h"

#include <fmt/format.h>
#include <fmt/printf.h>

#include <algorithm>
#include <cmath>

#include "common/require.h"

namespace fib {
namespace {

int CountLeadingZeros(uint64_t value) { return value == 0 ? 64 : __builtin_clzll(value); }

}  // namespace

// Layout as HdrHistogram_c (hdr_init): bucket 0 holds sub_bucket_count values at unit
// resolution; each further bucket holds the upper half of its sub-buckets at twice the width.
HdrHistogram::HdrHistogram(int64_t lowest, int64_t highest, int significant_digits)
    : lowest_(std::max<int64_t>(1, lowest)),
      highest_(std::max(highest, 2 * std::max<int64_t>(1, lowest))),
      significant_digits_(std::clamp(significant_digits, 1, 5)) {
  int64_t largest_single_unit = 2;
  for (int i = 0; i < significant_digits_; ++i) largest_single_unit *= 10;
  unit_magnitude_ = 63 - CountLeadingZeros(static_cast<uint64_t>(lowest_));
  int sub_bucket_count_magnitude =
      static_cast<int>(std::ceil(std::log2(static_cast<double>(largest_single_unit))));
  sub_bucket_half_count_magnitude_ = std::max(sub_bucket_count_magnitude, 1) - 1;
  sub_bucket_count_ = int32_t{1} << (sub_bucket_half_count_magnitude_ + 1);
  sub_bucket_half_count_ = sub_bucket_count_ / 2;
  sub_bucket_mask_ = (static_cast<int64_t>(sub_bucket_count_) - 1) << unit_magnitude_;
  int64_t smallest_untrackable = static_cast<int64_t>(sub_bucket_count_) << unit_magnitude_;
  bucket_count_ = 1;
  while (smallest_untrackable <= highest_) {
    if (smallest_untrackable > INT64_MAX / 2) {
      ++bucket_count_;
      break;
    }
    smallest_untrackable <<= 1;
    ++bucket_count_;
  }
  counts_.assign(static_cast<size_t>(bucket_count_ + 1) * sub_bucket_half_count_, 0);
}

int HdrHistogram::BucketIndex(int64_t value) const {
  int pow2_ceiling = 64 - CountLeadingZeros(static_cast<uint64_t>(value | sub_bucket_mask_));
  return pow2_ceiling - unit_magnitude_ - (sub_bucket_half_count_magnitude_ + 1);
}

size_t HdrHistogram::CountsIndex(int64_t value) const {
  int bucket = BucketIndex(value);
  int64_t sub_bucket = value >> (bucket + unit_magnitude_);
  int64_t base = static_cast<int64_t>(bucket + 1) << sub_bucket_half_count_magnitude_;
  return static_cast<size_t>(base + (sub_bucket - sub_bucket_half_count_));
}

int64_t HdrHistogram::ValueAtIndex(size_t index) const {
  int bucket = static_cast<int>(index >> sub_bucket_half_count_magnitude_) - 1;
  int64_t sub_bucket =
      static_cast<int64_t>(index & (sub_bucket_half_count_ - 1)) + sub_bucket_half_count_;
  if (bucket < 0) {
    sub_bucket -= sub_bucket_half_count_;
    bucket = 0;
  }
  return sub_bucket << (bucket + unit_magnitude_);
}

int64_t HdrHistogram::LowestEquivalentValue(int64_t value) const {
  FIB_REQUIRE(lowest_ <= value && value <= highest_);
  int bucket = BucketIndex(value);
  int64_t sub_bucket = value >> (bucket + unit_magnitude_);
  return sub_bucket << (bucket + unit_magnitude_);
}

int64_t HdrHistogram::EquivalentRangeSize(int64_t value) const {
  int bucket = BucketIndex(value);
  int64_t sub_bucket = value >> (bucket + unit_magnitude_);
  int adjusted = sub_bucket >= sub_bucket_count_ ? bucket + 1 : bucket;
  return int64_t{1} << (unit_magnitude_ + adjusted);
}

int64_t HdrHistogram::HighestEquivalentValue(int64_t value) const {
  FIB_REQUIRE(lowest_ <= value && value <= highest_);
  return LowestEquivalentValue(value) + EquivalentRangeSize(value) - 1;
}

int64_t HdrHistogram::MedianEquivalentValue(int64_t value) const {
  return LowestEquivalentValue(value) + EquivalentRangeSize(value) / 2;
}

void HdrHistogram::Record(int64_t value, int64_t count) {
  if (count <= 0) return;
  if (value < lowest_) value = lowest_;
  if (value > highest_) {
    value = highest_;
    clamped_ += count;
  }
  counts_[CountsIndex(value)] += count;
  total_count_ += count;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

bool HdrHistogram::SameLayout(const HdrHistogram& other) const {
  return unit_magnitude_ == other.unit_magnitude_ &&
         sub_bucket_half_count_magnitude_ == other.sub_bucket_half_count_magnitude_ &&
         highest_ == other.highest_ && lowest_ == other.lowest_;
}

void HdrHistogram::Merge(const HdrHistogram& other) {
  if (other.total_count_ == 0) return;
  if (SameLayout(other)) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    total_count_ += other.total_count_;
    clamped_ += other.clamped_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
    return;
  }
  // Another layout: re-record each bucket at its highest equivalent value. Values the other
  // histogram clamped were recorded at its highest; they count as clamped here only if they
  // are not re-clamped by Record (which counts them itself).
  if (other.highest_ <= highest_) clamped_ += other.clamped_;
  int64_t min_before = min_, max_before = max_;
  other.ForEach([this](int64_t value, int64_t count) { Record(value, count); });
  min_ = std::min(min_before, std::clamp(other.min_, lowest_, highest_));
  max_ = std::max(max_before, std::clamp(other.max_, lowest_, highest_));
}

void HdrHistogram::Reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  total_count_ = clamped_ = 0;
  min_ = INT64_MAX;
  max_ = 0;
}

int64_t HdrHistogram::Min() const { return total_count_ == 0 ? 0 : LowestEquivalentValue(min_); }

int64_t HdrHistogram::Max() const { return total_count_ == 0 ? 0 : HighestEquivalentValue(max_); }

double HdrHistogram::Mean() const {
  if (total_count_ == 0) return 0.0;
  double sum = 0.0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    sum += static_cast<double>(MedianEquivalentValue(ValueAtIndex(i))) *
           static_cast<double>(counts_[i]);
  }
  return sum / static_cast<double>(total_count_);
}

double HdrHistogram::StdDev() const {
  if (total_count_ == 0) return 0.0;
  double mean = Mean();
  double geometric_dev_total = 0.0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    double dev = static_cast<double>(MedianEquivalentValue(ValueAtIndex(i))) - mean;
    geometric_dev_total += dev * dev * static_cast<double>(counts_[i]);
  }
  return std::sqrt(geometric_dev_total / static_cast<double>(total_count_));
}

int64_t HdrHistogram::ValueAtPercentile(double p) const {
  if (total_count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  // ceil(p/100 * count), guarded against 99.9 * 1000 / 100 landing a hair above an integer.
  double exact_rank = p / 100.0 * static_cast<double>(total_count_);
  auto rank = static_cast<int64_t>(std::ceil(exact_rank - exact_rank * 1e-12));
  rank = std::clamp<int64_t>(rank, 1, total_count_);
  int64_t cumulative = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    cumulative += counts_[i];
    if (cumulative >= rank) return HighestEquivalentValue(ValueAtIndex(i));
  }
  return Max();
}

void HdrHistogram::ForEach(const std::function<void(int64_t value, int64_t count)>& fn) const {
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] != 0) fn(HighestEquivalentValue(ValueAtIndex(i)), counts_[i]);
  }
}

// Mirrors HdrHistogram_c's percentile iterator and hdr_percentiles_print (CLASSIC), so the
// rows (and their tick percentiles) match files written by wrk2 and the Java/C libraries.
std::string HdrHistogram::FormatHgrm(double scale, int ticks_per_half_distance) const {
  std::string out = fmt::format("{:>12} {:>12} {:>12} {:>12}\n\n", "Value", "Percentile",
                                "TotalCount", "1/(1-Percentile)");
  auto row = [&](int64_t value, double percentile, int64_t cumulative) {
    double fraction = percentile / 100.0;
    out += fmt::sprintf("%12.*f %12f %12lld %12.2f\n", significant_digits_,
                        static_cast<double>(value) / scale, fraction,
                        static_cast<long long>(cumulative), 1.0 / (1.0 - fraction));
  };
  double next_percentile = 0.0;
  int64_t cumulative = 0, last_value = 0;
  for (size_t i = 0; i < counts_.size() && cumulative < total_count_; ++i) {
    if (counts_[i] == 0) continue;
    cumulative += counts_[i];
    last_value = HighestEquivalentValue(ValueAtIndex(i));
    double current = 100.0 * static_cast<double>(cumulative) / static_cast<double>(total_count_);
    while (next_percentile <= current) {
      row(last_value, next_percentile, cumulative);
      auto halvings =
          static_cast<int64_t>(std::log(100.0 / (100.0 - next_percentile)) / std::log(2)) + 1;
      double half_distance = std::pow(2.0, static_cast<double>(halvings));
      next_percentile += 100.0 / (ticks_per_half_distance * half_distance);
      if (cumulative >= total_count_) break;  // the iterator moves on to the final row
    }
  }
  if (total_count_ > 0) row(last_value, 100.0, cumulative);
  out += fmt::sprintf(
      "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n"
      "#[Max     = %12.3f, Total count    = %12lld]\n"
      "#[Buckets = %12d, SubBuckets     = %12d]\n",
      Mean() / scale, StdDev() / scale, static_cast<double>(Max()) / scale,
      static_cast<long long>(total_count_), bucket_count_, sub_bucket_count_);
  return out;
}

nlohmann::json HdrHistogram::ToJson() const {
  nlohmann::json counts = nlohmann::json::array();
  ForEach([&](int64_t value, int64_t count) { counts.push_back({value, count}); });
  return {{"lowest", lowest_},
          {"highest", highest_},
          {"significant_digits", significant_digits_},
          {"total_count", total_count_},
          {"clamped", clamped_},
          {"counts", counts}};
}

Result<HdrHistogram> HdrHistogram::FromJson(const nlohmann::json& json) {
  if (!json.is_object()) return Status::Error("histogram JSON: expected an object");
  for (const char* key : {"lowest", "highest", "significant_digits", "total_count", "clamped"}) {
    if (!json.contains(key) || !json[key].is_number_integer()) {
      return Status::Error(
          fmt::format("histogram JSON: field \"{}\" missing or not an integer", key));
    }
  }
  if (!json.contains("counts") || !json["counts"].is_array()) {
    return Status::Error("histogram JSON: field \"counts\" missing or not an array");
  }
  int64_t lowest = json["lowest"], highest = json["highest"];
  int digits = json["significant_digits"];
  if (lowest < 1 || highest < 2 * lowest || digits < 1 || digits > 5) {
    return Status::Error(fmt::format(
        "histogram JSON: bad range lowest={} highest={} significant_digits={} (need lowest>=1, "
        "highest>=2*lowest, digits 1..5)",
        lowest, highest, digits));
  }
  HdrHistogram h(lowest, highest, digits);
  for (const auto& pair : json["counts"]) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_integer() ||
        !pair[1].is_number_integer()) {
      return Status::Error("histogram JSON: \"counts\" entries must be [value, count] integers");
    }
    h.Record(pair[0].get<int64_t>(), pair[1].get<int64_t>());
  }
  if (h.total_count_ != json["total_count"].get<int64_t>()) {
    return Status::Error(fmt::format("histogram JSON: \"total_count\" is {} but counts sum to {}",
                                     json["total_count"].get<int64_t>(), h.total_count_));
  }
  // Counts written at a bucket's highest equivalent value above `highest` re-clamp; the
  // stored figure is the truth.
  h.clamped_ = json["clamped"].get<int64_t>();
  return h;
}

}  // namespace fib
