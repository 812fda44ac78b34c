// Network: separate network hosts on one machine (docs/heroku.md) — namespaces on one bridge,
// and partitions that drop IPv4 between two hosts silently (tc u32 into a pfifo of limit 0).
// Names carry kNetPrefix and the orchestrator's pid, so runs never collide.
// Thread-safety: one owner thread; Remove() also from the signal thread (idempotent, guarded).
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"

namespace fib::bench {

inline constexpr char kNetPrefix[] = "fhk";

// Returns true when this process may create network namespaces (effective uid 0).
bool HaveNetAdmin();

// Removes namespaces, links and processes named kNetPrefix<pid>-... whose pid is no longer alive
// (runs that crashed or were killed with -9). Returns how many namespaces it removed.
int SweepLeftovers();

// Runs a command (no shell) and returns its stdout; an error with its stderr when it fails.
Result<std::string> RunCommand(const std::vector<std::string>& argv);

class Network {
 public:
  Network();  // names: kNetPrefix + getpid()
  ~Network();
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // Creates the bridge on a free 10.213.N.0/24 (one no route of this machine overlaps) with
  // address .1 on the machine. Returns an error naming the failed `ip` command.
  Status Create();
  // Adds host `name` (e.g. "app-one") with the next address (.2, .3, ...). REQUIRES: Create().
  Status AddHost(const std::string& name);
  // Returns the address of `host`, or of the machine itself for "" ("" when unknown).
  std::string Address(const std::string& host) const;
  // Returns the argv prefix that runs a program inside `host`: ip netns exec <namespace>.
  std::vector<std::string> Exec(const std::string& host) const;
  std::string Namespace(const std::string& host) const { return id_ + "-" + host; }
  const std::string& id() const { return id_; }
  std::string Subnet() const { return base_ + ".0/24"; }

  // Drops every IPv4 packet between hosts `a` and `b`, both ways, silently. Heal undoes it.
  Status Partition(const std::string& a, const std::string& b);
  Status Heal(const std::string& a, const std::string& b);
  // Returns the number of packets the partition filters dropped on `host`'s bridge port.
  int64_t Dropped(const std::string& host) const;

  // Kills every process in our namespaces, deletes namespaces, veths and the bridge. Idempotent.
  void Remove();

 private:
  struct Host {
    std::string name;
    std::string address;
    std::string port;  // the veth end on the bridge (in the machine's namespace)
  };
  const Host* Find(const std::string& name) const;
  Status Drop(const Host& on_port, const Host& from, bool add);

  std::string id_;    // kNetPrefix + pid
  std::string base_;  // "10.213.N"
  std::vector<Host> hosts_;
  std::atomic<bool> created_{false};
  std::mutex remove_mu_;
};

}  // namespace fib::bench
