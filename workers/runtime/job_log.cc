#include "workers/runtime/job_log.h"

#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "common/log.h"
#include "common/text.h"
#include "common/time_format.h"

namespace fib {

JobLog::JobLog(JobLogOptions options) : options_(options), program_(LogProgram()) {
  buffer_.reserve(options_.max_buffer_bytes + 512);
}

JobLog::~JobLog() { Flush(); }

void JobLog::AppendStampLocked() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  // gmtime_r takes glibc's time zone lock; formatting once per second keeps it off the job path.
  if (now.tv_sec != stamp_second_) {
    stamp_ = FormatUtc(now.tv_sec, "%Y-%m-%dT%H:%M:%S");
    stamp_second_ = now.tv_sec;
  }
  int ms = static_cast<int>(now.tv_nsec / 1000000);
  char millis[6] = {'.',
                    static_cast<char>('0' + ms / 100),
                    static_cast<char>('0' + ms / 10 % 10),
                    static_cast<char>('0' + ms % 10),
                    'Z',
                    '\0'};
  buffer_ += stamp_;
  buffer_ += millis;
}

void JobLog::Add(const std::string& message) {
  bool full = false;
  {
    std::lock_guard lock(mu_);
    AppendStampLocked();
    buffer_ += ' ';
    buffer_ += program_;
    buffer_ += ": ";
    AppendEscapedForLog(&buffer_, message);
    buffer_ += '\n';
    full = buffer_.size() >= options_.max_buffer_bytes;
  }
  if (full) Flush();
}

void JobLog::Flush() {
  std::lock_guard write_lock(write_mu_);
  std::string text;
  {
    std::lock_guard lock(mu_);
    if (buffer_.empty()) return;
    text.reserve(options_.max_buffer_bytes + 512);
    text.swap(buffer_);
  }
  WriteAll(text);
}

void JobLog::WriteAll(const std::string& text) const {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(options_.fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr is gone: nothing sensible to do with a log line
    done += static_cast<size_t>(n);
  }
}

}  // namespace fib
