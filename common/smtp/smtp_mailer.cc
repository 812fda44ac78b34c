#include "common/smtp/smtp_mailer.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "common/flags.h"
#include "common/text.h"

namespace fib {
namespace {

bool HasLineBreak(const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; }

// Replaces every occurrence of each secret in `text` with ***.
std::string Scrubbed(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 3)) {
      text.replace(at, secret.size(), "***");
    }
  }
  return text;
}

// Feeds the message to libcurl's upload.
struct Upload {
  const std::string* data;
  size_t offset = 0;
};

size_t ReadChunk(char* buffer, size_t size, size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  size_t n = std::min(size * count, up->data->size() - up->offset);
  // A byte buffer for libcurl, not a C string: no terminator belongs in it.
  // NOLINTNEXTLINE(bugprone-not-null-terminated-result)
  std::memcpy(buffer, up->data->data() + up->offset, n);
  up->offset += n;
  return n;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

// One easy handle per thread, reused so libcurl can keep the SMTP connection open.
std::unique_ptr<CURL, CurlDeleter>& ThreadHandleSlot() {
  static const bool initialised = [] {
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  }();
  (void)initialised;
  thread_local std::unique_ptr<CURL, CurlDeleter> handle(curl_easy_init());
  return handle;
}

CURL* ThreadHandle() {
  CURL* handle = ThreadHandleSlot().get();
  if (handle) curl_easy_reset(handle);
  return handle;
}

// After a timed-out send the connection may be out of step: a slow provider's late 250, or the
// rest of a message the kernel delivers after a network partition heals, would answer the next
// send's first command ("DATA failed: 250") after the provider had stored the message. libcurl
// keeps such a connection for reuse, so close it here, abortively (SO_LINGER 0 discards what
// is still unsent), and give the thread a fresh handle. SHUT_RD first: the QUIT that cleanup
// sends then meets the end of the stream at once instead of waiting for a reply.
void DiscardThreadConnection() {
  auto& slot = ThreadHandleSlot();
  curl_socket_t fd = CURL_SOCKET_BAD;
  if (slot && curl_easy_getinfo(slot.get(), CURLINFO_ACTIVESOCKET, &fd) == CURLE_OK &&
      fd != CURL_SOCKET_BAD) {
    linger abort_on_close{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
    shutdown(fd, SHUT_RD);
  }
  slot.reset(curl_easy_init());
}

// What KeepLastReply remembers of one exchange.
struct ReplyLog {
  std::string last;         // the server's last reply line, control characters blanked
  bool in_auth = false;     // the last command we sent was AUTH or a response to its challenge
  bool challenged = false;  // the last reply was 334 (a challenge the next line answers)
};

// The codes that open a reply line, e.g. "535 5.7.8" of "535 5.7.8 Bad credentials for ...":
// the reply code, and an enhanced status code (RFC 3463: class.subject.detail) when one follows.
std::string ReplyCodes(const std::string& line) {
  std::string code = line.substr(0, 3);
  size_t end = line.find(' ', 4);
  std::string next =
      line.size() > 4 ? line.substr(4, end == std::string::npos ? end : end - 4) : "";
  bool enhanced = next.size() >= 5 && next.size() <= 9 &&
                  (next[0] == '2' || next[0] == '4' || next[0] == '5') && next[1] == '.' &&
                  std::count(next.begin(), next.end(), '.') == 2 &&
                  next.find_first_not_of("0123456789.") == std::string::npos;
  return enhanced ? code + " " + next : code;
}

// CURLOPT_DEBUGFUNCTION: keeps the server's last reply line (e.g. "451 4.3.0 Temporary
// failure"), so a failed send reports the provider's own words, not only libcurl's summary.
// Replies to AUTH keep only their code: a relay may quote the command it refuses, and AUTH's
// lines carry the credentials (base64 is not a redaction).
int KeepLastReply(CURL*, curl_infotype type, char* data, size_t size, void* user) {
  auto* log = static_cast<ReplyLog*>(user);
  if (type == CURLINFO_HEADER_OUT) {
    std::string_view line(data, size);
    log->in_auth = log->challenged || line.substr(0, 5) == "AUTH " || line.substr(0, 5) == "auth ";
    return 0;
  }
  if (type != CURLINFO_HEADER_IN) return 0;
  log->last.assign(data, std::min<size_t>(size, 200));  // a hostile server may send a long line
  while (!log->last.empty() && (log->last.back() == '\n' || log->last.back() == '\r')) {
    log->last.pop_back();
  }
  for (char& c : log->last) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  log->challenged = log->in_auth && log->last.rfind("334", 0) == 0;
  if (log->in_auth)
    log->last = ReplyCodes(log->last) + " (the text of a reply to AUTH is not shown)";
  return 0;
}

// Returns " (SMTP reply 451: 451 4.3.0 ...)", or "" when the server never answered.
std::string ReplyDetail(long reply, const std::string& last_reply) {
  if (reply == 0) return "";
  if (last_reply.empty()) return fmt::format(" (SMTP reply {})", reply);
  return fmt::format(" (SMTP reply {}: {})", reply, last_reply);
}

struct UrlTls {
  std::string curl_url;   // without the query
  std::string tls = "";   // "required", "none" or "" (the rule decides)
  bool implicit = false;  // smtps://
  bool has_user = false;
};

Result<UrlTls> ParseUrlTls(const std::string& url) {
  UrlTls parsed;
  size_t query = url.find('?');
  parsed.curl_url = url.substr(0, query);
  if (query != std::string::npos) {
    std::string param = url.substr(query + 1);
    if (param != "tls=required" && param != "tls=none") {
      return Status::Error("SMTP_URL " + RedactUrlText(url) +
                           ": the only query accepted is ?tls=required or ?tls=none");
    }
    parsed.tls = param.substr(4);
  }
  parsed.implicit = parsed.curl_url.rfind("smtps://", 0) == 0;
  if (!parsed.implicit && parsed.curl_url.rfind("smtp://", 0) != 0) {
    return Status::Error("SMTP_URL " + RedactUrlText(url) + " must start with smtp:// or smtps://");
  }
  size_t authority = parsed.curl_url.find("://") + 3;
  size_t at = parsed.curl_url.find('@', authority);
  parsed.has_user =
      at != std::string::npos && parsed.curl_url.find('/', authority) > at && at > authority;
  return parsed;
}

std::string Hint(CURLcode code, long reply) {
  if (code == CURLE_USE_SSL_FAILED)
    return "the server offers no STARTTLS; start the sink with --tls, or add ?tls=none to "
           "SMTP_URL to send the credentials in clear text (never to a real provider)";
  if (code == CURLE_PEER_FAILED_VERIFICATION)
    return "the server's certificate is not trusted; give its CA with --smtp-ca-file "
           "(SMTP_CA_FILE), or --smtp-tls-insecure (SMTP_TLS_INSECURE=1) for a self-signed sink";
  if (code == CURLE_LOGIN_DENIED) return "check the user name and password in SMTP_URL";
  if (code == CURLE_COULDNT_CONNECT)
    return "connection refused; is the mail sink running (fibtastic-mailsink)?";
  if (code == CURLE_OPERATION_TIMEDOUT) return "timed out; the provider is too slow or hung";
  if (reply >= 400 && reply < 500) return "temporary failure; retry later";
  if (reply >= 500) return "permanent failure; check the address and message";
  return "";
}

}  // namespace

Status CheckSmtpUrl(const std::string& url) { return ParseUrlTls(url).status(); }

SmtpMailer::SmtpMailer(SmtpMailerOptions options)
    : options_(std::move(options)), redacted_url_(RedactUrlText(options_.url)) {
  auto parsed = ParseUrlTls(options_.url);
  if (parsed.ok()) {
    curl_url_ = parsed->curl_url;
    has_user_ = parsed->has_user;
    require_tls_ = !parsed->implicit &&
                   (parsed->tls == "required" || (parsed->has_user && parsed->tls != "none"));
  } else {
    url_status_ = parsed.status();
  }
  std::string password = UrlPassword(options_.url), decoded;
  secrets_ = {password};
  if (PercentDecode(password, &decoded) && decoded != password) secrets_.push_back(decoded);
}

Status SmtpMailer::Send(const Email& email) {
  if (!url_status_.ok()) return url_status_;
  for (const std::string* v : {&email.from, &email.to, &email.subject}) {
    if (HasLineBreak(*v))
      return Status::Error("refusing to send: a line break in From/To/Subject (header injection)");
  }
  for (const auto& [name, value] : email.headers) {
    if (HasLineBreak(name) || HasLineBreak(value)) {
      return Status::Error("refusing to send: a line break in header " + name +
                           " (header injection)");
    }
  }
  std::string message = FormatMessage(email);
  Upload upload{&message};
  CURL* curl = ThreadHandle();
  if (!curl) return Status::Error("cannot create a libcurl handle (out of memory?)");
  char error_buffer[CURL_ERROR_SIZE] = {0};
  std::string from = "<" + email.from + ">";
  curl_slist* recipients = curl_slist_append(nullptr, ("<" + email.to + ">").c_str());
  curl_easy_setopt(curl, CURLOPT_URL, curl_url_.c_str());
  ConfigureTls(curl);
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadChunk);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  ReplyLog replies;
  curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, KeepLastReply);
  curl_easy_setopt(curl, CURLOPT_DEBUGDATA, &replies);
  curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L);  // the debug function sees traffic only then
  CURLcode code = curl_easy_perform(curl);
  // The handle outlives this call (and may send QUIT when the thread ends): unhook the callback
  // from `replies` before it goes out of scope.
  curl_easy_setopt(curl, CURLOPT_VERBOSE, 0L);
  curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, nullptr);
  curl_easy_setopt(curl, CURLOPT_DEBUGDATA, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);  // error_buffer keeps what was written
  long reply = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
  curl_slist_free_all(recipients);
  if (code == CURLE_OK) return Status::Ok();
  std::string detail = error_buffer[0] ? error_buffer : curl_easy_strerror(code);
  if (code == CURLE_OPERATION_TIMEDOUT) DiscardThreadConnection();
  std::string hint = Hint(code, reply);
  // The URL redacted, and the password scrubbed from whatever libcurl or the server said: this
  // text reaches 502 pages, logs and the retry/dead sets (Sidekiq's Web UI keeps it for months).
  return Status::Error(
      Scrubbed(fmt::format("SMTP send to {} failed: {}{}{}", redacted_url_, detail,
                           ReplyDetail(reply, replies.last), hint.empty() ? "" : "; " + hint),
               secrets_));
}

void SmtpMailer::ConfigureTls(void* handle) const {
  CURL* curl = handle;
  curl_easy_setopt(curl, CURLOPT_USE_SSL, require_tls_ ? CURLUSESSL_ALL : CURLUSESSL_NONE);
  curl_easy_setopt(curl, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (options_.tls_insecure) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  // The lesson's `authentication: :plain`; libcurl would otherwise prefer LOGIN.
  if (has_user_) curl_easy_setopt(curl, CURLOPT_LOGIN_OPTIONS, "AUTH=PLAIN");
}

void RegisterSmtpTlsFlags(FlagSet* flags, std::string* ca_file, bool* tls_insecure) {
  flags->String("smtp-ca-file", 0, ca_file, "PATH",
                "PEM CA certificates to verify the SMTP server's TLS certificate (env "
                "SMTP_CA_FILE); none: the system's CAs");
  flags->Bool("smtp-tls-insecure", 0, tls_insecure,
              "skip the SMTP server's certificate checks, e.g. for the mail sink's self-signed "
              "certificate (env SMTP_TLS_INSECURE=1)");
}

}  // namespace fib
