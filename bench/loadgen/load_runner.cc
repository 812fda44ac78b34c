#include "bench/loadgen/load_runner.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>
#include <thread>

#include "bench/loadgen/load_thread.h"
#include "bench/loadgen/mono_time.h"
#include "bench/loadgen/request_template.h"
#include "common/time_format.h"

namespace fib {
namespace {

// Connects once, blocking up to timeout_ms. Returns "" or the reason it failed.
std::string TryConnect(const sockaddr_in& address, int timeout_ms) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::strerror(errno);
  std::string error;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    if (errno != EINPROGRESS) {
      error = std::strerror(errno);
    } else {
      pollfd p{fd, POLLOUT, 0};
      int err = 0;
      socklen_t len = sizeof err;
      if (poll(&p, 1, timeout_ms) != 1) {
        error = "no answer within " + std::to_string(timeout_ms) + " ms";
      } else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        error = std::strerror(err != 0 ? err : errno);
      }
    }
  }
  close(fd);
  return error;
}

}  // namespace

Result<sockaddr_in> ResolveAddress(const HttpUrl& url, const std::string& flag) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(url.port));
  if (inet_pton(AF_INET, url.host.c_str(), &address.sin_addr) == 1) return address;
  addrinfo hints{}, *found = nullptr;
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  int rc = getaddrinfo(url.host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    return Status::Error(
        fmt::format("{}: cannot resolve host '{}': {}", flag, url.host, gai_strerror(rc)));
  }
  address.sin_addr = reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr;
  freeaddrinfo(found);
  return address;
}

Status LoadRunner::CheckReachable() const {
  auto address = ResolveAddress(options_.target, "--url");
  if (!address.ok()) return address.status();
  int timeout_ms = static_cast<int>(std::min<int64_t>(options_.timeout_ms, 3000));
  std::string error = TryConnect(*address, timeout_ms);
  if (error.empty()) return Status::Ok();
  return Status::Error(fmt::format("cannot connect to {} (--url {}): {}; is the server running?",
                                   options_.target.HostPort(), options_.url, error));
}

Result<RunResult> LoadRunner::Run() {
  if (Status s = CheckReachable(); !s.ok()) return s;
  std::unique_ptr<RedisSampler> sampler;
  if (!options_.redis_url.empty()) {
    auto opened = RedisSampler::Open(options_.redis_url, options_.queue, options_.redis_sample_ms);
    if (!opened.ok()) return opened.status();
    sampler = std::move(*opened);
  }
  RequestTemplate request(options_);
  IntervalSeries series(options_.threads);
  RunPlan plan;
  plan.options = &options_;
  plan.request = &request;
  plan.series = &series;
  plan.address = *ResolveAddress(options_.target, "--url");
  WallFromMono(0);  // fix the wall/monotonic offset before the threads use it
  plan.start_us = MonoMicros() + 5'000;
  plan.measure_start_us = plan.start_us + static_cast<int64_t>(options_.warmup_s * 1e6);
  double window_s = options_.requests > 0 ? options_.max_duration_s : options_.duration_s;
  plan.end_us =
      window_s > 0 ? plan.measure_start_us + static_cast<int64_t>(window_s * 1e6) : INT64_MAX;
  plan.measured_budget = options_.requests;

  RunResult result;
  result.start_time = Iso8601Utc(WallFromMono(plan.start_us) / 1'000'000);
  std::vector<std::unique_ptr<LoadThread>> loads;
  std::vector<std::thread> threads;
  std::atomic<int> running{options_.threads};
  int first = 0;
  for (int t = 0; t < options_.threads; ++t) {
    int count = options_.connections / options_.threads +
                (t < options_.connections % options_.threads ? 1 : 0);
    loads.push_back(std::make_unique<LoadThread>(t, first, count, options_.connections, &plan));
    first += count;
  }
  threads.reserve(threads.size() + loads.size());
  for (auto& load : loads) {
    threads.emplace_back([&load, &running] {
      load->Run();
      --running;
    });
  }
  if (sampler) sampler->Start(plan.measure_start_us);
  plan_ = &plan;
  if (stop_.load()) plan.stop = true;
  while (running.load() > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ShowProgress(plan, MonoMicros());
  }
  for (auto& t : threads) t.join();
  plan_ = nullptr;
  int64_t finished_us = 0;
  for (auto& load : loads) finished_us = std::max(finished_us, load->stopped_us());
  if (sampler) sampler->Stop();
  if (options_.progress && isatty(STDERR_FILENO)) fmt::print(stderr, "\r\033[K");

  result.interrupted = stop_.load();
  int64_t window_end = std::min(finished_us, plan.end_us);
  result.window_s =
      std::max<double>(0, static_cast<double>(window_end - plan.measure_start_us) / 1e6);
  for (auto& load : loads) {
    load->FlushIntervals(window_end);
    result.measured.Merge(load->measured());
    result.warmup.Merge(load->warmup());
    result.in_flight_at_end += load->in_flight_at_end();
    result.unsent_at_end += load->unsent_at_end();
    result.thread_cpu.push_back(load->cpu_fraction());
  }
  result.timeseries = series.Rows();
  if (sampler) result.redis_samples = sampler->samples();
  if (!options_.mail_url.empty()) {
    auto joined = EmailJoin::Run(options_.mail, options_.run_id, result.measured.ok_requests,
                                 options_.drain_s);
    if (joined.ok()) {
      result.e2e = std::move(*joined);
      auto wait = result.e2e->stages.histograms.find(kStageQueueWait);
      if (wait != result.e2e->stages.histograms.end()) {
        result.littles_law = CheckLittlesLaw({result.e2e->expected, result.window_s, &wait->second,
                                              &result.redis_samples, options_.queue});
      }
      result.queueing = QueueFromJobs(result);
    } else {
      result.warnings.push_back("WARNING: " + joined.message());
    }
  }
  AddWarnings(&result);
  return result;
}

std::optional<QueueComparison> LoadRunner::QueueFromJobs(const RunResult& result) const {
  // The worker threads: the most the workers' heartbeats reported in the measured window.
  int64_t servers = 0;
  for (const RedisSample& s : result.redis_samples) {
    if (s.t_s >= 0) servers = std::max(servers, s.concurrency);
  }
  auto measured = MeasureQueue(result.e2e->stages.jobs, servers == 1);
  if (!measured) return std::nullopt;
  return CompareQueue(*measured, static_cast<int>(servers),
                      options_.open_loop() && options_.arrival_process == ArrivalProcess::kPoisson);
}

void LoadRunner::RequestStop() {
  stop_ = true;
  if (RunPlan* plan = plan_.load()) plan->stop = true;
}

void LoadRunner::ShowProgress(const RunPlan& plan, int64_t now_us) const {
  if (!options_.progress || !isatty(STDERR_FILENO)) return;
  double elapsed = static_cast<double>(now_us - plan.measure_start_us) / 1e6;
  std::string total = options_.requests > 0
                          ? fmt::format("{}/{} req", plan.completed.load(), options_.requests)
                          : fmt::format("{:.1f}/{:.1f} s", elapsed, options_.duration_s);
  IntervalRow last = plan.series->Last();
  fmt::print(stderr, "\r\033[K{} {}  {:.0f} req/s  errors {}  p99 {:.2f} ms",
             elapsed < 0 ? "warmup" : "running",
             elapsed < 0 ? fmt::format("{:.1f} s", -elapsed) : total, last.rps, plan.errors.load(),
             last.p99_ms);
}

void LoadRunner::AddWarnings(RunResult* result) const {
  for (size_t i = 0; i < result->thread_cpu.size(); ++i) {
    if (result->thread_cpu[i] > 0.9) {
      result->warnings.push_back(fmt::format(
          "WARNING: load thread {} used {:.0f}% of a core: the generator may be the bottleneck; "
          "add --threads or lower --connections",
          i, result->thread_cpu[i] * 100));
    }
  }
  const HdrHistogram& lag = result->measured.schedule_lag;
  if (lag.total_count() > 0 && lag.ValueAtPercentile(99) > 5'000) {
    result->warnings.push_back(fmt::format(
        "WARNING: schedule lag p99 {:.1f} ms: the generator could not send on time (CPU "
        "starved?); latencies include this delay",
        lag.ValueAtPercentile(99) / 1000.0));
  }
  // Poisson arrivals vary in number: a window of λT expected requests has a standard deviation
  // of √(λT), so only a shortfall beyond 3 of them (or 1%) says the generator fell behind.
  double expected = options_.rate_rps * result->window_s;
  // Bursts come whole: a window holds a whole number of them, up to one burst short.
  double slack = 0.01 * expected;
  if (options_.arrival_process == ArrivalProcess::kPoisson) {
    slack = std::max(slack, 3 * std::sqrt(expected));
  } else if (options_.arrival_process == ArrivalProcess::kBurst) {
    slack = std::max(slack, static_cast<double>(options_.burst_size));
    if (options_.requests == 0 && options_.burst_every_s > options_.duration_s) {
      result->warnings.push_back(fmt::format(
          "WARNING: the measured window ({:g} s) is shorter than the time between bursts ({:g} "
          "s): it holds one burst, and the achieved rate says little; run for several periods",
          options_.duration_s, options_.burst_every_s));
    }
  }
  if (options_.open_loop() && result->window_s > 0 &&
      static_cast<double>(result->measured.requests) < expected - slack) {
    result->warnings.push_back(fmt::format(
        "WARNING: achieved {:.2f} req/s of {:.2f} offered ({} requests never sent, {} in flight "
        "at the end)",
        result->achieved_rps(), options_.rate_rps, result->unsent_at_end,
        result->in_flight_at_end));
  }
  if (result->littles_law && !result->littles_law->warning.empty()) {
    result->warnings.push_back(result->littles_law->warning);
  }
  if (result->e2e) AddStageWarnings(result->e2e->stages, &result->warnings);
  if (result->e2e && result->e2e->missing > 0) {
    result->warnings.push_back(fmt::format("WARNING: {} of {} emails missing after {} s drain",
                                           result->e2e->missing, result->e2e->expected,
                                           options_.drain_s));
  }
}

}  // namespace fib
