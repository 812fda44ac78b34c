#include "bench/loadgen/load_thread.h"

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>

#include "bench/loadgen/mono_time.h"
#include "bench/loadgen/server_timing_metrics.h"

namespace fib {
namespace {

constexpr int64_t kMaxWaitUs = 50'000;  // wake at least this often (stop flag, time series)
constexpr int64_t kSpinUs = 50;         // busy-yield this close to a deadline (timer slack)

// Reconnect delay after `failures` consecutive failures: 0, then 10 ms doubling up to 1 s, so a
// dead server costs a few syscalls a second, not a spinning core.
int64_t BackoffUs(int failures) {
  if (failures <= 0) return 0;
  return std::min<int64_t>(1'000'000, 10'000LL << std::min(failures - 1, 10));
}

// Bursts are timed from the measured window's start (one goes at its first instant); those
// that fit in the warm-up go before it, a whole number of periods earlier.
int64_t BurstOrigin(const RunPlan& plan) {
  double period_us = 1e6 * plan.options->burst_every_s;
  auto warmup_us = static_cast<double>(plan.measure_start_us - plan.start_us);
  if (period_us <= 0 || warmup_us <= 0) return plan.measure_start_us;
  return plan.measure_start_us -
         static_cast<int64_t>(std::floor(warmup_us / period_us) * period_us);
}

}  // namespace

LoadThread::LoadThread(int index, int first, int count, int connections_total, RunPlan* plan)
    : index_(index), plan_(plan) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  double rate = plan->options->rate_rps;
  for (int i = first; i < first + count; ++i) {
    auto c = std::make_unique<Conn>();
    // Spread the connections' schedules over one interval, so the total is evenly paced.
    int64_t origin = plan->start_us + (rate > 0 ? static_cast<int64_t>(i * 1e6 / rate) : 0);
    const LoadgenOptions& o = *plan->options;
    c->schedule =
        o.arrival_process == ArrivalProcess::kBurst
            ? SendSchedule::Burst(BurstOrigin(*plan), rate, o.burst_size, i, connections_total)
            : SendSchedule(origin, rate / connections_total, o.arrival_process,
                           ConnectionSeed(static_cast<uint64_t>(o.seed), i));
    c->wake_us = plan->start_us;
    c->index = conns_.size();
    conns_.push_back(std::move(c));
  }
}

LoadThread::~LoadThread() {
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

void LoadThread::Run() {
  // Ask for µs timer precision (the default slack is 50 µs).
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  int64_t wall_start = MonoMicros();
  timespec cpu_start{}, cpu_end{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_start);
  int64_t now = wall_start;
  for (;;) {
    now = MonoMicros();
    if (plan_->stop.load(std::memory_order_relaxed) || now >= plan_->end_us) break;
    RollIntervals(now);
    int64_t next = std::min(now + kMaxWaitUs, plan_->end_us);
    bool active = false;
    for (auto& c : conns_) {
      if (c->state == State::kDone) continue;
      active = true;
      next = std::min(next, Service(*c, now));
    }
    if (!active) break;
    Wait(next - MonoMicros());
  }
  stopped_us_ = now;
  for (auto& c : conns_) {
    if (c->state == State::kBusy && c->intended_us >= plan_->measure_start_us) ++in_flight_at_end_;
    // A connection that stopped because --requests were all sent owes nothing.
    if (c->state != State::kDone)
      unsent_at_end_ += c->schedule.Unsent(std::min(now, plan_->end_us));
    if (c->state == State::kBusy) --unsent_at_end_;  // sent, counted as in flight
    c->http.Close();
  }
  unsent_at_end_ = std::max<int64_t>(0, unsent_at_end_);
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_end);
  double cpu_us =
      (cpu_end.tv_sec - cpu_start.tv_sec) * 1e6 + (cpu_end.tv_nsec - cpu_start.tv_nsec) / 1e3;
  cpu_fraction_ = cpu_us / std::max<double>(1.0, static_cast<double>(MonoMicros() - wall_start));
}

// Acts on the connection's timer if it is due; returns its next deadline.
int64_t LoadThread::Service(Conn& c, int64_t now) {
  switch (c.state) {
    case State::kClosed:
      if (c.wake_us <= now) Connect(c, now);
      return c.state == State::kIdle ? now : c.wake_us;
    case State::kConnecting:
      if (c.wake_us <= now) {
        c.http.Close();
        Fail(c, ErrorKind::kConnect, now, false);
      }
      return c.wake_us;
    case State::kBusy:
      if (c.wake_us <= now) Fail(c, ErrorKind::kTimeout, now, true);
      return c.wake_us;
    case State::kIdle: {
      int64_t due = c.schedule.NextSendTime(now);
      if (due > now) return due;
      Send(c, now, std::max(due, c.ready_us));
      return c.state == State::kIdle ? now : c.wake_us;
    }
    case State::kDone:
      break;
  }
  return INT64_MAX;
}

void LoadThread::Connect(Conn& c, int64_t now) {
  if (!c.http.StartConnect(plan_->address)) {
    Fail(c, ErrorKind::kConnect, now, false);
    return;
  }
  c.state = State::kConnecting;
  c.wake_us = now + plan_->options->timeout_ms * 1000;
  Watch(c, true);
}

void LoadThread::Send(Conn& c, int64_t now, int64_t due_us) {
  int64_t intended = c.schedule.IntendedStart(now);
  if (intended >= plan_->end_us ||
      (plan_->options->requests > 0 && intended >= plan_->measure_start_us &&
       plan_->measured_budget.fetch_sub(1, std::memory_order_relaxed) <= 0)) {
    c.state = State::kDone;
    c.http.Close();
    return;
  }
  c.number = plan_->next_number.fetch_add(1, std::memory_order_relaxed);
  plan_->request->Build(c.number, c.http.PrepareRequest());
  c.schedule.OnSent(now);
  c.intended_us = intended;
  c.sent_us = now;
  c.state = State::kBusy;
  c.wake_us = now + plan_->options->timeout_ms * 1000;
  RunStats& phase = PhaseOf(intended);
  phase.schedule_lag.Record(now - due_us);
  phase.send_delay.Record(now - intended);
  switch (c.http.Write()) {
    case HttpConnection::IoResult::kWouldBlock:
      Watch(c, true);
      break;
    case HttpConnection::IoResult::kError:
      Fail(c, ErrorKind::kWrite, now, true);
      break;
    default:
      break;
  }
}

void LoadThread::OnEvent(size_t index, uint32_t events) {
  Conn& c = *conns_[index];
  if (c.state == State::kConnecting) {
    if (!c.http.FinishConnect()) {
      c.http.Close();
      Fail(c, ErrorKind::kConnect, MonoMicros(), false);
      return;
    }
    c.state = State::kIdle;
    c.ready_us = MonoMicros();
    Watch(c, false);
    return;
  }
  if ((events & EPOLLOUT) && c.state == State::kBusy && c.http.write_pending()) OnWritable(c);
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && c.http.fd() >= 0) OnReadable(c);
}

void LoadThread::OnWritable(Conn& c) {
  switch (c.http.Write()) {
    case HttpConnection::IoResult::kDone:
      Watch(c, false);
      break;
    case HttpConnection::IoResult::kError:
      Fail(c, ErrorKind::kWrite, MonoMicros(), true);
      break;
    default:
      break;
  }
}

void LoadThread::OnReadable(Conn& c) {
  HttpConnection::IoResult r = c.http.Read();
  int64_t now = MonoMicros();
  if (r == HttpConnection::IoResult::kWouldBlock) return;
  if (c.state != State::kBusy) {
    // The server closed an idle keep-alive connection (or sent junk): open a fresh one.
    Reopen(c, now);
    return;
  }
  if (r == HttpConnection::IoResult::kDone) {
    OnResponse(c, now);
  } else {
    Fail(c, ErrorKind::kRead, now, true);
  }
}

void LoadThread::OnResponse(Conn& c, int64_t now) {
  RunStats& phase = PhaseOf(c.intended_us);
  int status = c.http.status_code();
  int64_t latency = now - c.intended_us;
  bool bad_status = status < 200 || status >= 400;
  ++phase.requests;
  ++phase.status_codes[status];
  if (bad_status) phase.CountError(ErrorKind::kStatus);
  phase.latency.Record(latency);
  phase.uncorrected_latency.Record(now - c.sent_us);
  bool measured = &phase == &measured_;
  if (measured && status >= 200 && status < 300 && !plan_->options->mail_url.empty()) {
    phase.ok_requests.push_back({c.number, WallFromMono(c.intended_us), latency});
  }
  if (measured) NoteMeasured(now, latency, bad_status);
  if (measured && !c.http.server_timing().empty()) {
    for (const auto& [name, us] : ParseServerTiming(c.http.server_timing())) {
      phase.server_timing[name].Record(us);
    }
  }
  c.failures = 0;
  c.ready_us = now;
  if (c.http.keep_alive()) {
    c.state = State::kIdle;
  } else {
    Reopen(c, now);
  }
}

// Records a failure. `request_lost`: a request was in flight and ends with this error (a timeout
// is recorded at its latency so far, never dropped). The connection is closed and reopened.
void LoadThread::Fail(Conn& c, ErrorKind kind, int64_t now, bool request_lost) {
  RunStats& phase = request_lost ? PhaseOf(c.intended_us) : PhaseOf(now);
  phase.CountError(kind);
  bool measured = &phase == &measured_;
  int64_t latency = now - c.intended_us;
  if (request_lost) {
    ++phase.requests;
    if (kind == ErrorKind::kTimeout) {
      phase.latency.Record(latency);
      phase.uncorrected_latency.Record(now - c.sent_us);
    }
  }
  if (measured) NoteMeasured(now, kind == ErrorKind::kTimeout ? latency : -1, true);
  c.http.Close();
  // A timeout says nothing about the next connection; refusals and resets back off.
  if (kind != ErrorKind::kTimeout) ++c.failures;
  c.state = State::kClosed;
  c.wake_us = now + BackoffUs(c.failures);
}

void LoadThread::Reopen(Conn& c, int64_t at_us) {
  c.http.Close();
  c.state = State::kClosed;
  c.wake_us = at_us;
  Connect(c, at_us);
}

void LoadThread::Watch(Conn& c, bool want_write) {
  if (c.http.fd() < 0) return;
  epoll_event ev{};
  ev.events = want_write ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
  ev.data.u64 = (static_cast<uint64_t>(c.http.generation()) << 32) | c.index;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.http.fd(), &ev) != 0) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c.http.fd(), &ev);
  }
}

// Waits for socket events for up to `timeout_us`. epoll_pwait2 takes a timespec, so deadlines
// keep µs precision; the last few µs are spent yielding so that timer slack does not make us late.
void LoadThread::Wait(int64_t timeout_us) {
  epoll_event events[256];
  int64_t sleep_us = timeout_us > kSpinUs ? timeout_us - kSpinUs : 0;
  timespec ts{sleep_us / 1'000'000, (sleep_us % 1'000'000) * 1000};
  int n = epoll_pwait2(epoll_fd_, events, 256, &ts, nullptr);
  if (n < 0 && errno == ENOSYS)
    n = epoll_wait(epoll_fd_, events, 256, static_cast<int>(sleep_us / 1000));
  if (n == 0 && timeout_us > 0) {
    int64_t deadline = MonoMicros() + (timeout_us - sleep_us);
    while (MonoMicros() < deadline) {
      n = epoll_wait(epoll_fd_, events, 256, 0);
      if (n != 0) break;
      sched_yield();
    }
  }
  for (int i = 0; i < n; ++i) {
    size_t index = events[i].data.u64 & 0xffffffffu;
    auto generation = static_cast<uint32_t>(events[i].data.u64 >> 32);
    // Skip events for a socket this batch already closed and replaced.
    if (index < conns_.size() && conns_[index]->http.generation() == generation &&
        conns_[index]->http.fd() >= 0) {
      OnEvent(index, events[i].events);
    }
  }
}

void LoadThread::NoteMeasured(int64_t done_us, int64_t latency_us, bool error) {
  RollIntervals(done_us);
  if (latency_us >= 0) {
    second_latency_.Record(latency_us);
    ++second_requests_;
    plan_->completed.fetch_add(1, std::memory_order_relaxed);
  }
  if (error) {
    ++second_errors_;
    plan_->errors.fetch_add(1, std::memory_order_relaxed);
  }
}

void LoadThread::RollIntervals(int64_t now) {
  if (now < plan_->measure_start_us) return;
  int64_t current = (now - plan_->measure_start_us) / 1'000'000;
  while (second_ < current) {
    plan_->series->Add(second_, second_latency_, second_requests_, second_errors_);
    second_latency_.Reset();
    second_requests_ = second_errors_ = 0;
    ++second_;
  }
}

void LoadThread::FlushIntervals(int64_t window_end_us) {
  RollIntervals(window_end_us);
  int64_t into_last_us = window_end_us - plan_->measure_start_us - second_ * 1'000'000;
  if (into_last_us <= 0) return;
  plan_->series->Add(second_, second_latency_, second_requests_, second_errors_,
                     static_cast<double>(into_last_us) / 1e6);
  ++second_;
}

}  // namespace fib
