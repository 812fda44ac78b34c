#include "bench/loadgen/loadgen_options.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

#include "common/text.h"

namespace fib {
namespace {

bool HasHeader(const std::vector<std::string>& headers, const std::string& name) {
  return std::any_of(headers.begin(), headers.end(), [&](const std::string& h) {
    if (h.size() <= name.size() || h[name.size()] != ':') return false;
    return std::equal(name.begin(), name.end(), h.begin(),
                      [](char a, char b) { return std::tolower(a) == std::tolower(b); });
  });
}

Status CheckHeaders(const std::vector<std::string>& headers) {
  for (const auto& h : headers) {
    auto colon = h.find(':');
    if (colon == std::string::npos || colon == 0 || h.find_first_of("\r\n") != std::string::npos) {
      return Status::Error(fmt::format("--header takes 'Name: value', got '{}'", h));
    }
  }
  for (const char* reserved : {"Content-Length", "X-Request-Id", "Host"}) {
    if (HasHeader(headers, reserved)) {
      return Status::Error(fmt::format("--header: {} is set by the load generator", reserved));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<HttpUrl> ParseHttpUrl(const std::string& url, const std::string& flag) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) {
    return Status::Error(fmt::format("{} needs an http:// URL, got '{}'", flag, url));
  }
  std::string rest = url.substr(scheme.size());
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  HttpUrl out;
  out.path = slash == std::string::npos ? "/" : rest.substr(slash);
  auto colon = authority.rfind(':');
  out.host = authority.substr(0, colon);
  if (colon != std::string::npos) {
    auto port = ParseInt(authority.substr(colon + 1), flag + " port");
    if (!port.ok() || *port < 1 || *port > 65535) {
      return Status::Error(fmt::format("{}: bad port in '{}'", flag, url));
    }
    out.port = static_cast<int>(*port);
  }
  if (out.host.empty()) return Status::Error(fmt::format("{}: no host in '{}'", flag, url));
  if (out.host == "localhost") out.host = "127.0.0.1";
  return out;
}

void LoadgenOptions::RegisterFlags(FlagSet* f) {
  f->String("url", 'u', &url, "URL", "target, http://host:port/path (required)");
  f->String("method", 'm', &method, "METHOD", "HTTP method");
  f->String("body", 'b', &body, "TEXT",
            "request body; {n} = request number, {uuid} = a fresh UUID, {run} = run id");
  f->String("body-file", 0, &body_file, "PATH",
            "read the body (with the same substitutions) "
            "from a file");
  f->StringList("header", 'H', &headers, "'NAME: VALUE'", "extra request header (repeatable)");
  f->Bool("form", 0, &form, "send Content-Type: application/x-www-form-urlencoded");
  f->Bool("json-body", 0, &json_body, "send Content-Type: application/json");
  f->Double("rate", 'R', &rate_rps, "REQ/S",
            "total offered (mean) rate, open loop, spaced as --arrivals says; 0 = closed loop");
  f->String("arrivals", 0, &arrivals, "constant|poisson|burst",
            "with --rate: evenly spaced sends (constant, wrk2), a Poisson process of the same "
            "mean rate (exponential gaps; queues form as in real traffic), or bursts of "
            "--burst-size requests at once");
  f->Int("seed", 0, &seed, "N",
         "with --arrivals poisson: seed of the random schedule (the same seed, the same sends)");
  f->Int("burst-size", 0, &burst_size, "COUNT",
         "with --arrivals burst: requests intended at the same instant (spread over the "
         "connections; more than --connections queue in the load generator)");
  f->Double("burst-every", 0, &burst_every_s, "SECONDS",
            "with --arrivals burst: time between bursts; 0 = burst size / --rate (with no "
            "--rate, sets it to size / every)");
  f->Int("connections", 'c', &connections, "COUNT", "keep-alive connections (total)");
  f->Int("threads", 't', &threads, "COUNT", "event-loop threads");
  f->Double("duration", 'd', &duration_s, "SECONDS", "measured window");
  f->Int("requests", 'n', &requests, "COUNT",
         "stop after this many measured requests instead of --duration (0 = off)");
  f->Double("max-duration", 0, &max_duration_s, "SECONDS",
            "with --requests: stop after this long even if fewer were done (0 = no limit)");
  f->Double("warmup", 0, &warmup_s, "SECONDS",
            "load before the measured window; reported separately, excluded from results");
  f->Int("timeout", 0, &timeout_ms, "MS",
         "per-request limit; a timed-out request is recorded at its timeout and counted");
  f->String("run-id", 0, &run_id, "ID", "X-Request-Id prefix (<run>-<n>); random when empty");
  f->String("mail", 0, &mail_url, "URL",
            "mail sink inbox (e.g. http://127.0.0.1:1080): join emails by X-Request-Id");
  f->Double("drain", 0, &drain_s, "SECONDS", "with --mail: wait this long for missing emails");
  f->String("redis-url", 0, &redis_url, "URL",
            "sample queue depth, retry, dead and busy workers from this Redis");
  f->String("queue", 0, &queue, "NAME", "with --redis-url: the queue whose LLEN is sampled");
  f->Int("redis-sample", 0, &redis_sample_ms, "MS", "with --redis-url: sampling interval");
  f->String("label", 0, &label, "TEXT", "name of this run in reports (default '<method> <url>')");
  f->Bool("latency", 'L', &latency, "print the detailed percentile spectrum");
  f->String("json", 0, &json_path, "FILE", "write the report JSON (docs/report-format.md)");
  f->String("hgrm", 0, &hgrm_path, "FILE", "write the HdrHistogram percentile distribution");
  f->String("csv", 0, &csv_path, "FILE", "write the per-second time series");
  f->Bool("progress", 0, &progress, "live progress line on stderr (only when it is a terminal)");
}

Status LoadgenOptions::ValidateBurst() {
  if (burst_size < 1 || burst_size > kMaxBurstSize) {
    return Status::Error(
        fmt::format("--burst-size must be 1 to {}, got {}", kMaxBurstSize, burst_size));
  }
  if (burst_every_s < 0) return Status::Error("--burst-every must be >= 0 (0 = size / --rate)");
  if (arrival_process != ArrivalProcess::kBurst) return Status::Ok();
  if (burst_every_s > 0) {
    double implied = static_cast<double>(burst_size) / burst_every_s;
    if (rate_rps == 0) {
      rate_rps = implied;
    } else if (std::fabs(rate_rps - implied) > 0.01 * implied) {
      return Status::Error(fmt::format(
          "--rate {:g} disagrees with --burst-size {} every {:g} s ({:g} req/s): give --rate or "
          "--burst-every, not both",
          rate_rps, burst_size, burst_every_s, implied));
    }
  }
  if (rate_rps == 0) {
    return Status::Error(
        "--arrivals burst needs --rate (the mean rate) or --burst-every (the time between "
        "bursts)");
  }
  burst_every_s = static_cast<double>(burst_size) / rate_rps;
  return Status::Ok();
}

Status LoadgenOptions::Validate() {
  if (url.empty()) return Status::Error("--url is required, e.g. --url http://127.0.0.1:3000/");
  auto parsed = ParseHttpUrl(url, "--url");
  if (!parsed.ok()) return parsed.status();
  target = *parsed;
  if (!mail_url.empty()) {
    auto m = ParseHttpUrl(mail_url, "--mail");
    if (!m.ok()) return m.status();
    mail = *m;
  }
  if (method.empty() || method.find_first_of(" \r\n") != std::string::npos) {
    return Status::Error(fmt::format("--method takes a token like GET or POST, got '{}'", method));
  }
  if (rate_rps < 0) return Status::Error("--rate must be >= 0 (0 = closed loop)");
  auto process = ParseArrivalProcess(arrivals);
  if (!process) {
    return Status::Error(
        fmt::format("--arrivals takes constant, poisson or burst, got '{}'", arrivals));
  }
  arrival_process = *process;
  if (seed < 0) return Status::Error("--seed must be >= 0");
  if (Status s = ValidateBurst(); !s.ok()) return s;
  if (connections < 1) return Status::Error("--connections must be >= 1");
  if (threads < 1) return Status::Error("--threads must be >= 1");
  threads = std::min(threads, connections);
  if (requests < 0) return Status::Error("--requests must be >= 0");
  if (requests == 0 && duration_s <= 0) return Status::Error("--duration must be > 0");
  if (max_duration_s < 0) return Status::Error("--max-duration must be >= 0 (0 = no limit)");
  if (warmup_s < 0) return Status::Error("--warmup must be >= 0");
  if (timeout_ms < 1) return Status::Error("--timeout must be >= 1 ms");
  if (drain_s < 0) return Status::Error("--drain must be >= 0");
  if (redis_sample_ms < 1) return Status::Error("--redis-sample must be >= 1 ms");
  if (form && json_body) return Status::Error("--form and --json-body exclude each other");
  if (Status s = CheckHeaders(headers); !s.ok()) return s;
  if (!body_file.empty()) {
    std::ifstream in(body_file, std::ios::binary);
    if (!in) return Status::Error(fmt::format("--body-file: cannot read '{}'", body_file));
    std::ostringstream text;
    text << in.rdbuf();
    body = text.str();
  }
  if (form && !HasHeader(headers, "Content-Type")) {
    headers.push_back("Content-Type: application/x-www-form-urlencoded");
  }
  if (json_body && !HasHeader(headers, "Content-Type")) {
    headers.push_back("Content-Type: application/json");
  }
  if (run_id.empty()) run_id = RandomHex(8);
  if (run_id.find_first_of(" \r\n") != std::string::npos) {
    return Status::Error("--run-id must not contain spaces or newlines");
  }
  if (label.empty()) label = method + " " + url;
  return Status::Ok();
}

}  // namespace fib
