# The lesson profile's job (bench/profiles/lesson.toml): "generate recommendations" (100 ms of
# CPU) then "send email". Same class name and args as the profile job our C++ web enqueues with
# --profile lesson, so either worker runs either web's jobs.
class LessonEmailWorker
  include Sidekiq::Worker

  def perform(email, sequence_length = 1)
    trace = JobTrace.current || JobTrace.new
    JobTrace.with(trace) do
      trace.stage("generate recommendations") { LessonStages.burn_cpu_ms(LessonStages::RECOMMENDATIONS_MS) }
      SequenceMailer.sequence_email(email, sequence_length).deliver_now
    end
  end
end
