# The original FibTastic's rec_sequence: exponential on purpose (about 2^q calls), as our C++
# RecSequence (workers/jobs/fib_sequence.h). rec_sequence(1) = [0], rec_sequence(2) = [0, 1].
module Fibonacci
  def self.rec_sequence(q)
    return [] if q <= 0
    return [0] if q == 1
    return [0, 1] if q == 2
    rec_sequence(q - 1) + [rec_sequence(q - 1).last(2).sum]
  end
end
