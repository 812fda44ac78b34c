# BodyLimit: the request body limits our C++ web applies (server/web_server.cc), before Rails
# reads a body: 413 for a url-encoded form over 8 KiB (cpp-httplib's form limit) and for any
# body over 64 KiB (--max-body-bytes' default). Without it a form of megabytes was parsed (up to
# Rack's 4 MiB query limit, then a 500) and a 100 KiB form was mailed as if valid. Puma 5.6 has
# no limit of its own: it still spools a large body to a temp file before this runs
# (docs/rails-peer.md).
class BodyLimit
  MAX_BODY_BYTES = 64 * 1024
  MAX_FORM_BYTES = 8192

  def initialize(app)
    @app = app
  end

  def call(env)
    length = env["CONTENT_LENGTH"].to_s
    return @app.call(env) if length.empty? || env["REQUEST_METHOD"] == "GET"
    limit = form?(env) ? MAX_FORM_BYTES : MAX_BODY_BYTES
    return @app.call(env) if length.match?(/\A\d+\z/) && length.to_i <= limit
    too_large(env, limit)
  end

  private

  def form?(env)
    env["CONTENT_TYPE"].to_s.downcase.start_with?("application/x-www-form-urlencoded")
  end

  def too_large(env, limit)
    message = "the request body is larger than the limit of #{limit} bytes; a FibTastic form " \
              "needs only an email and a number"
    if env["CONTENT_TYPE"].to_s.include?("json") || env["HTTP_ACCEPT"].to_s.include?("application/json")
      return [413, {"Content-Type" => "application/json; charset=utf-8", "Connection" => "close"},
              [JSON.generate({error: message})]]
    end
    [413, {"Content-Type" => "text/plain; charset=utf-8", "Connection" => "close"}, [message + "\n"]]
  end
end
