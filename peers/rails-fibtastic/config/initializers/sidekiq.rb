# Sidekiq reads REDIS_URL, or the variable REDIS_PROVIDER names (the lesson's REDISTOGO_URL), by
# itself. These middlewares carry the web request into the job as our C++ web does
# (docs/sidekiq-format.md): the payload keys request_id and request_start_at on enqueue, and a
# JobTrace for the mailer while the job runs.
module Fibtastic
  class TraceClientMiddleware
    def call(_worker_class, job, _queue, _redis_pool)
      trace = JobTrace.current
      if trace
        job["request_id"] ||= trace.request_id
        job["request_start_at"] ||= trace.request_start_at
      end
      yield
    end
  end

  class TraceServerMiddleware
    # Each Sidekiq processor thread fetches its own job and runs it at once, so the moment this
    # middleware starts stands for the fetch (X-Fib-Timing's fetch=; docs/rails-peer.md).
    def call(_worker, job, _queue)
      fetched_at = Time.now.to_f
      start = job["request_start_at"]
      trace = JobTrace.new(request_id: job["request_id"].is_a?(String) ? job["request_id"] : nil,
                           request_start_at: start.is_a?(Numeric) ? start : nil,
                           jid: job["jid"], enqueued_at: job["enqueued_at"], fetched_at: fetched_at)
      JobTrace.with(trace) { yield }
    end
  end
end

Sidekiq.configure_client do |config|
  config.client_middleware { |chain| chain.add Fibtastic::TraceClientMiddleware }
end

Sidekiq.configure_server do |config|
  config.client_middleware { |chain| chain.add Fibtastic::TraceClientMiddleware }
  config.server_middleware { |chain| chain.add Fibtastic::TraceServerMiddleware }
end
