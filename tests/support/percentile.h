// Percentile: the nearest-rank percentile the fault tests print and assert on.
// Thread-safety: pure function.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace fib::test {

// Returns the nearest-rank percentile (0..100) of `values`; 0 when empty.
inline double Percentile(std::vector<double> values, double percentile) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(std::ceil(percentile / 100 * values.size()));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

}  // namespace fib::test
