#include "bench/orchestrator/netns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "common/text.h"

namespace fib::bench {

namespace {

constexpr int kFirstHostOctet = 2;  // .1 is the machine's address on the bridge

// Returns the IPv4 prefix `text` ("a.b.c.d[/n]") as a host-order address and length.
bool ParsePrefix(const std::string& text, uint32_t* addr, int* len) {
  std::string ip = text;
  *len = 32;
  if (size_t slash = text.find('/'); slash != std::string::npos) {
    ip = text.substr(0, slash);
    *len = std::atoi(text.c_str() + slash + 1);
  }
  in_addr a{};
  if (inet_pton(AF_INET, ip.c_str(), &a) != 1 || *len < 0 || *len > 32) return false;
  *addr = ntohl(a.s_addr);
  return true;
}

// Returns true when a route of this machine (other than the default route) overlaps `base`.0/24.
bool SubnetInUse(const std::string& routes, const std::string& base) {
  uint32_t ours = 0;
  int ours_len = 0;
  if (!ParsePrefix(base + ".0/24", &ours, &ours_len)) return true;
  std::istringstream lines(routes);
  std::string line;
  while (std::getline(lines, line)) {
    std::string first = line.substr(0, line.find(' '));
    uint32_t addr = 0;
    int len = 0;
    if (first == "default" || !ParsePrefix(first, &addr, &len)) continue;
    int common = std::min(len, ours_len);
    uint32_t mask = common == 0 ? 0 : ~uint32_t{0} << (32 - common);
    if ((addr & mask) == (ours & mask)) return true;
  }
  return false;
}

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

// Returns the names in `ip netns list` (first word of each line).
std::vector<std::string> Namespaces() {
  std::vector<std::string> names;
  auto out = RunCommand({"ip", "netns", "list"});
  if (!out.ok()) return names;
  std::istringstream lines(*out);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty()) names.push_back(line.substr(0, line.find(' ')));
  }
  return names;
}

// Returns the link names in this namespace (`ip -o link`: "7: name@peer: <...").
std::vector<std::string> Links() {
  std::vector<std::string> names;
  auto out = RunCommand({"ip", "-o", "link", "show"});
  if (!out.ok()) return names;
  std::istringstream lines(*out);
  std::string line;
  while (std::getline(lines, line)) {
    size_t colon = line.find(": ");
    if (colon == std::string::npos) continue;
    std::string name = line.substr(colon + 2);
    name = name.substr(0, name.find_first_of("@:"));
    names.push_back(name);
  }
  return names;
}

// Kills every process in namespace `ns` and deletes it.
void RemoveNamespace(const std::string& ns) {
  for (int round = 0; round < 3; ++round) {
    auto pids = RunCommand({"ip", "netns", "pids", ns});
    if (!pids.ok() || Trim(*pids).empty()) break;
    for (const auto& p : Words(*pids)) kill(static_cast<pid_t>(std::atoi(p.c_str())), SIGKILL);
    usleep(100 * 1000);
  }
  (void)RunCommand({"ip", "netns", "delete", ns});
}

// Removes every namespace and link whose name starts with `id` + "-".
void RemoveAllNamed(const std::string& id) {
  const std::string prefix = id + "-";
  for (const auto& ns : Namespaces()) {
    if (ns.rfind(prefix, 0) == 0) RemoveNamespace(ns);
  }
  for (const auto& link : Links()) {
    if (link.rfind(prefix, 0) == 0) (void)RunCommand({"ip", "link", "delete", link});
  }
}

// Returns the pid in a name "fhk<pid>-...", or 0.
pid_t OwnerPid(const std::string& name) {
  const std::string prefix = kNetPrefix;
  if (name.rfind(prefix, 0) != 0) return 0;
  size_t dash = name.find('-', prefix.size());
  if (dash == std::string::npos || dash == prefix.size()) return 0;
  for (size_t i = prefix.size(); i < dash; ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
  }
  return static_cast<pid_t>(std::atol(name.substr(prefix.size(), dash - prefix.size()).c_str()));
}

bool Alive(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

}  // namespace

bool HaveNetAdmin() { return geteuid() == 0; }

Result<std::string> RunCommand(const std::vector<std::string>& argv) {
  // Built before fork: the child of a threaded process may only make async-signal-safe calls.
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Status::Error("pipe() failed");
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return Status::Error("fork() failed");
  }
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    close(fds[0]);
    close(fds[1]);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n > 0) out.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return out;
  std::string command;
  for (const auto& a : argv) command += (command.empty() ? "" : " ") + a;
  return Status::Error(fmt::format("`{}` failed: {}", command, Trim(out)));
}

int SweepLeftovers() {
  int removed = 0;
  for (const auto& ns : Namespaces()) {
    pid_t owner = OwnerPid(ns);
    if (owner == 0 || owner == getpid() || Alive(owner)) continue;
    RemoveNamespace(ns);
    ++removed;
  }
  for (const auto& link : Links()) {
    pid_t owner = OwnerPid(link);
    if (owner != 0 && owner != getpid() && !Alive(owner)) {
      (void)RunCommand({"ip", "link", "delete", link});
    }
  }
  return removed;
}

Network::Network() : id_(kNetPrefix + std::to_string(getpid())) {}

Network::~Network() { Remove(); }

Status Network::Create() {
  auto routes = RunCommand({"ip", "-4", "route", "show", "table", "all"});
  if (!routes.ok()) return routes.status();
  // A third octet from the pid spreads parallel runs; the route check keeps clear of any network
  // this machine already reaches (and of another run's bridge).
  int start = static_cast<int>(getpid() % 250) + 1;
  for (int i = 0; i < 250 && base_.empty(); ++i) {
    std::string base = fmt::format("10.213.{}", (start + i) % 250 + 1);
    if (!SubnetInUse(*routes, base)) base_ = base;
  }
  if (base_.empty()) return Status::Error("no free 10.213.N.0/24 subnet on this machine");
  created_ = true;
  const std::string bridge = id_ + "-br";
  for (const auto& argv :
       std::vector<std::vector<std::string>>{{"ip", "link", "add", bridge, "type", "bridge"},
                                             {"ip", "addr", "add", base_ + ".1/24", "dev", bridge},
                                             {"ip", "link", "set", bridge, "up"}}) {
    if (auto r = RunCommand(argv); !r.ok()) return r.status();
  }
  return Status::Ok();
}

Status Network::AddHost(const std::string& name) {
  Host host;
  host.name = name;
  host.address = fmt::format("{}.{}", base_, kFirstHostOctet + hosts_.size());
  host.port = fmt::format("{}-p{}", id_, hosts_.size() + 1);
  const std::string ns = Namespace(name);
  const std::string inner = fmt::format("{}-h{}", id_, hosts_.size() + 1);
  const std::vector<std::string> in_ns = {"ip", "-n", ns};
  auto with_ns = [&](std::vector<std::string> rest) {
    std::vector<std::string> argv = in_ns;
    argv.insert(argv.end(), rest.begin(), rest.end());
    return argv;
  };
  for (const auto& argv : std::vector<std::vector<std::string>>{
           {"ip", "netns", "add", ns},
           {"ip", "link", "add", host.port, "type", "veth", "peer", "name", inner},
           {"ip", "link", "set", inner, "netns", ns},
           {"ip", "link", "set", host.port, "master", id_ + "-br"},
           {"ip", "link", "set", host.port, "up"},
           with_ns({"addr", "add", host.address + "/24", "dev", inner}),
           with_ns({"link", "set", inner, "up"}),
           with_ns({"link", "set", "lo", "up"}),
           // The partition filters' target: class 1:2 feeds a queue that holds nothing, so a
           // packet classified there is dropped without telling anyone. Other traffic bypasses
           // the classes (htb default 0) unshaped.
           {"tc", "qdisc", "add", "dev", host.port, "root", "handle", "1:", "htb", "default", "0"},
           {"tc", "class", "add", "dev", host.port, "parent", "1:", "classid", "1:2", "htb", "rate",
            "1mbit"},
           {"tc", "qdisc", "add", "dev", host.port, "parent", "1:2", "handle", "2:", "pfifo",
            "limit", "0"}}) {
    if (auto r = RunCommand(argv); !r.ok()) return r.status();
  }
  hosts_.push_back(host);
  return Status::Ok();
}

const Network::Host* Network::Find(const std::string& name) const {
  for (const auto& h : hosts_) {
    if (h.name == name) return &h;
  }
  return nullptr;
}

std::string Network::Address(const std::string& host) const {
  if (host.empty()) return base_.empty() ? "" : base_ + ".1";
  const Host* h = Find(host);
  return h ? h->address : "";
}

std::vector<std::string> Network::Exec(const std::string& host) const {
  return {"ip", "netns", "exec", Namespace(host)};
}

// Packets leave the bridge towards `on_port`'s host through its port's egress queue: the filter
// there sends those from `from` to the dropping class. Its priority is the source's index, so one
// filter per pair can be deleted alone.
Status Network::Drop(const Host& on_port, const Host& from, bool add) {
  int prio = 1;
  for (const auto& h : hosts_) {
    if (h.name == from.name) break;
    ++prio;
  }
  std::vector<std::string> argv = {
      "tc", "filter", add ? "add" : "del", "dev", on_port.port, "parent", "1:", "protocol",
      "ip", "prio",   std::to_string(prio)};
  if (add) {
    for (const char* w : {"u32", "match", "ip", "src"}) argv.emplace_back(w);
    argv.push_back(from.address + "/32");
    argv.emplace_back("flowid");
    argv.emplace_back("1:2");
  }
  auto r = RunCommand(argv);
  return r.ok() ? Status::Ok() : r.status();
}

Status Network::Partition(const std::string& a, const std::string& b) {
  const Host* ha = Find(a);
  const Host* hb = Find(b);
  if (!ha || !hb) return Status::Error("partition: unknown host " + (ha ? b : a));
  if (Status s = Drop(*ha, *hb, true); !s.ok()) return s;
  return Drop(*hb, *ha, true);
}

Status Network::Heal(const std::string& a, const std::string& b) {
  const Host* ha = Find(a);
  const Host* hb = Find(b);
  if (!ha || !hb) return Status::Error("heal: unknown host " + (ha ? b : a));
  Status first = Drop(*ha, *hb, false);
  Status second = Drop(*hb, *ha, false);
  return first.ok() ? second : first;
}

int64_t Network::Dropped(const std::string& host) const {
  const Host* h = Find(host);
  if (!h) return 0;
  auto out = RunCommand({"tc", "-s", "qdisc", "show", "dev", h->port, "parent", "1:2"});
  if (!out.ok()) return 0;
  size_t at = out->find("dropped ");
  return at == std::string::npos ? 0 : std::atoll(out->c_str() + at + 8);
}

void Network::Remove() {
  std::lock_guard<std::mutex> lock(remove_mu_);
  if (!created_) return;
  RemoveAllNamed(id_);
  created_ = false;
}

}  // namespace fib::bench
