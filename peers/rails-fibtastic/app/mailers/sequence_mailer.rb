# The original's SequenceMailer, plus the trace headers of the current JobTrace (X-Request-Id
# and the timing stamps), so the load generator's e2e join works as with our C++ worker.
class SequenceMailer < ApplicationMailer
  def sequence_email(email, sequence_length)
    # A job's arguments come from Redis, not from our form: hold them to the form's rules, as our
    # worker does (ArgumentError, then Sidekiq's retries), so a length of 60 does not spin a
    # thread through 2^60 calls of rec_sequence.
    request = SequenceRequest.new(email, sequence_length.is_a?(Float) ? "" : sequence_length)
    raise ArgumentError, request.error unless request.valid?
    @numbers = Fibonacci.rec_sequence(request.sequence_length)
    trace = JobTrace.current || JobTrace.new
    trace.email_headers.each { |name, value| headers[name] = value }
    mail(to: email, subject: "Your Fib Sequence!")
  end
end
