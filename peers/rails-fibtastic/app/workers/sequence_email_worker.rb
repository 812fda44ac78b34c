# The lesson's worker (step 6): perform(email, sequence_length) delivers the email. Runs jobs
# our C++ web enqueues too: same class name and args (docs/sidekiq-format.md).
class SequenceEmailWorker
  include Sidekiq::Worker

  def perform(email, sequence_length)
    SequenceMailer.sequence_email(email, sequence_length).deliver_now
  end
end
