# The lesson's SequencesController: the form, and POST /sequences sending the email in the
# request (inline, the app before the lesson) or with SequenceEmailWorker.perform_async (lesson
# step 7). Statuses and bodies as our C++ web's (server/sequences_controller.cc): 415 for a body
# that is neither a form nor JSON, 400 for one that does not parse, 422 for invalid fields, 502
# when the mail server fails inline, 503 + Retry-After when Redis does; a Server-Timing header.
class SequencesController < ApplicationController
  MAX_JSON_DEPTH = 64
  class BadBody < StandardError; end

  rescue_from ActionController::BadRequest, BadBody do |e|
    rejected(400, e.is_a?(BadBody) ? e.message : "malformed form data: #{e.message}")
  end

  def new
    render_form
  end

  def create
    @request_start_at = Time.now.to_f
    @timing = []
    format = body_format
    if format == :unsupported
      return error(415, "send the form as application/x-www-form-urlencoded or application/json " \
                        "(got Content-Type '#{request.content_type}')")
    end
    @email, @sequence_length = form_fields(format)
    form = SequenceRequest.new(@email, @sequence_length)
    return rejected(422, form.error) unless form.valid?
    run_job(form)
  end

  private

  def job_class
    LessonStages.enabled? ? LessonEmailWorker : SequenceEmailWorker
  end

  def mode
    Rails.configuration.x.mode
  end

  def run_job(form)
    trace = JobTrace.new(request_id: request.request_id, request_start_at: @request_start_at)
    JobTrace.with(trace) do
      timed("load_user") { User.load(form.email) } if LessonStages.enabled?
      jid = mode == "inline" ? deliver_now(form) : enqueue(form)
      return if performed?
      timed("render") { LessonStages.burn_cpu_ms(LessonStages::RENDER_MS) } if LessonStages.enabled?
      accepted(jid)
    end
  end

  # Inline: the email is sent before the response, as before the lesson.
  def deliver_now(form)
    timed("job") do
      if LessonStages.enabled?
        LessonEmailWorker.new.perform(form.email, form.sequence_length)
      else
        SequenceMailer.sequence_email(form.email, form.sequence_length).deliver_now
      end
    end
    nil
  rescue StandardError => e
    logger.error("request #{request.request_id}: 502, the mail server failed: #{e.class}: " +
                 SmtpSettings.redact(e.message))
    error(502, "Your sequence could not be emailed because the mail server failed; nothing was " \
               "sent, please try again later. (The web's log has the details under request " \
               "#{request.request_id}.)")
  end

  # Background: lesson step 7.
  def enqueue(form)
    timed("enqueue") { return job_class.perform_async(form.email, form.sequence_length) }
  rescue Redis::BaseError, SocketError, SystemCallError => e
    logger.error("request #{request.request_id}: 503, the job queue is unavailable: #{e.class}")
    response.headers["Retry-After"] = "1"
    error(503, "Your request could not be queued: the job queue (Redis) is unavailable or did " \
               "not answer in time; please try again shortly. (The web's log has the details " \
               "under request #{request.request_id}.)")
  end

  def timed(name)
    start = Process.clock_gettime(Process::CLOCK_MONOTONIC, :microsecond)
    yield
  ensure
    @timing << [name, Process.clock_gettime(Process::CLOCK_MONOTONIC, :microsecond) - start]
    response.headers["Server-Timing"] =
      @timing.map { |n, us| format("%s;dur=%.3f", n, us / 1000.0) }.join(", ")
  end

  def body_format
    type = request.media_type.to_s.downcase.delete(" \t")
    return :form if type.empty? || type == "application/x-www-form-urlencoded"
    return :json if type == "application/json"
    :unsupported
  end

  def wants_json?
    body_format == :json || request.headers["Accept"].to_s.include?("application/json")
  end

  # Returns [email, sequence_length] as text, as our SequenceForm reads them.
  def form_fields(format)
    fields = format == :json ? json_fields : request.request_parameters
    email = fields["email"]
    raise BadBody, "\"email\" must be a JSON string" if format == :json && !email.nil? && !email.is_a?(String)
    length = fields["sequence_length"]
    length = length.to_json unless length.nil? || length.is_a?(String)
    [email, length]
  end

  def json_fields
    doc = JSON.parse(request.raw_post, max_nesting: MAX_JSON_DEPTH)
    unless doc.is_a?(Hash)
      raise BadBody, 'the JSON body must be an object like {"email": "a@example.com", "sequence_length": 10}'
    end
    doc
  rescue JSON::NestingError
    raise BadBody, "the JSON body nests too deeply (more than #{MAX_JSON_DEPTH} levels)"
  rescue JSON::ParserError
    raise BadBody, "the request body is not valid JSON"
  end

  def render_form(status: 200, message: nil)
    @mode = mode
    @message = message
    render :new, status: status
  end

  def rejected(status, message)
    return error(status, message) if wants_json?
    render_form(status: status, message: message)
  end

  def error(status, message)
    if wants_json?
      render status: status, json: { error: message, request_id: request.request_id }
    else
      @status = status
      @message = message
      render :error, status: status
    end
  end

  def accepted(jid)
    response.headers["X-Job-Id"] = jid if jid
    if wants_json?
      render json: { mode: mode, request_id: request.request_id, jid: jid,
                     status: jid ? "enqueued" : "sent" }
    else
      @mode = mode
      render :create
    end
  end
end
