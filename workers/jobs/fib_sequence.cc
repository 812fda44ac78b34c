#include "workers/jobs/fib_sequence.h"

namespace fib {

std::vector<int64_t> RecSequence(int q) {
  if (q <= 0) return {};
  if (q == 1) return {0};
  if (q == 2) return {0, 1};
  // Faithful to the original: `rec_sequence(q-1) + [rec_sequence(q-1).last(2).sum]` evaluates
  // the recursive call twice. The second call must not be optimised away, hence two calls.
  std::vector<int64_t> head = RecSequence(q - 1);
  std::vector<int64_t> again = RecSequence(q - 1);
  head.push_back(again[again.size() - 1] + again[again.size() - 2]);
  return head;
}

std::vector<int64_t> Sequence(int q) {
  std::vector<int64_t> out;
  if (q <= 0) return out;
  out.reserve(q);
  // Unsigned so that the step past the last number (or numbers past the 93rd, which do not fit
  // int64_t) wraps instead of being undefined behaviour (UBSan found it at q = 93).
  uint64_t a = 0, b = 1;
  for (int i = 0; i < q; ++i) {
    out.push_back(static_cast<int64_t>(a));
    uint64_t next = a + b;
    a = b;
    b = next;
  }
  return out;
}

}  // namespace fib
