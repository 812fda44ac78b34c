# JobTrace: what travels from the web request into the email (docs/rails-peer.md): the request's
# X-Request-Id and start time, Sidekiq's jid and enqueued_at, when the job's code started and
# its stages, written as the same headers our C++ worker writes (X-Request-Id, X-Job-Id,
# X-Request-Start, X-Fib-Timing; docs/measurement.md). One per thread: the request's thread in
# inline mode, the Sidekiq thread running the job in background mode.
class JobTrace
  attr_accessor :request_id, :request_start_at, :jid, :enqueued_at, :fetched_at, :perform_at, :stages

  def initialize(request_id: nil, request_start_at: nil, jid: nil, enqueued_at: nil,
                 fetched_at: nil)
    @request_id = request_id
    @request_start_at = request_start_at
    @jid = jid
    @enqueued_at = enqueued_at
    @fetched_at = fetched_at
    @perform_at = Time.now.to_f
    @stages = []
  end

  def self.current
    Thread.current[:fibtastic_job_trace]
  end

  # Runs the block with `trace` as the thread's current trace.
  def self.with(trace)
    previous = Thread.current[:fibtastic_job_trace]
    Thread.current[:fibtastic_job_trace] = trace
    yield
  ensure
    Thread.current[:fibtastic_job_trace] = previous
  end

  # Runs the block as a job stage named `name`, recorded for X-Fib-Timing.
  def stage(name, &block)
    @stages << [name, LessonStages.timed_us(&block)]
  end

  def email_headers
    headers = {}
    headers["X-Request-Id"] = request_id unless request_id.to_s.empty?
    headers["X-Job-Id"] = jid unless jid.to_s.empty?
    headers["X-Request-Start"] = (request_start_at * 1000).floor.to_s if stamp?(request_start_at)
    headers["X-Fib-Timing"] = fib_timing
    headers
  end

  private

  def stamp?(seconds)
    seconds.is_a?(Numeric) && seconds.positive?
  end

  def us(seconds)
    (seconds * 1_000_000).floor
  end

  # "v=1; req=<µs>; enq=<µs>; fetch=<µs>; perform=<µs>; stage=<name>:<µs>; smtp=<µs>", as FormatFibTiming.
  def fib_timing
    parts = ["v=1"]
    parts << "req=#{us(request_start_at)}" if stamp?(request_start_at)
    parts << "enq=#{us(enqueued_at)}" if stamp?(enqueued_at)
    parts << "fetch=#{us(fetched_at)}" if stamp?(fetched_at)
    parts << "perform=#{us(perform_at)}" if stamp?(perform_at)
    stages.each do |name, duration_us|
      encoded = name.gsub(/[^A-Za-z0-9_.\-]/) { |c| c.bytes.map { |b| format("%%%02X", b) }.join }
      parts << "stage=#{encoded}:#{[duration_us, 0].max}"
    end
    parts << "smtp=#{us(Time.now.to_f)}"
    parts.join("; ")
  end
end
