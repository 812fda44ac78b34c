// JobLog: the worker's per-job log lines (jid, class, duration, outcome), in Log()'s format but
// buffered, so a busy worker pays for a memcpy per job instead of a write(2) per job. Lines go
// to stderr when the buffer holds max_buffer_bytes or on Flush (the worker flushes every few ms
// and at exit). A process killed with -9 loses at most the lines of the last few ms.
// Thread-safety: every method may be called from many threads at once; lines keep their order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

namespace fib {

struct JobLogOptions {
  size_t max_buffer_bytes = 32 * 1024;  // written at once when the buffer grows past this
  int fd = 2;                           // where lines go (stderr)
};

class JobLog {
 public:
  explicit JobLog(JobLogOptions options = {});
  ~JobLog();  // flushes
  JobLog(const JobLog&) = delete;
  JobLog& operator=(const JobLog&) = delete;

  // Appends "2026-01-01T00:00:00.123Z program: message\n" (program from SetLogProgram).
  void Add(const std::string& message);
  // Writes every buffered line now.
  void Flush();

 private:
  // Appends the UTC time stamp of now to buffer_. REQUIRES: mu_ held.
  void AppendStampLocked();
  void WriteAll(const std::string& text) const;

  const JobLogOptions options_;
  const std::string program_;
  std::mutex write_mu_;  // held across a swap and its write, so chunks never reorder
  std::mutex mu_;        // guards the fields below
  std::string buffer_;
  int64_t stamp_second_ = -1;  // the second stamp_ shows
  std::string stamp_;          // "2026-01-01T00:00:00"
};

}  // namespace fib
