# The FibTastic Rails app: only the frameworks it uses (no ActiveRecord, no database).
require_relative "boot"
require "rails"
require "action_controller/railtie"
require "action_view/railtie"
require "action_mailer/railtie"
require "sidekiq"
require "securerandom"
require_relative "../lib/smtp_settings"
require_relative "../lib/body_limit"

module Fibtastic
  class Application < Rails::Application
    config.load_defaults 6.1
    config.root = File.expand_path("..", __dir__)
    config.eager_load_paths << Rails.root.join("app/workers").to_s
    config.autoload_paths << Rails.root.join("lib").to_s
    config.eager_load_paths << Rails.root.join("lib").to_s
    # Nothing is signed or stored in a session; a key is still required in production.
    config.secret_key_base = ENV["SECRET_KEY_BASE"].to_s.empty? ? SecureRandom.hex(64) : ENV["SECRET_KEY_BASE"]
    config.hosts.clear
    # Our web's body limits, before anything reads a body (lib/body_limit.rb).
    config.middleware.insert_before 0, BodyLimit
    config.log_level = ENV.fetch("RAILS_LOG_LEVEL", "warn").to_sym
    config.logger = ActiveSupport::Logger.new($stdout) if ENV["RAILS_LOG_TO_STDOUT"]
    # "inline" sends in the request (the app before the lesson); "background" uses perform_async.
    config.x.mode = ENV.fetch("FIBTASTIC_MODE", "background")
    config.x.profile = ENV.fetch("FIBTASTIC_PROFILE", "none")
    unless %w[inline background].include?(config.x.mode)
      abort "FIBTASTIC_MODE must be inline or background, got '#{config.x.mode}'"
    end
    unless %w[lesson none].include?(config.x.profile)
      abort "FIBTASTIC_PROFILE must be lesson or none, got '#{config.x.profile}'"
    end
  end
end
