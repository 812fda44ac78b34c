#include "mailsink/mailsink.h"

#include <map>

#include "common/require.h"
#include "mailsink/auth_file.h"

namespace fib {
namespace {

SmtpServerOptions SmtpOptions(const MailsinkOptions& options) {
  SmtpServerOptions smtp;
  smtp.bind_address = options.bind_address;
  smtp.port = options.smtp_port;
  smtp.max_connections = options.max_connections;
  smtp.max_connections_per_client = options.max_connections_per_client;
  smtp.connection.idle_timeout_ms = options.idle_timeout_ms;
  smtp.connection.session_timeout_ms = options.session_timeout_ms;
  smtp.connection.session.hostname = options.hostname;
  smtp.connection.session.max_message_bytes = options.max_message_bytes;
  smtp.connection.session.max_recipients = options.max_recipients;
  smtp.connection.session.require_auth = options.require_auth;
  smtp.connection.session.require_tls = options.require_tls;
  smtp.smtps_port = options.smtps_port;
  return smtp;
}

Status CheckPort(int port, const char* flag) {
  if (port < 0 || port > 65535) {
    return Status::Error(std::string(flag) + " must be 0..65535 (0 picks a free port), got " +
                         std::to_string(port));
  }
  return Status::Ok();
}

Status CheckRange(int64_t value, int64_t low, int64_t high, const char* flag) {
  if (value < low || value > high) {
    return Status::Error(std::string(flag) + " must be " + std::to_string(low) + ".." +
                         std::to_string(high) + ", got " + std::to_string(value));
  }
  return Status::Ok();
}

Status CheckPositive(int64_t value, const char* flag) {
  if (value < 1)
    return Status::Error(std::string(flag) + " must be at least 1, got " + std::to_string(value));
  return Status::Ok();
}

}  // namespace

Status ValidateMailsinkOptions(const MailsinkOptions& o) {
  for (Status s : {CheckPort(o.smtp_port, "--smtp-port"), CheckPort(o.http_port, "--http-port"),
                   CheckPort(o.smtps_port, "--smtps-port"),
                   CheckPositive(o.max_message_bytes, "--max-message-bytes"),
                   CheckPositive(o.max_recipients, "--max-recipients"),
                   CheckPositive(o.max_messages, "--max-messages"),
                   CheckPositive(o.max_store_bytes, "--max-store-bytes"),
                   CheckRange(o.idle_timeout_ms, 1, kMaxTimeoutMs, "--idle-timeout-ms"),
                   CheckRange(o.session_timeout_ms, 1, kMaxTimeoutMs, "--session-timeout (ms)"),
                   CheckPositive(o.max_connections, "--max-connections"),
                   CheckPositive(o.max_connections_per_client, "--max-connections-per-client"),
                   CheckRange(o.delay_ms, 0, kMaxDelayMs, "--delay-ms")}) {
    if (!s.ok()) return s;
  }
  if (o.max_store_bytes < o.max_message_bytes) {
    return Status::Error("--max-store-bytes (" + std::to_string(o.max_store_bytes) +
                         ") must be at least --max-message-bytes (" +
                         std::to_string(o.max_message_bytes) + ")");
  }
  if (!(o.fail_rate >= 0 && o.fail_rate <= 1)) {
    return Status::Error("--fail-rate must be between 0 and 1, got " + std::to_string(o.fail_rate));
  }
  auto chaos = ApplyProviderPresets(o.chaos, o.delay_ms, o.fail_rate);
  if (!chaos.ok()) return chaos.status();
  if (o.hostname.empty() || o.hostname.find_first_of(" \r\n") != std::string::npos) {
    return Status::Error("--hostname must be one word without spaces");
  }
  return Status::Ok();
}

namespace {

InboxServerOptions InboxOptions(const MailsinkOptions& options) {
  InboxServerOptions inbox;
  inbox.bind_address = options.bind_address;
  inbox.port = options.http_port;
  return inbox;
}

}  // namespace

Mailsink::Mailsink(MailsinkOptions options, const Clock* clock)
    : options_(std::move(options)),
      store_(MessageStoreOptions{.max_messages = static_cast<size_t>(options_.max_messages),
                                 .max_bytes = static_cast<size_t>(options_.max_store_bytes),
                                 .parse = {}}),
      chaos_(ApplyProviderPresets(options_.chaos, options_.delay_ms, options_.fail_rate).value(),
             static_cast<uint64_t>(options_.seed), clock),
      provider_(&store_, &counters_, &chaos_, clock),
      clock_(clock),
      inbox_(InboxOptions(options_), &store_, &counters_, &chaos_) {}

Mailsink::~Mailsink() {
  Stop();
  Wait();
}

bool Mailsink::TlsWanted() const {
  return options_.tls || options_.require_tls || options_.smtps_port > 0 ||
         !options_.tls_cert_file.empty() || !options_.tls_key_file.empty();
}

Status Mailsink::Listen() {
  SmtpServerOptions smtp_options = SmtpOptions(options_);
  if (!options_.auth_file.empty()) {
    auto users = LoadAuthFile(options_.auth_file);
    if (!users.ok()) return users.status();
    smtp_options.connection.session.users =
        std::make_shared<const std::map<std::string, std::string>>(std::move(*users));
  }
  if (TlsWanted()) {
    auto tls = TlsContext::Create(
        TlsOptions{options_.tls_cert_file, options_.tls_key_file, options_.hostname});
    if (!tls.ok()) return tls.status();
    tls_ = *tls;
    smtp_options.connection.tls = tls_;
    smtp_options.connection.session.starttls_offered = true;
  }
  smtp_ = std::make_unique<SmtpServer>(std::move(smtp_options), &provider_, &counters_, clock_);
  Status smtp = smtp_->Listen();
  if (!smtp.ok()) return smtp;
  return inbox_.Listen();
}

void Mailsink::Start() {
  FIB_REQUIRE(smtp_ && smtp_->port() > 0 && inbox_.port() > 0);
  smtp_thread_ = std::thread([this] { smtp_->Serve(); });
  http_thread_ = std::thread([this] { inbox_.Serve(); });
}

void Mailsink::Stop() {
  if (smtp_) smtp_->Stop();
  inbox_.Stop();
}

void Mailsink::Wait() {
  if (smtp_thread_.joinable()) smtp_thread_.join();
  if (http_thread_.joinable()) http_thread_.join();
}

}  // namespace fib
