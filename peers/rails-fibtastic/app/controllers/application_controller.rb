class ApplicationController < ActionController::Base
  # The load generator and curl post without a CSRF token, as to our C++ web (which has no
  # sessions either); the original app protected the form with one (docs/rails-peer.md).
  skip_forgery_protection
end
