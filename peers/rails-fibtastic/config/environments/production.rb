# As the lesson's production.rb: ActionMailer over SMTP with settings from the environment
# (SmtpSettings maps our SMTP_URL and the lesson's MANDRILL_* names).
Rails.application.configure do
  config.eager_load = true
  config.cache_classes = true
  config.consider_all_requests_local = false
  config.action_controller.perform_caching = true
  config.action_mailer.perform_caching = false
  config.action_mailer.raise_delivery_errors = true
  config.action_mailer.delivery_method = :smtp
  config.action_mailer.smtp_settings = SmtpSettings.from_env(ENV)
end
