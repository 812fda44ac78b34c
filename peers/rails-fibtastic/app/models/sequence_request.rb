# SequenceRequest: the form's validation, the same rules and messages as our C++ web
# (ValidateSequenceRequest in workers/jobs/sequence_email_job.cc) so both apps accept and reject
# the same inputs: the original's 0 < length < 28, a whole number (no to_i leniency: "12abc" is
# refused, as ours), and one plain email address.
class SequenceRequest
  MAX_SEQUENCE_LENGTH = 27
  MAX_EMAIL_LENGTH = 254
  INT64_MAX = 2**63 - 1

  attr_reader :email, :sequence_length, :error

  def initialize(email, sequence_length_text)
    @email = email.to_s
    @error = email_problem(@email) || length_problem(sequence_length_text.to_s)
  end

  def valid?
    error.nil?
  end

  private

  def email_problem(email)
    return "please provide an email address" if email.empty?
    if email.bytesize > MAX_EMAIL_LENGTH
      return "the email address is too long (#{email.bytesize} characters; at most #{MAX_EMAIL_LENGTH})"
    end
    bytes = email.b
    at = bytes.index("@")
    if at.nil? || at.zero? || at + 1 >= bytes.size || bytes.index("@", at + 1)
      return "please provide one email address, like name@example.com"
    end
    if bytes.each_byte.any? { |c| c < 0x21 || c == 0x7f || ',;<>"()\\'.include?(c.chr) }
      return "the email address may not contain spaces, line breaks, quotes, brackets, commas " \
             "or semicolons; please provide one plain address"
    end
    unless email.dup.force_encoding(Encoding::UTF_8).valid_encoding?
      return "the email address is not valid UTF-8 text; please provide one plain address"
    end
    return "the email address needs a domain with a dot, like name@example.com" unless bytes.index(".", at)
    nil
  end

  # As C's strtoll on the trimmed text: optional sign, decimal digits, nothing else, in range.
  def length_problem(text)
    trimmed = text.b.gsub(/\A[ \t\n\v\f\r]+|[ \t\n\v\f\r]+\z/, "")
    number = trimmed.match?(/\A[+-]?[0-9]+\z/) ? Integer(trimmed, 10) : nil
    if number.nil? || number > INT64_MAX || number <= 0
      return "please provide a valid sequence length"
    end
    if number > MAX_SEQUENCE_LENGTH
      return "Sorry, sequences longer than 27 are reserved for our paid customers. Please choose 1 to 27."
    end
    @sequence_length = number
    nil
  end
end
