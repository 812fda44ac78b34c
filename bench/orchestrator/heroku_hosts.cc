#include "bench/orchestrator/heroku_hosts.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/log.h"

namespace fib::bench {

namespace {

namespace fs = std::filesystem;

constexpr char kSmtpUser[] = "fibmaster";
constexpr char kSecretsPrefix[] = "/tmp/fibtastic-heroku-";  // + pid + "-XXXXXX"

// Removes the secrets folders of runs whose process is gone (killed with -9: no clean-up ran).
void SweepSecrets() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/tmp", ec)) {
    std::string path = entry.path().string();
    if (path.rfind(kSecretsPrefix, 0) != 0) continue;
    long pid = std::atol(path.c_str() + std::strlen(kSecretsPrefix));
    if (pid <= 0 || pid == getpid() || kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) {
      continue;
    }
    fs::remove_all(entry.path(), ec);
  }
}

// Returns 16 random bytes as 32 hex digits, or "" when /dev/urandom cannot be read.
std::string RandomHex() {
  std::ifstream in("/dev/urandom", std::ios::binary);
  unsigned char bytes[16];
  if (!in.read(reinterpret_cast<char*>(bytes), sizeof bytes)) return "";
  std::string hex;
  for (unsigned char b : bytes) hex += fmt::format("{:02x}", b);
  return hex;
}

Status WritePrivate(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) return Status::Error("cannot write " + path);
  chmod(path.c_str(), 0600);
  return Status::Ok();
}

// Parses one /proc/net/tcp{,6} line; true for a listening socket (state 0A).
bool ParseListener(const std::string& line, bool v6, std::string* address, int* port) {
  std::istringstream in(line);
  std::string slot, local, remote, state;
  if (!(in >> slot >> local >> remote >> state) || state != "0A") return false;
  size_t colon = local.find(':');
  if (colon == std::string::npos) return false;
  *port = static_cast<int>(std::strtol(local.c_str() + colon + 1, nullptr, 16));
  std::string hex = local.substr(0, colon);
  char text[INET6_ADDRSTRLEN] = {};
  if (!v6 && hex.size() == 8) {
    in_addr a{};
    a.s_addr = static_cast<uint32_t>(std::strtoul(hex.c_str(), nullptr, 16));
    inet_ntop(AF_INET, &a, text, sizeof text);
  } else if (v6 && hex.size() == 32) {
    in6_addr a{};
    for (int word = 0; word < 4; ++word) {
      uint32_t w =
          static_cast<uint32_t>(std::strtoul(hex.substr(word * 8, 8).c_str(), nullptr, 16));
      std::memcpy(&a.s6_addr[word * 4], &w, 4);
    }
    inet_ntop(AF_INET6, &a, text, sizeof text);
  } else {
    return false;
  }
  *address = text;
  return true;
}

}  // namespace

HerokuHosts::HerokuHosts(HerokuOptions options) : options_(std::move(options)) {}

HerokuHosts::~HerokuHosts() { Stop(); }

Status HerokuHosts::MakeSecrets() {
  std::string dir = fmt::format("{}{}-XXXXXX", kSecretsPrefix, getpid());
  if (!mkdtemp(dir.data())) {
    return Status::Error("cannot create a private folder in /tmp for the secrets");
  }
  secrets_dir_ = dir;
  redis_password_ = RandomHex();
  smtp_password_ = RandomHex();
  if (redis_password_.empty() || smtp_password_.empty()) {
    return Status::Error("cannot read /dev/urandom for the passwords");
  }
  // A throwaway certificate for provider's address, valid one day, never kept.
  auto cert =
      RunCommand({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", secrets_dir_ + "/key.pem",
                  "-out", secrets_dir_ + "/cert.pem", "-days", "1", "-subj", "/CN=provider",
                  "-addext", "subjectAltName=IP:" + network_.Address("provider")});
  if (!cert.ok())
    return Status::Error(cert.message() + " (is openssl installed? scripts/install-deps)");
  Status s =
      WritePrivate(secrets_dir_ + "/users", std::string(kSmtpUser) + ":" + smtp_password_ + "\n");
  if (!s.ok()) return s;
  return WritePrivate(
      secrets_dir_ + "/redis.conf",
      fmt::format("bind {}\nport {}\nrequirepass {}\nsave \"\"\nappendonly no\n"
                  "dir {}\n",
                  network_.Address("redistogo"), kRedisPort, redis_password_, secrets_dir_));
}

std::map<std::string, std::string> HerokuHosts::AppEnv() const {
  // As the lesson's Heroku apps: the add-on's variable, and REDIS_PROVIDER naming it.
  return {{"REDISTOGO_URL", RedisUrl()},
          {"REDIS_PROVIDER", "REDISTOGO_URL"},
          {"REDIS_URL", ""},
          {"SMTP_URL", fmt::format("smtp://{}:{}@{}:{}", kSmtpUser, smtp_password_,
                                   network_.Address("provider"), kSmtpPort)},
          {"SMTP_CA_FILE", secrets_dir_ + "/cert.pem"}};
}

Status HerokuHosts::StartOn(const std::string& host, const std::string& name,
                            std::vector<std::string> argv, std::map<std::string, std::string> env,
                            int port, std::vector<std::unique_ptr<ChildProcess>>* into) {
  std::vector<std::string> full = network_.Exec(host);
  full.insert(full.end(), argv.begin(), argv.end());
  env["FIBTASTIC_BENCH_RUN"] = options_.log_dir;
  const std::string log_path = options_.log_dir + "/" + name + ".log";
  auto child = ChildProcess::Start({full, env, log_path, {}});
  if (!child.ok()) return child.status();
  const std::string address = network_.Address(host);
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.start_timeout_ms);
  bool up = port == 0;
  while (!up && std::chrono::steady_clock::now() < deadline && (*child)->Running()) {
    up = TcpPortOpen(address, port);
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!up || !(*child)->Running()) {
    return Status::Error(fmt::format("{} did not come up on {} ({}:{}); see its log: {}", name,
                                     host, address, port, log_path));
  }
  std::lock_guard<std::mutex> lock(mu_);
  pids_.emplace_back(host, (*child)->pid());
  into->push_back(std::move(*child));
  return Status::Ok();
}

Status HerokuHosts::Start() {
  SweepSecrets();
  int swept = SweepLeftovers();
  if (swept > 0) Log("heroku: removed {} namespace(s) left by earlier runs", swept);
  if (Status s = network_.Create(); !s.ok()) return s;
  for (const char* host : {"app-one", "app-two", "redistogo", "provider"}) {
    if (Status s = network_.AddHost(host); !s.ok()) return s;
  }
  if (Status s = MakeSecrets(); !s.ok()) return s;
  const std::string bin = options_.bin_dir + "/";
  Status s = StartOn("redistogo", "redistogo", {"redis-server", secrets_dir_ + "/redis.conf"}, {},
                     kRedisPort, &services_);
  if (!s.ok()) return s;
  s = StartOn("provider", "provider",
              {bin + "fibtastic-mailsink", "--bind", network_.Address("provider"), "--smtp-port",
               std::to_string(kSmtpPort), "--http-port", std::to_string(kInboxPort),
               "--require-tls", "--require-auth", "--auth-file", secrets_dir_ + "/users",
               "--tls-cert", secrets_dir_ + "/cert.pem", "--tls-key", secrets_dir_ + "/key.pem",
               "--delay-ms", std::to_string(options_.mail_delay_ms), "--max-messages", "100000"},
              {}, kSmtpPort, &services_);
  if (!s.ok()) return s;
  if (!WaitForTcpPort(network_.Address("provider"), kInboxPort, options_.start_timeout_ms)) {
    return Status::Error("provider's inbox did not come up; see its log");
  }
  for (bool inline_mode : {false, true}) {
    int port = inline_mode ? kInlinePort : kWebPort;
    auto env = AppEnv();
    env["PORT"] = std::to_string(port);
    s = StartOn("app-one", inline_mode ? "app-one-web-inline" : "app-one-web",
                {bin + "fibtastic-web", "--mode", inline_mode ? "inline" : "background", "--bind",
                 network_.Address("app-one"), "--threads", std::to_string(options_.web_threads),
                 "--profile", options_.profile, "--profiles-dir", options_.profiles_dir},
                env, port, &services_);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status HerokuHosts::StartWorkers(int count, int threads) {
  if (threads <= 0) threads = options_.worker_concurrency;
  for (int i = 0; i < count; ++i) {
    std::string name = fmt::format("app-two-worker-{}", workers_.size() + 1);
    Status s =
        StartOn("app-two", name,
                {options_.bin_dir + "/fibtastic-worker", "-c",
                 std::to_string(options_.worker_concurrency), "--tag", name, "--profiles-dir",
                 options_.profiles_dir, "--retry-delay-scale", "0.01", "--poll-interval-s", "1",
                 "--smtp-timeout-ms", std::to_string(options_.smtp_timeout_ms), "--no-log-jobs"},
                AppEnv(), 0, &workers_);
    if (!s.ok()) return s;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (auto& w : workers_) {
    if (!w->Running()) {
      return Status::Error("a worker on app-two exited at start-up; see " + options_.log_dir +
                           "/app-two-worker-*.log");
    }
  }
  return Status::Ok();
}

void HerokuHosts::StopWorkers() {
  std::vector<std::unique_ptr<ChildProcess>> taken;
  {
    std::lock_guard<std::mutex> lock(mu_);
    taken.swap(workers_);
  }
  for (auto& w : taken) w->Signal(SIGTERM);
  for (auto& w : taken) w->Stop(30000);
}

void HerokuHosts::Stop() {
  StopWorkers();
  std::vector<std::unique_ptr<ChildProcess>> taken;
  {
    std::lock_guard<std::mutex> lock(mu_);
    taken.swap(services_);
  }
  for (auto& s : taken) s->Stop(10000);
  network_.Remove();
  if (!secrets_dir_.empty()) {
    std::error_code ec;
    fs::remove_all(secrets_dir_, ec);
  }
}

void HerokuHosts::KillAll() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto* group : {&workers_, &services_}) {
      for (auto& p : *group) p->Signal(SIGKILL);
    }
  }
  network_.Remove();
  if (!secrets_dir_.empty()) {
    std::error_code ec;
    fs::remove_all(secrets_dir_, ec);
  }
}

std::string HerokuHosts::WebUrl(bool inline_mode) const {
  return fmt::format("http://{}:{}", network_.Address("app-one"),
                     inline_mode ? kInlinePort : kWebPort);
}

std::string HerokuHosts::MailUrl() const {
  return fmt::format("http://{}:{}", network_.Address("provider"), kInboxPort);
}

std::string HerokuHosts::RedisUrl() const {
  return fmt::format("redis://:{}@{}:{}/0", redis_password_, network_.Address("redistogo"),
                     kRedisPort);
}

std::vector<Listener> HerokuHosts::Listeners() const {
  std::vector<Listener> out;
  std::vector<std::string> seen_hosts;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [host, pid] : pids_) {
    // A namespace's sockets are the same in every one of its processes: read each host once.
    if (std::find(seen_hosts.begin(), seen_hosts.end(), host) != seen_hosts.end()) continue;
    seen_hosts.push_back(host);
    for (bool v6 : {false, true}) {
      std::ifstream in(fmt::format("/proc/{}/net/tcp{}", pid, v6 ? "6" : ""));
      std::string line;
      std::getline(in, line);  // header
      while (std::getline(in, line)) {
        Listener l;
        l.host = host;
        if (ParseListener(line, v6, &l.address, &l.port)) out.push_back(l);
      }
    }
  }
  return out;
}

}  // namespace fib::bench
