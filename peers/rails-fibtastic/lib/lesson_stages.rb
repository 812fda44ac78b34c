# LessonStages: the lesson profile's stages (bench/profiles/lesson.toml, docs/profiles.md), run
# when the app starts with --profile lesson: "load user" waits 3 ms (a database round trip),
# "generate recommendations" burns 100 ms of this thread's CPU time in the job, "render" burns
# 20 ms after it. CPU is measured with CLOCK_THREAD_CPUTIME_ID, not the wall clock, as ours.
module LessonStages
  LOAD_USER_MS = 3
  RECOMMENDATIONS_MS = 100
  RENDER_MS = 20

  def self.enabled?
    Rails.configuration.x.profile == "lesson"
  end

  # Runs the block and returns its wall time in microseconds.
  def self.timed_us
    start = Process.clock_gettime(Process::CLOCK_MONOTONIC, :microsecond)
    yield
    Process.clock_gettime(Process::CLOCK_MONOTONIC, :microsecond) - start
  end

  def self.sleep_ms(ms)
    sleep(ms / 1000.0)
  end

  # Burns `ms` of this thread's CPU time (under the GVL, as any Ruby computation).
  def self.burn_cpu_ms(ms)
    done = Process.clock_gettime(Process::CLOCK_THREAD_CPUTIME_ID, :microsecond) + ms * 1000
    x = 0
    while Process.clock_gettime(Process::CLOCK_THREAD_CPUTIME_ID, :microsecond) < done
      200.times { |i| x = (x * 31 + i) & 0xffffffff }
    end
    x
  end
end
