# SmtpSettings: ActionMailer's smtp_settings from the environment. SMTP_URL is read as our C++
# mailer reads it (docs/mail-sink.md): smtp://[user[:password]@]host[:port][?tls=required|none],
# smtps:// for implicit TLS; the lesson's MANDRILL_USERNAME / MANDRILL_API_KEY override the user
# and password. With a user name, AUTH PLAIN and STARTTLS (mail 2.7 can only ask for STARTTLS
# "auto", so a server that offers none is not refused here as our mailer refuses it).
require "uri"

module SmtpSettings
  DEFAULT_URL = "smtp://127.0.0.1:1025".freeze

  def self.from_env(env)
    url = env["SMTP_URL"].to_s.empty? ? DEFAULT_URL : env["SMTP_URL"]
    uri = parse(url)
    tls = uri.query.to_s.split("&").find { |p| p.start_with?("tls=") }.to_s.delete_prefix("tls=")
    user = env["MANDRILL_USERNAME"].to_s.empty? ? decode(uri.user) : env["MANDRILL_USERNAME"]
    password = env["MANDRILL_API_KEY"].to_s.empty? ? decode(uri.password) : env["MANDRILL_API_KEY"]
    settings = {
      address: uri.host,
      port: uri.port || (uri.scheme == "smtps" ? 465 : 25),
      domain: env.fetch("SMTP_DOMAIN", "localhost"),
      open_timeout: 5,
      read_timeout: 30,
      tls: uri.scheme == "smtps",
      enable_starttls_auto: uri.scheme == "smtp" && tls != "none" && (!user.nil? || tls == "required"),
    }
    unless user.nil?
      settings.merge!(user_name: user, password: password, authentication: :plain)
    end
    settings[:ca_file] = env["SMTP_CA_FILE"] unless env["SMTP_CA_FILE"].to_s.empty?
    settings[:openssl_verify_mode] = "none" if env["SMTP_TLS_INSECURE"] == "1"
    settings
  end

  def self.parse(url)
    uri = URI.parse(url)
    unless %w[smtp smtps].include?(uri.scheme) && !uri.host.to_s.empty?
      raise ArgumentError, "SMTP_URL must look like smtp://user:pass@host:port, got #{redact(url)}"
    end
    uri
  rescue URI::InvalidURIError
    # cause: nil, or the URI error (whose message is the whole URL) is printed with ours.
    raise ArgumentError, "SMTP_URL is not a URL: #{redact(url)}", cause: nil
  end

  def self.decode(text)
    text.nil? ? nil : URI::DEFAULT_PARSER.unescape(text)
  end

  # The URL with its password masked, the only form to show. The user information runs to the
  # last "@": a password may hold an unescaped "@" or "/" in a URL that does not parse.
  def self.redact(url)
    url.to_s.sub(%r{//(.*)@}m) do
      user, colon, = Regexp.last_match(1).partition(":")
      colon.empty? ? Regexp.last_match(0) : "//#{user.include?('/') ? '***' : user}:***@"
    end
  end
end
