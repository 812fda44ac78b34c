# Pre-fills queue:default with N NoopWorker jobs in Sidekiq 6.4's format, fast (pipelined LPUSH
# in batches), for bench/calibration/worker_throughput.sh. Usage: REDIS_URL=... ruby bench/calibration/noop_fill.rb N
require 'json'
require 'redis'
require 'securerandom'
Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)

count = Integer(ARGV.fetch(0, '20000'))
redis = Redis.new(url: ENV.fetch('REDIS_URL'))
now = Time.now.to_f
redis.sadd('queues', 'default')
count.times.each_slice(1000) do |slice|
  jobs = slice.map do
    JSON.generate('class' => 'NoopWorker', 'args' => [], 'retry' => true, 'queue' => 'default',
                  'jid' => SecureRandom.hex(12), 'created_at' => now, 'enqueued_at' => now)
  end
  redis.lpush('queue:default', jobs)
end
puts redis.llen('queue:default')
