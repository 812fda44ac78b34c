# `rackup scripts/sidekiq_web/config.ru`: the same app as scripts/sidekiq-web (which is what
# `make demo` and the tests run), for people who prefer their own rack server. Reads REDIS_URL
# (default redis://127.0.0.1:6379/0); the Host check is on, as for the default loopback bind.
require_relative "app"

run FibSidekiqWeb.build(redis_url: ENV.fetch("REDIS_URL", "redis://127.0.0.1:6379/0"),
                        port: ENV.fetch("PORT", "9292"), loopback_only: true)
