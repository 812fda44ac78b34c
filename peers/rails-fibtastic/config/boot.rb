# No Bundler: every gem is a Debian package (ruby-rails, puma, ruby-sidekiq) found by plain
# `require`, so there is no Gemfile and no install step (docs/rails-peer.md).
ENV["RAILS_ENV"] ||= ENV["RACK_ENV"] || "production"
