// Hostile HTTP input against a real fibtastic-web (inline with a real mail sink, and background
// with a real redis-server): a table of malformed requests sent as raw bytes over TCP. Each case
// prints one line (what was sent, what came back). Every answer must be a clear 4xx/5xx naming
// the problem, nothing may be reflected unescaped or injected into headers or emails, the server
// must answer a normal request right after each case, and slow senders must not stall others.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <regex>
#include <thread>
#include <vector>

#include "tests/support/mail_sink.h"
#include "tests/support/printable.h"
#include "tests/support/redis_server.h"
#include "tests/support/web_app.h"

namespace fib::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kFormType[] = "application/x-www-form-urlencoded";

// What came back for one raw request: status 0 = the server closed without a response.
struct RawResponse {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
  double seconds = 0;
};

// A raw TCP connection to 127.0.0.1:port; bytes go out exactly as given.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawConnection() { close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  // Sends all bytes; false when the peer is gone (a server may close before reading them all).
  bool Send(const std::string& bytes) {
    for (size_t sent = 0; sent < bytes.size();) {
      ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  // Reads one response (until Content-Length is satisfied or the server closes), up to timeout_ms.
  RawResponse Read(int timeout_ms) {
    RawResponse response;
    std::string data;
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (Clock::now() < deadline && !Complete(data)) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char chunk[65536];
      ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      data.append(chunk, static_cast<size_t>(n));
    }
    size_t end = data.find("\r\n\r\n");
    response.head = data.substr(0, end);
    if (end != std::string::npos) response.body = data.substr(end + 4);
    if (data.rfind("HTTP/1.1 ", 0) == 0) response.status = std::atoi(data.c_str() + 9);
    return response;
  }

 private:
  static bool Complete(const std::string& data) {
    size_t end = data.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    std::smatch m;
    std::string head = data.substr(0, end);
    if (!std::regex_search(head, m,
                           std::regex("\r\nContent-Length: ([0-9]+)", std::regex::icase))) {
      return false;  // read until close
    }
    return data.size() >= end + 4 + std::stoul(m[1]);
  }

  int fd_ = -1;
  bool connected_ = false;
};

// Sends `request` on a fresh connection, optionally half-closing, and reads the answer.
RawResponse Exchange(int port, const std::string& request, int timeout_ms = 5000) {
  auto start = Clock::now();
  RawConnection connection(port);
  REQUIRE(connection.connected());
  connection.Send(request);
  RawResponse response = connection.Read(timeout_ms);
  response.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return response;
}

std::string Shown(const std::string& bytes, size_t max = 70) { return Printable(bytes, max); }

// Returns the text of the error message in an error/form page (the role="alert" paragraph).
std::string AlertText(const std::string& body) {
  std::smatch m;
  if (std::regex_search(body, m, std::regex("role=\"alert\">([^<]*)<"))) return m[1];
  if (std::regex_search(body, m, std::regex(R"re("error":"((?:[^"\\]|\\.)*)")re"))) return m[1];
  return "";
}

std::string Post(const std::string& body, const std::string& type = kFormType,
                 const std::string& extra_headers = "") {
  std::string content_type = type.empty() ? "" : "Content-Type: " + type + "\r\n";
  return "POST /sequences HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" + content_type +
         extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string Get(const std::string& path, const std::string& extra_headers = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" + extra_headers + "\r\n";
}

// 10,000 distinct short field names (base 36, 3 characters) plus a valid email and length.
std::string TenThousandFields() {
  const char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string body;
  for (int i = 0; i < 10000; ++i) {
    body += {kDigits[i / 1296], kDigits[i / 36 % 36], kDigits[i % 36], '=', '&'};
  }
  return body + "email=many%40example.com&sequence_length=3";
}

// `body` as one chunk of a chunked request body, with the final empty chunk.
std::string ChunkedBody(const std::string& body) {
  return fmt::format("{:x}\r\n{}\r\n0\r\n\r\n", body.size(), body);
}

std::string ThousandHeaders() {
  std::string headers;
  for (int i = 0; i < 1000; ++i) headers += "X-Junk-" + std::to_string(i) + ": j\r\n";
  return headers;
}

// One row of the corpus: the bytes sent, the statuses accepted, and a phrase the message must
// contain (case-insensitive; "" = any non-empty message, nullptr = no body check).
struct HostileCase {
  std::string name;
  std::string request;
  std::vector<int> statuses;
  const char* message;
};

std::vector<HostileCase> Corpus() {
  const std::string kLen = "&sequence_length=3";
  return {
      {"bad %-escape", Post("email=%zz%40x.test" + kLen), {400}, "malformed %-escape"},
      {"truncated %-escape", Post("email=a%4"), {400}, "malformed %-escape"},
      {"lone %", Post("%"), {400}, "malformed %-escape"},
      {"missing =", Post("emailsequence_length"), {422}, "email address"},
      {"only &&&", Post("&&&"), {422}, "email address"},
      {"only ===", Post("==="), {422}, "email address"},
      {"invalid UTF-8 email", Post("email=%ff%fe%40x.test" + kLen), {422}, "email address"},
      {"invalid UTF-8 length",
       Post("email=a%40x.test&sequence_length=%c3%28"),
       {422},
       "sequence length"},
      {"overlong UTF-8 NUL", Post("email=a%c0%80%40x.test" + kLen), {422}, "email address"},
      {"NUL in email", Post("email=a%00b%40x.test" + kLen), {422}, "email address"},
      {"CRLF Bcc in email",
       Post("email=a%40x.test%0D%0ABcc:%20evil%40y.test" + kLen),
       {422},
       "email address"},
      {"CRLF in email, one @",
       Post("email=a%40x.test%0D%0ABcc:%20evil" + kLen),
       {422},
       "line breaks"},
      {"bare LF header in email",
       Post("email=a%40x.test%0ASubject:%20pwned" + kLen),
       {422},
       "line breaks"},
      {"script email",
       Post("email=%3Cscript%3Ealert(1)%3C/script%3E%40x.test" + kLen),
       {422},
       "email address"},
      {"script length",
       Post("email=a%40x.test&sequence_length=%3Cscript%3Ealert(1)%3C/script%3E"),
       {422},
       "sequence length"},
      {"script JSON email",
       Post(R"({"email":"<script>alert(1)</script>","sequence_length":3})", "application/json"),
       {422},
       "email address"},
      {"JSON not an object", Post("[1,2", "application/json"), {400}, "not valid JSON"},
      {"JSON email number", Post(R"({"email":5})", "application/json"), {400}, "JSON string"},
      {"length overflow",
       Post("email=a%40x.test&sequence_length=99999999999999999999999"),
       {422},
       "sequence length"},
      {"length 28", Post("email=a%40x.test&sequence_length=28"), {422}, "1 to 27"},
      {"10,000 fields, no type", Post(TenThousandFields(), ""), {200}, nullptr},
      {"10,000 fields as a form", Post(TenThousandFields()), {413}, "form posts"},
      {"text/plain body",
       Post("email=a%40x.test" + kLen, "text/plain"),
       {415},
       "application/x-www-form-urlencoded"},
      {"script content type", Post("x", "<script>alert(1)</script>"), {415}, "Content-Type"},
      {"multipart body",
       Post("--b\r\n\r\n", "multipart/form-data; boundary=b"),
       {400, 415},
       "multipart"},
      {"body over limit", Post(std::string(70000, 'a')), {413}, "larger than the limit"},
      {"Content-Length 1 TB",
       "POST /sequences HTTP/1.1\r\nHost: t\r\nContent-Length: "
       "1000000000000\r\nConnection: close\r\n\r\nemail=",
       {413},
       "larger than the limit"},
      {"Content-Length longer than body",
       "POST /sequences HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nemail=a",
       {400},
       "Content-Length"},
      {"negative Content-Length",
       "POST /sequences HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\nConnection: close\r\n\r\nx",
       {400, 413},
       "larger than the limit"},
      {"non-numeric Content-Length",
       "POST /sequences HTTP/1.1\r\nHost: t\r\nContent-Length: ten\r\nConnection: close\r\n\r\nx",
       {400, 411, 413, 422},
       ""},
      {"chunked garbage",
       "POST /sequences HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: "
       "close\r\n\r\nzzz\r\nxx\r\n",
       {400},
       "chunked"},
      {"chunk of 2^64",
       "POST /sequences HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: "
       "close\r\n\r\nffffffffffffffff\r\nx\r\n0\r\n\r\n",
       {400, 413},
       "chunk"},
      {"request line garbage", "GARBAGE\r\n\r\n", {400}, "request line"},
      {"binary request line", std::string("\x00\x01\x02\xff\r\n\r\n", 8), {400}, "request line"},
      {"unknown method",
       "BREW / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
       {400, 405},
       "request line"},
      {"HTTP/9.9",
       "GET / HTTP/9.9\r\nHost: t\r\nConnection: close\r\n\r\n",
       {400, 505},
       "request line"},
      {"10 KB URI", Get("/" + std::string(10000, 'a')), {414}, "longer than"},
      {"script path", Get("/%3Cscript%3Ealert(1)%3C/script%3E"), {404}, "no page at"},
      {"100 KB header line",
       Get("/", "X-Big: " + std::string(100000, 'h') + "\r\n"),
       {400, 431},
       "header"},
      {"1,000 headers", Get("/healthz", ThousandHeaders()), {431}, "more than 100 header lines"},
      {"chunked body over the limit",
       "POST /sequences HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Type: "
       "application/x-www-form-urlencoded\r\n\r\n" +
           ChunkedBody(std::string(200000, 'e')),
       {413},
       "larger than"},
      {"gzip body",
       "POST /sequences HTTP/1.1\r\nHost: t\r\nContent-Encoding: gzip\r\nContent-Length: "
       "3\r\n\r\n\x1f\x8b\x08",
       {415},
       "uncompressed"},
      {"Content-Length and chunked",
       "POST /sequences HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n",
       {400},
       "never together with Content-Length"},
      {"header without colon", Get("/", "NoColonHere\r\n"), {200, 400}, nullptr},
      {"CR in X-Request-Id",
       Get("/", "X-Request-Id: abc\rSet-Cookie: a=b\r\n"),
       {200, 400},
       nullptr},
      {"folded X-Request-Id",
       Get("/", "X-Request-Id: abc\r\n Set-Cookie: a=b\r\n"),
       {200, 400},
       nullptr},
      {"script X-Request-Id",
       Get("/nope", "X-Request-Id: <script>alert(1)</script>\r\n"),
       {404},
       "no page at"},
      {"2 KB X-Request-Id",
       Get("/", "X-Request-Id: " + std::string(2000, 'r') + "\r\n"),
       {200},
       nullptr},
  };
}

// Checks the response headers carry no attacker-chosen header and a safe request id.
void CheckHeaders(const RawResponse& response) {
  CHECK(response.head.find("Set-Cookie") == std::string::npos);
  CHECK(response.head.find("Subject:") == std::string::npos);
  std::smatch m;
  if (response.status > 0 &&
      std::regex_search(response.head, m, std::regex("\r\nX-Request-Id: ([^\r]*)"))) {
    CHECK(std::regex_match(std::string(m[1]), std::regex("[A-Za-z0-9._:-]{1,128}")));
  }
}

// Checks no raw tag made it into the page (the app's own markup has no <script> at all).
void CheckEscaped(const RawResponse& response) {
  CHECK(response.body.find("<script") == std::string::npos);
  CHECK(response.body.find("alert(1)</") == std::string::npos);
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Runs the corpus against `port`; after each case a normal request must be answered.
int RunCorpus(const std::string& variant, int port) {
  int tried = 0;
  for (const HostileCase& c : Corpus()) {
    RawResponse response = Exchange(port, c.request);
    std::string message = AlertText(response.body);
    std::printf("[%s] %-32s sent %-72s -> %d in %.2fs: %s\n", variant.c_str(), c.name.c_str(),
                Shown(c.request).c_str(), response.status, response.seconds,
                Shown(message.empty() ? response.body : message, 110).c_str());
    INFO(variant << " case '" << c.name << "' got:\n" << response.head << "\n" << response.body);
    CHECK_THAT(c.statuses, Catch::Matchers::VectorContains(response.status));
    CHECK(response.seconds < 4.0);
    if (c.message != nullptr && response.status >= 400) {
      CHECK(!message.empty());
      CHECK_THAT(Lower(message), Catch::Matchers::Contains(Lower(c.message)));
    }
    CheckHeaders(response);
    CheckEscaped(response);
    RawResponse after = Exchange(port, Get("/healthz"));
    CHECK(after.status == 200);
    ++tried;
  }
  return tried;
}

// Opens `count` connections that each send a header byte every `interval_ms`, then measures
// how long a normal request on another connection takes. Returns the slowest of five.
double SlowlorisProbe(int port, int count, int interval_ms, int* answered) {
  std::atomic<bool> stop{false};
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < count; ++i) {
    slow.push_back(std::make_unique<RawConnection>(port));
    slow.back()->Send("POST /sequences HTTP/1.1\r\nHost: t\r\nX-Slow: ");
  }
  std::thread trickle([&] {
    while (!stop) {
      for (auto& connection : slow) connection->Send("s");
      std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  double slowest = 0;
  *answered = 0;
  for (int i = 0; i < 5; ++i) {
    RawResponse response = Exchange(port, Get("/healthz"), 3000);
    if (response.status == 200) ++*answered;
    slowest = std::max(slowest, response.seconds);
  }
  stop = true;
  trickle.join();
  return slowest;
}

void CheckSlowloris(const std::string& variant, int port, int slow_connections = 40) {
  int answered = 0;
  double slowest_s = SlowlorisProbe(port, slow_connections, 500, &answered);
  std::printf(
      "[%s] slowloris: %d connections sending a header byte every 500 ms; 5 normal "
      "requests from another connection: %d answered, slowest %.3f s\n",
      variant.c_str(), slow_connections, answered, slowest_s);
  CHECK(answered == 5);
  CHECK(slowest_s < 1.0);
}

int64_t RssKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

// The X-Request-Id of an accepted form ends up in the email: junk must be replaced, not copied.
void CheckEmailHeaders(const WebApp& web, const MailSink& sink) {
  std::string request = Post("email=hdr%40example.com&sequence_length=2", kFormType,
                             "X-Request-Id: bad id\rBcc: evil@y.test\r\n");
  RawResponse response = Exchange(web.port(), request);
  std::printf("[inline] %-32s sent %-72s -> %d\n", "X-Request-Id junk into email",
              Shown(request).c_str(), response.status);
  REQUIRE(response.status == 200);
  nlohmann::json messages = sink.Messages();
  REQUIRE(!messages.empty());
  for (const auto& summary : messages) {
    nlohmann::json message = sink.Message(summary["id"].get<int64_t>());
    std::string text = message.dump();
    INFO(text);
    CHECK(summary["to"] == nlohmann::json::array({summary["to"][0]}));
    CHECK(text.find("evil@y.test") == std::string::npos);
    CHECK(text.find("pwned") == std::string::npos);
    CHECK(text.find("Bcc") == std::string::npos);
  }
}

TEST_CASE("hostile HTTP input against the inline web app", "[hostile][inline]") {
  MailSink sink;
  WebApp web({"--mode", "inline", "--smtp-url", sink.smtp_url(), "--read-timeout-ms", "1000",
              "--access-log"});
  int tried = RunCorpus("inline", web.port());
  CheckEmailHeaders(web, sink);
  // Only the untyped 10,000-field post and the junk-id post were valid: exactly two emails.
  nlohmann::json messages = sink.Messages();
  CHECK(messages.size() == 2);
  CheckSlowloris("inline", web.port());
  INFO(web.process().Log());
  CHECK(web.process().running());
  std::printf("[inline] inputs tried: %d HTTP requests + 1 email-header case + slowloris\n", tried);
}

TEST_CASE("hostile HTTP input against the background web app", "[hostile][background]") {
  RedisServer redis;
  WebApp web({"--mode", "background", "--redis-url", redis.url(), "--read-timeout-ms", "1000"});
  int tried = RunCorpus("background", web.port());
  // Only the untyped 10,000-field post was valid: exactly one job queued.
  CHECK(redis.Cli({"LLEN", "queue:default"}) == "1");
  CheckSlowloris("background", web.port());
  INFO(web.process().Log());
  CHECK(web.process().running());
  std::printf("[background] inputs tried: %d HTTP requests + slowloris\n", tried);
}

// The web's own bounds (common/http/bounded_server.h) against a real process: memory per
// connection, more tricklers than connection threads, and SIGTERM while one trickles.
TEST_CASE("web bounds: endless headers, 300 tricklers, SIGTERM during a trickle",
          "[hostile][bounds]") {
  RedisServer redis;
  WebApp web = WebApp::Background(redis.url(), {"--drain-timeout-ms", "1s"});
  int64_t rss_before = RssKb(web.process().pid());
  {
    RawConnection flood(web.port());
    flood.Send("GET /healthz HTTP/1.1\r\nHost: t\r\n");
    std::string block;
    for (int i = 0; i < 10000; ++i) block += "X-" + std::to_string(i) + ": y\r\n";
    int blocks = 0;
    while (blocks < 300 && flood.Send(block)) ++blocks;  // up to 40 MB of header lines
    int64_t rss_after = RssKb(web.process().pid());
    std::printf("[bounds] %d x 130 KB of header lines on one connection: web RSS %lld -> %lld KB\n",
                blocks, static_cast<long long>(rss_before), static_cast<long long>(rss_after));
    CHECK(rss_after - rss_before < 30 * 1024);
  }
  CheckSlowloris("bounds, 300 tricklers > 256 connection threads", web.port(), 300);
  RawConnection trickler(web.port());
  trickler.Send("POST /sequences HTTP/1.1\r\nHost: t\r\nX-Slow: ");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto start = Clock::now();
  web.process().Signal(SIGTERM);
  int rc = web.process().Wait(10000);
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("[bounds] SIGTERM with a trickling client: exit %d after %.2f s (drain 1 s)\n", rc,
              seconds);
  CHECK(rc == 0);
  CHECK(seconds < 4);
}

}  // namespace
}  // namespace fib::test
