# Rack entry point for Puma (docs/rails-peer.md).
require_relative "config/environment"
run Rails.application
