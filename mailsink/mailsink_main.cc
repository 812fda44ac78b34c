// fibtastic-mailsink: an SMTP mail catcher with an HTTP inbox, and the lesson's slow third-party
// provider (--delay-ms, --fail-rate). See mailsink/mailsink.h.
#include <cstdio>

#include "common/flags.h"
#include "common/log.h"
#include "common/shutdown.h"
#include "mailsink/flag_units.h"
#include "mailsink/mailsink.h"

namespace {

constexpr const char* kProgram = "fibtastic-mailsink";

// Flags with units arrive as text and are converted after parsing (ApplyUnitFlags).
struct UnitFlags {
  std::string max_store_bytes = "256MiB";
  std::string session_timeout = "10min";
  std::string chaos;  // JSON, as PUT /api/chaos
};

void RegisterSecurityFlags(fib::FlagSet* flags, fib::MailsinkOptions* o) {
  flags->String("auth-file", 0, &o->auth_file, "PATH",
                "users SMTP AUTH (PLAIN, LOGIN) accepts, one user:password a line; 535 for "
                "others; default: none, any credentials are accepted");
  flags->Bool("require-auth", 0, &o->require_auth, "refuse MAIL before AUTH (530 5.7.0)");
  flags->Bool("tls", 0, &o->tls,
              "offer STARTTLS (off by default, as mailcatcher); implied by the --tls-*, "
              "--require-tls and --smtps-port flags");
  flags->String("tls-cert", 0, &o->tls_cert_file, "PATH",
                "PEM certificate (chain) for TLS; default: a self-signed one made at start "
                "(its SHA-256 fingerprint is logged)");
  flags->String("tls-key", 0, &o->tls_key_file, "PATH", "PEM private key of --tls-cert");
  flags->Bool("require-tls", 0, &o->require_tls,
              "refuse MAIL and AUTH before STARTTLS (530 5.7.0); AUTH is then advertised only "
              "under TLS");
  flags->Int("smtps-port", 0, &o->smtps_port, "PORT",
             "also listen for implicit TLS (SMTPS, e.g. 465); 0 (default): off");
}

void RegisterFlags(fib::FlagSet* flags, fib::MailsinkOptions* o, UnitFlags* u) {
  flags->String("bind", 0, &o->bind_address, "ADDRESS", "address both servers listen on");
  flags->Int("smtp-port", 0, &o->smtp_port, "PORT", "SMTP port; 0 picks a free one");
  flags->Int("http-port", 0, &o->http_port, "PORT", "HTTP inbox port; 0 picks a free one");
  flags->String("hostname", 0, &o->hostname, "NAME", "name in the SMTP greeting");
  flags->Int("max-message-bytes", 0, &o->max_message_bytes, "BYTES",
             "largest message accepted (advertised as SIZE); larger ones get 552");
  flags->Int("max-recipients", 0, &o->max_recipients, "COUNT",
             "recipients per message; more get 452");
  flags->Int("max-messages", 0, &o->max_messages, "COUNT",
             "messages kept in memory; the oldest are dropped first");
  flags->String("max-store-bytes", 0, &u->max_store_bytes, "SIZE",
                "memory all kept messages may use (raw text + parsed headers + summary); the "
                "oldest are dropped first; bytes, or with KiB, MiB, GiB; >= --max-message-bytes");
  flags->Int("delay-ms", 0, &o->delay_ms, "MS",
             "hold each message this long before the final 250 (a slow provider); at most "
             "3600000");
  flags->Double("fail-rate", 0, &o->fail_rate, "FRACTION",
                "fraction 0..1 of messages answered 451 4.3.0 (temporary failure)");
  flags->Int("seed", 0, &o->seed, "N",
             "seed for every chaos draw (--fail-rate, --chaos); 0 picks a random seed");
  flags->String("chaos", 0, &u->chaos, "JSON",
                "provider failures from the start, the document PUT /api/chaos takes (e.g. "
                "'{\"rate_limit\":{\"per_s\":5}}'); default none. --delay-ms is its latency.ms "
                "and --fail-rate a data_end fault with 451; see docs/mail-sink.md");
  flags->Int("idle-timeout-ms", 0, &o->idle_timeout_ms, "MS",
             "close an SMTP session (421) that makes no progress for this long (NOOP, RSET, "
             "HELP, VRFY and refused commands are not progress); at most 604800000 (7 days)");
  flags->String("session-timeout", 0, &u->session_timeout, "DURATION",
                "close any SMTP session (421) this long after it opened; with a unit (500ms, "
                "90s, 10m, 1h) or a bare number of seconds; at most 168h");
  flags->Int("max-connections", 0, &o->max_connections, "COUNT",
             "concurrent SMTP sessions; more get 421");
  flags->Int("max-connections-per-client", 0, &o->max_connections_per_client, "COUNT",
             "concurrent SMTP sessions from one client address; more get 421 (loopback "
             "clients share 127.0.0.1: keep above the local worker's concurrency)");
  RegisterSecurityFlags(flags, o);
  flags->Epilog(
      "HTTP inbox: GET / (HTML, live), GET /events (Server-Sent Events), GET /messages\n"
      "[?since_id=N&limit=M] (JSON), GET /messages/wait?request_id=R[&timeout_ms=T] (long poll,\n"
      "T at most 60000, default 10000; 404 when T passes), GET /messages/ID[.json|.eml|.source|\n"
      ".html|.plain|/view], DELETE /messages, DELETE /messages/ID, GET /stats, GET/PUT/DELETE\n"
      "/api/chaos (provider failures at runtime). mailcatcher's API is a subset "
      "(docs/mail-sink.md).\n"
      "Example: fibtastic-mailsink --delay-ms 100   # the lesson's 100 ms email provider");
}

// Converts the unit flags into `o`; an error names the flag.
fib::Status ApplyUnitFlags(const UnitFlags& u, fib::MailsinkOptions* o) {
  auto bytes = fib::ParseByteSize(u.max_store_bytes, "--max-store-bytes");
  if (!bytes.ok()) return bytes.status();
  auto session = fib::ParseDurationMs(u.session_timeout, "--session-timeout", fib::kMaxTimeoutMs);
  if (!session.ok()) return session.status();
  if (!u.chaos.empty()) {
    auto chaos = fib::ParseChaosConfig(u.chaos);
    if (!chaos.ok()) return fib::Status::Error("--chaos: " + chaos.status().message());
    o->chaos = *chaos;
  }
  o->max_store_bytes = *bytes;
  o->session_timeout_ms = *session;
  return fib::Status::Ok();
}

}  // namespace

int main(int argc, char** argv) {
  fib::SetLogProgram(kProgram);
  fib::MailsinkOptions options;
  fib::FlagSet flags(kProgram, "[options]",
                     "Catches every email sent to its SMTP port and shows it on an HTTP inbox. "
                     "Can play a slow or failing third-party provider.");
  UnitFlags unit_flags;
  RegisterFlags(&flags, &options, &unit_flags);
  flags.ParseOrExit(argc, argv);
  fib::Status valid = ApplyUnitFlags(unit_flags, &options);
  if (valid.ok()) valid = fib::ValidateMailsinkOptions(options);
  if (!valid.ok()) {
    std::fprintf(stderr, "%s: %s\nTry '%s --help'.\n", kProgram, valid.message().c_str(), kProgram);
    return 2;
  }
  fib::Mailsink sink(options);
  fib::Status listening = sink.Listen();
  if (!listening.ok()) {
    std::fprintf(stderr, "%s: %s\n", kProgram, listening.message().c_str());
    return 1;
  }
  // Before Start: ShutdownSignals must exist before any other thread (it blocks the signals).
  fib::ShutdownSignals signals([&sink](int signal) {
    fib::Log("stopping on signal {}", signal);
    sink.Stop();
  });
  sink.Start();
  if (!sink.tls_fingerprint().empty()) {
    fib::Log("TLS 1.2+: STARTTLS{}{}; {} certificate, SHA-256 fingerprint {}",
             options.require_tls ? " required" : " offered",
             sink.smtps_port() ? ", SMTPS on port " + std::to_string(sink.smtps_port()) : "",
             sink.tls_certificate_generated() ? "self-signed (generated at start)" : "given",
             sink.tls_fingerprint());
  }
  fib::Log("SMTP AUTH PLAIN LOGIN: {}{}",
           options.auth_file.empty() ? "any credentials accepted" : "users of " + options.auth_file,
           options.require_auth ? ", required before MAIL" : "");
  fib::Log(
      "SMTP on {}:{}, inbox on http://{}:{} (delay {} ms, fail rate {}, chaos {}, max {} "
      "messages, max {} bytes stored)",
      options.bind_address, sink.smtp_port(), options.bind_address, sink.http_port(),
      options.delay_ms, options.fail_rate, fib::ChaosConfigJson(options.chaos).dump(),
      options.max_messages, options.max_store_bytes);
  sink.Wait();
  fib::Log("stopped");
  return 0;
}
