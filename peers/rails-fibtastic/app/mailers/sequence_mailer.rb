# The original's SequenceMailer, plus the trace headers of the current JobTrace (X-Request-Id
# and the timing stamps), so the load generator's e2e join works as with our C++ worker.
class SequenceMailer < ApplicationMailer
  def sequence_email(email, sequence_length)
    @numbers = Fibonacci.rec_sequence(sequence_length.to_i)
    trace = JobTrace.current || JobTrace.new
    trace.email_headers.each { |name, value| headers[name] = value }
    mail(to: email, subject: "Your Fib Sequence!")
  end
end
