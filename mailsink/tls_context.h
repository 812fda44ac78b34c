// TlsContext and TlsStream: the mail sink's server-side TLS (OpenSSL 3, TLS 1.2 and newer only).
// TlsContext holds the certificate — from PEM files, or a self-signed one made in memory at start —
// and TlsStream is one TLS connection over an accepted socket, with deadline-bounded I/O. The only
// file that includes OpenSSL headers is tls_context.cc; callers never see SSL or SSL_CTX.
// Thread-safety: a TlsContext is immutable after Create and shared by all connections; a
// TlsStream belongs to one connection's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace fib {

struct TlsOptions {
  // PEM certificate (chain) and private key. Both empty: a self-signed certificate (ECDSA P-256,
  // valid 30 days, names `hostname`, localhost, 127.0.0.1 and ::1) is made in memory.
  std::string cert_file;
  std::string key_file;
  std::string hostname = "fibtastic-mailsink";
};

class TlsContext {
 public:
  // Returns an error naming the file and OpenSSL's reason (e.g. the key does not match).
  static Result<std::shared_ptr<const TlsContext>> Create(const TlsOptions& options);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // SHA-256 fingerprint of the certificate, "AB:CD:...", as `openssl x509 -fingerprint -sha256`.
  const std::string& fingerprint_sha256() const { return fingerprint_; }
  // True when the certificate was generated at start (clients must skip verification).
  bool generated() const { return generated_; }

 private:
  friend class TlsStream;
  struct Impl;
  explicit TlsContext(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string fingerprint_;
  bool generated_ = false;
};

class TlsStream {
 public:
  // Runs the server side of the handshake on `fd` (connected; switched to non-blocking mode for
  // good) within `timeout_ms`, so a client that stalls mid-handshake cannot hold the thread.
  // Returns an error saying why (timeout, closed, protocol error such as a plain-text client).
  static Result<std::unique_ptr<TlsStream>> Accept(const TlsContext& context, int fd,
                                                   int64_t timeout_ms);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  static constexpr long kWouldBlock = -1;
  // Reads decrypted bytes without blocking: > 0 bytes read, 0 closed or failed, kWouldBlock when
  // the socket must become readable first (poll it, then call again).
  long Read(char* buffer, size_t size);
  // True when decrypted bytes are already buffered (poll on the socket would not show them).
  bool HasBuffered() const;
  // Writes all of `bytes`, waiting up to `timeout_ms` whenever the socket is full. Returns false
  // on failure or timeout.
  bool Write(std::string_view bytes, int64_t timeout_ms);
  // Returns e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384".
  std::string Description() const;

 private:
  struct Impl;
  explicit TlsStream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fib
