# The rack app behind scripts/sidekiq-web: Sidekiq 6.4.1's own Web UI (Debian ruby-sidekiq's
# Sidekiq::Web) reading our Redis, with what it needs around it (docs/sidekiq-format.md,
# "Sidekiq's Web UI on our Redis"):
# - a cookie session with a random secret made at each start, for Sidekiq::Web's CSRF check;
# - when bound to loopback, a Host check: a foreign name that resolves to 127.0.0.1 gets 403, so
#   a web page on another site cannot read our jobs or press the buttons (DNS rebinding);
# - our own small application.js and dashboard.js, because Debian's package ships the Web UI
#   without them (its Files-Excluded); without them every page logs a 404 and the confirm
#   dialogs, "select all" boxes and live polling do nothing.
require "ipaddr"
require "securerandom"
require "rack"
require "rack/session/cookie"
require "redis"
Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)
require "sidekiq"
require "sidekiq/web"

module FibSidekiqWeb
  ASSETS = File.expand_path("assets", __dir__)

  # Answers only requests whose Host names the loopback interface (or has no Host at all).
  class LoopbackHostOnly
    def initialize(app)
      @app = app
    end

    def call(env)
      host = env["HTTP_HOST"].to_s
      return @app.call(env) if host.empty? || FibSidekiqWeb.loopback_host?(host)
      body = "sidekiq-web is bound to loopback and answers only to localhost, 127.0.0.1 or " \
             "[::1]; this request's Host header names another host\n"
      [403, {"Content-Type" => "text/plain; charset=utf-8"}, [body]]
    end
  end

  # True when a bind address is loopback (127.0.0.0/8, ::1, localhost).
  def self.loopback_address?(address)
    return true if address.casecmp?("localhost")
    IPAddr.new(address).loopback?
  rescue IPAddr::Error
    false
  end

  # True when a Host header value ("name", "name:port", "[v6]:port") names loopback.
  def self.loopback_host?(host)
    name = if (m = host.match(/\A\[([^\]]+)\](?::\d+)?\z/))
             m[1]
           elsif (m = host.match(/\A([^:\[\]]+)(?::\d+)?\z/))
             m[1]
           else
             return false
           end
    loopback_address?(name.chomp("."))
  end

  # Returns the rack app. `redis_url` is the Redis to read; `port` names the session cookie, so
  # two UIs on one host (cookies ignore ports) do not overwrite each other's CSRF token.
  def self.build(redis_url:, port:, loopback_only:)
    Sidekiq.configure_client { |config| config.redis = {url: redis_url, size: 5} }
    Sidekiq.logger.level = Logger::WARN
    secret = SecureRandom.hex(64)
    Rack::Builder.new do
      use LoopbackHostOnly if loopback_only
      use Rack::Static, urls: ["/javascripts/application.js", "/javascripts/dashboard.js"],
                        root: ASSETS, header_rules: [[:all, {"Cache-Control" => "no-cache"}]]
      use Rack::Session::Cookie, key: "fibtastic_sidekiq_web_#{port}", secret: secret,
                                 same_site: :strict, httponly: true
      run Sidekiq::Web
    end.to_app
  end
end
