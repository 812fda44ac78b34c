// SinkCounters: what the mail sink has seen, for GET /stats (MessageStore counts the stored,
// accepted and dropped messages itself).
// Thread-safety: every field is an atomic; update and read from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace fib {

struct SinkCounters {
  std::atomic<int64_t> failed_451{0};  // messages answered 451 because of --fail-rate
  std::atomic<int64_t> rejected{0};    // messages refused with 5xx (too big, long line, store cap)
  std::atomic<int64_t> aborted{0};     // connections closed in the middle of DATA
  std::atomic<int64_t> connections_total{0};    // connections accepted
  std::atomic<int64_t> connections_active{0};   // sessions running now
  std::atomic<int64_t> connections_refused{0};  // turned away with 421 (over --max-connections)
  std::atomic<int64_t> idle_timeouts{0};        // sessions closed by --idle-timeout-ms
  std::atomic<int64_t> session_timeouts{0};     // sessions closed by --session-timeout
  // Turned away with 421 because their address had --max-connections-per-client sessions
  // already (also counted in connections_refused).
  std::atomic<int64_t> connections_refused_per_client{0};
  std::atomic<int64_t> tls_handshakes{0};          // completed (STARTTLS and SMTPS)
  std::atomic<int64_t> tls_handshake_failures{0};  // failed, timed out or abandoned
  std::atomic<int64_t> auth_failures{0};           // AUTH answered 535
  // Connections that sent bytes after STARTTLS before the handshake (discarded, CVE-2011-0411).
  std::atomic<int64_t> starttls_injections{0};
};

}  // namespace fib
