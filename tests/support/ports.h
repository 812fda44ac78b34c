// Free ports and readiness checks for integration tests (loopback only).
// Thread-safety: pure functions.
#pragma once

#include <string>

namespace fib::test {

// Returns a TCP port on 127.0.0.1 that was free a moment ago (bind to 0, read, close).
int FreePort();
// Returns a socket listening on 127.0.0.1 on a free port (stored in *port), or -1. The caller
// closes it.
int ListenLoopback(int* port);
// Waits until something accepts TCP connections on 127.0.0.1:port. Returns false on timeout.
bool WaitForPort(int port, int timeout_ms = 10000);
// Returns a blocking TCP socket connected to 127.0.0.1:port, or -1. The caller closes it.
int ConnectLoopback(int port);
// Returns true when 127.0.0.1:port accepts a connection now.
bool PortOpen(int port);

}  // namespace fib::test
