# The Ruby side of bench/calibration/worker_throughput.sh: a Sidekiq 6.4 job that does nothing, so a run
# measures only the queue and worker machinery. Run: sidekiq -r ./bench/calibration/noop_worker.rb -c 10
require 'sidekiq'
Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)

class NoopWorker
  include Sidekiq::Worker

  def perform(*)
  end
end
