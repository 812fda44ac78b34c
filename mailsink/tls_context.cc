#include "mailsink/tls_context.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

namespace fib {
namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// Returns OpenSSL's oldest queued error as text and clears the queue.
std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no details from OpenSSL";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

// Waits until `fd` is ready for `events` or `deadline` passes; returns false on timeout.
bool WaitFor(int fd, short events, SteadyTime deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    int ready = poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 60 * 1000)));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

// The events to wait for after an SSL call returned `rc`, or 0 when the failure is final.
short WantedEvents(SSL* ssl, int rc) {
  switch (SSL_get_error(ssl, rc)) {
    case SSL_ERROR_WANT_READ:
      return POLLIN;
    case SSL_ERROR_WANT_WRITE:
      return POLLOUT;
    default:
      return 0;
  }
}

bool IsHostnameSafe(const std::string& name) {
  return !name.empty() && name.find_first_not_of(
                              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
                              "WXYZ0123456789.-") == std::string::npos;
}

// Adds a subjectAltName extension, e.g. "DNS:localhost,IP:127.0.0.1".
bool AddAltNames(X509* cert, const std::string& names) {
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, names.c_str());
  bool ok = ext != nullptr && X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// Makes a self-signed ECDSA P-256 certificate (P-256: generated in about a millisecond, where
// RSA-2048 takes tens) and installs it with its key in `ctx`.
Status UseGeneratedCertificate(SSL_CTX* ctx, const std::string& hostname) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) return Status::Error("cannot generate a TLS key: " + OpenSslError());
  uint64_t serial = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial);
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial >> 1);
  X509_set_version(cert.get(), 2);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  std::string common_name = IsHostnameSafe(hostname) ? hostname : "localhost";
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  std::string alt_names = "DNS:localhost,IP:127.0.0.1,IP:::1";
  if (common_name != "localhost") alt_names = "DNS:" + common_name + "," + alt_names;
  if (!AddAltNames(cert.get(), alt_names) || X509_sign(cert.get(), key.get(), EVP_sha256()) == 0 ||
      SSL_CTX_use_certificate(ctx, cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, key.get()) != 1) {
    return Status::Error("cannot make a self-signed TLS certificate: " + OpenSslError());
  }
  return Status::Ok();
}

Status UseFiles(SSL_CTX* ctx, const TlsOptions& options) {
  if (SSL_CTX_use_certificate_chain_file(ctx, options.cert_file.c_str()) != 1) {
    return Status::Error("cannot load the TLS certificate --tls-cert " + options.cert_file + ": " +
                         OpenSslError() + " (a PEM file is expected)");
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Status::Error("cannot load the TLS key --tls-key " + options.key_file + ": " +
                         OpenSslError() + " (an unencrypted PEM key is expected)");
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Status::Error("--tls-key " + options.key_file + " does not match --tls-cert " +
                         options.cert_file);
  }
  return Status::Ok();
}

std::string Fingerprint(SSL_CTX* ctx) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  X509* cert = SSL_CTX_get0_certificate(ctx);
  if (cert == nullptr || X509_digest(cert, EVP_sha256(), digest, &size) != 1) return "?";
  std::string text;
  for (unsigned int i = 0; i < size; ++i) text += fmt::format("{}{:02X}", i ? ":" : "", digest[i]);
  return text;
}

}  // namespace

struct TlsContext::Impl {
  ~Impl() { SSL_CTX_free(ctx); }
  SSL_CTX* ctx = nullptr;
};

struct TlsStream::Impl {
  ~Impl() {
    if (ssl == nullptr) return;
    // One non-blocking attempt at close_notify; a client that is gone needs nothing more.
    if (handshake_done) SSL_shutdown(ssl);
    SSL_free(ssl);
    ERR_clear_error();
  }
  SSL* ssl = nullptr;
  int fd = -1;
  bool handshake_done = false;
};

TlsContext::TlsContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsContext::~TlsContext() = default;

Result<std::shared_ptr<const TlsContext>> TlsContext::Create(const TlsOptions& options) {
  if (options.cert_file.empty() != options.key_file.empty()) {
    return Status::Error(
        "--tls-cert and --tls-key go together: give both, or neither for a "
        "self-signed certificate made at start");
  }
  auto impl = std::make_unique<Impl>();
  impl->ctx = SSL_CTX_new(TLS_server_method());
  if (impl->ctx == nullptr) return Status::Error("cannot create a TLS context: " + OpenSslError());
  SSL_CTX_set_min_proto_version(impl->ctx, TLS1_2_VERSION);
  // Client-initiated renegotiation is a cheap way to make a server do expensive work.
  SSL_CTX_set_options(impl->ctx, SSL_OP_NO_RENEGOTIATION);
  bool generated = options.cert_file.empty();
  Status loaded = generated ? UseGeneratedCertificate(impl->ctx, options.hostname)
                            : UseFiles(impl->ctx, options);
  if (!loaded.ok()) return loaded;
  std::string fingerprint = Fingerprint(impl->ctx);
  std::shared_ptr<TlsContext> context(new TlsContext(std::move(impl)));
  context->fingerprint_ = std::move(fingerprint);
  context->generated_ = generated;
  return std::shared_ptr<const TlsContext>(std::move(context));
}

TlsStream::TlsStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsStream::~TlsStream() = default;

Result<std::unique_ptr<TlsStream>> TlsStream::Accept(const TlsContext& context, int fd,
                                                     int64_t timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  // Non-blocking for good: every read and write then waits in poll with a deadline, and a
  // half-sent TLS record can never block a read.
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return Status::Error("cannot make the socket non-blocking for TLS");
  }
  // TLS 1.3 sends its session tickets after the handshake as a separate small write; with Nagle
  // the next reply waits for their ACK, which the client delays: 40 ms per STARTTLS, measured.
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto impl = std::make_unique<Impl>();
  impl->fd = fd;
  impl->ssl = SSL_new(context.impl_->ctx);
  if (impl->ssl == nullptr || SSL_set_fd(impl->ssl, fd) != 1) {
    return Status::Error("cannot start TLS: " + OpenSslError());
  }
  for (;;) {
    ERR_clear_error();
    int rc = SSL_accept(impl->ssl);
    if (rc == 1) break;
    short events = WantedEvents(impl->ssl, rc);
    if (events == 0) {
      std::string why = OpenSslError();
      return Status::Error("TLS handshake failed: " + (why == "no details from OpenSSL"
                                                           ? "the client closed the connection"
                                                           : why));
    }
    if (!WaitFor(fd, events, deadline)) {
      return Status::Error(fmt::format("TLS handshake not completed within {} ms", timeout_ms));
    }
  }
  impl->handshake_done = true;
  return std::unique_ptr<TlsStream>(new TlsStream(std::move(impl)));
}

long TlsStream::Read(char* buffer, size_t size) {
  ERR_clear_error();
  size_t got = 0;
  if (SSL_read_ex(impl_->ssl, buffer, size, &got) == 1) return static_cast<long>(got);
  // WANT_WRITE (a TLS 1.3 key update reply blocked) also waits: the next poll times out or the
  // socket drains.
  return WantedEvents(impl_->ssl, 0) != 0 ? kWouldBlock : 0;
}

bool TlsStream::HasBuffered() const { return SSL_pending(impl_->ssl) > 0; }

bool TlsStream::Write(std::string_view bytes, int64_t timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!bytes.empty()) {
    ERR_clear_error();
    size_t written = 0;
    if (SSL_write_ex(impl_->ssl, bytes.data(), bytes.size(), &written) == 1) {
      bytes.remove_prefix(written);
      continue;
    }
    short events = WantedEvents(impl_->ssl, 0);
    if (events == 0 || !WaitFor(impl_->fd, events, deadline)) return false;
  }
  return true;
}

std::string TlsStream::Description() const {
  return fmt::format("{} {}", SSL_get_version(impl_->ssl), SSL_get_cipher_name(impl_->ssl));
}

}  // namespace fib
