#include "common/redis/redis_connection.h"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace fib {
namespace {

const char kHint[] = "is redis-server running? start it or set REDIS_URL";

timeval MsToTimeval(int ms) {
  timeval tv;
  tv.tv_sec = ms / 1000;
  tv.tv_usec = static_cast<suseconds_t>(ms % 1000) * 1000;
  return tv;
}

RedisValue FromReply(const redisReply* reply) {
  RedisValue value;
  switch (reply->type) {
    case REDIS_REPLY_INTEGER:
      value.type = RedisValue::Type::kInteger;
      value.integer = reply->integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      value.type = reply->type == REDIS_REPLY_STRING   ? RedisValue::Type::kString
                   : reply->type == REDIS_REPLY_STATUS ? RedisValue::Type::kStatus
                                                       : RedisValue::Type::kError;
      value.str.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_ARRAY:
      value.type = RedisValue::Type::kArray;
      value.elements.reserve(reply->elements);
      for (size_t i = 0; i < reply->elements; ++i) {
        value.elements.push_back(FromReply(reply->element[i]));
      }
      break;
    default:
      break;  // REDIS_REPLY_NIL
  }
  return value;
}

// hiredis 0.14 write()s without MSG_NOSIGNAL, so a server that went away would kill the process
// with SIGPIPE. Ignore it unless the program installed its own handler.
void IgnoreSigpipeOnce() {
  static const bool kDone = [] {
    struct sigaction current;
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      signal(SIGPIPE, SIG_IGN);
    }
    return true;
  }();
  (void)kDone;
}

std::string CommandName(const std::vector<std::vector<std::string>>& commands) {
  if (commands.empty() || commands[0].empty()) return "(nothing)";
  std::string name = commands[0][0];
  return commands.size() == 1 ? name
                              : name + " (pipeline of " + std::to_string(commands.size()) + ")";
}

}  // namespace

RedisConnection::RedisConnection(RedisUrl url, RedisConnectionOptions options)
    : url_(std::move(url)), options_(options) {}

RedisConnection::~RedisConnection() { Close(); }

Result<std::unique_ptr<RedisConnection>> RedisConnection::Open(const std::string& url,
                                                               RedisConnectionOptions options) {
  Result<RedisUrl> parsed = ParseRedisUrl(url);
  if (!parsed.ok()) return parsed.status();
  return std::make_unique<RedisConnection>(*parsed, options);
}

void RedisConnection::Close() {
  if (context_) redisFree(context_);
  context_ = nullptr;
  socket_timeout_ms_ = 0;
}

Status RedisConnection::Connect() {
  if (context_) return Status::Ok();
  IgnoreSigpipeOnce();
  redisContext* c = redisConnectWithTimeout(url_.host.c_str(), url_.port,
                                            MsToTimeval(options_.connect_timeout_ms));
  if (c == nullptr) return Status::Error("cannot allocate a Redis connection (out of memory)");
  if (c->err) {
    std::string reason = c->errstr;
    redisFree(c);
    return Status::Error("cannot connect to Redis at " + url_.Redacted() + ": " + reason + " (" +
                         kHint + ")");
  }
  context_ = c;
  Status status = SetSocketTimeout(options_.connect_timeout_ms);
  if (status.ok()) status = LogIn();
  if (!status.ok()) Close();
  return status;
}

Status RedisConnection::LogIn() {
  std::vector<std::vector<std::string>> commands;
  if (!url_.password.empty()) {
    if (url_.username.empty()) {
      commands.push_back({"AUTH", url_.password});
    } else {
      commands.push_back({"AUTH", url_.username, url_.password});
    }
  }
  if (url_.db != 0) commands.push_back({"SELECT", std::to_string(url_.db)});
  if (commands.empty()) return Status::Ok();
  auto replies = RoundTripOnce(commands, options_.connect_timeout_ms);
  if (!replies.ok()) return replies.status();
  for (size_t i = 0; i < replies->size(); ++i) {
    const RedisValue& reply = (*replies)[i];
    if (!reply.is_error()) continue;
    if (commands[i][0] == "AUTH") {
      // Never the server's text: a proxy or a renamed command echoes the arguments ("unknown
      // command 'AUTH', with args beginning with: '<password>'"). Only the error's first word.
      std::string kind = reply.str.substr(0, reply.str.find(' '));
      return Status::Error("Redis at " + url_.Redacted() + " refused AUTH (" +
                           (kind.empty() ? "error" : kind) +
                           "): check the user name and password in REDIS_URL");
    }
    return Status::Error("Redis at " + url_.Redacted() + " refused " + commands[i][0] + ": " +
                         reply.str + " (check the database number at the end of REDIS_URL)");
  }
  return Status::Ok();
}

Status RedisConnection::SetSocketTimeout(int timeout_ms) {
  if (timeout_ms == socket_timeout_ms_) return Status::Ok();
  if (redisSetTimeout(context_, MsToTimeval(timeout_ms)) != REDIS_OK) {
    return IoError("setting the socket timeout");
  }
  socket_timeout_ms_ = timeout_ms;
  return Status::Ok();
}

Status RedisConnection::IoError(const std::string& what) {
  std::string reason = context_ && context_->err ? context_->errstr : std::strerror(errno);
  if (context_ && context_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    reason = "timed out after " + std::to_string(socket_timeout_ms_) + " ms";
  }
  // Abort rather than close. After a timeout our command may still sit unacknowledged in the
  // kernel's send queue (a partition drops packets silently); a plain close() keeps
  // retransmitting it, so Redis would run it seconds after its caller was told it failed: a job
  // fetched into an in-progress list nobody watches any more, or enqueued for a request that
  // was answered 503 (docs/heroku.md). SO_LINGER 0 discards it and resets the connection.
  if (context_ && context_->fd >= 0) {
    linger abort_on_close{1, 0};
    setsockopt(context_->fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof abort_on_close);
  }
  Close();  // the reply stream is out of step now; start afresh next time
  return Status::Error("Redis at " + url_.Redacted() + " failed during " + what + ": " + reason +
                       " (" + kHint + ")");
}

Result<std::vector<RedisValue>> RedisConnection::RoundTripOnce(
    const std::vector<std::vector<std::string>>& commands, int timeout_ms) {
  Status status = SetSocketTimeout(timeout_ms);
  if (!status.ok()) return status;
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const auto& command : commands) {
    argv.clear();
    lengths.clear();
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    if (redisAppendCommandArgv(context_, static_cast<int>(argv.size()), argv.data(),
                               lengths.data()) != REDIS_OK) {
      return IoError(CommandName(commands));
    }
  }
  std::vector<RedisValue> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* reply = nullptr;
    if (redisGetReply(context_, &reply) != REDIS_OK || reply == nullptr) {
      return IoError(CommandName(commands));
    }
    replies.push_back(FromReply(static_cast<redisReply*>(reply)));
    freeReplyObject(reply);
  }
  return replies;
}

bool RedisConnection::ClosedByServer() const {
  char byte;
  ssize_t n = recv(context_->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n >= 0) return true;  // EOF, or bytes nobody asked for: either way out of step
  return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

Result<std::vector<RedisValue>> RedisConnection::RoundTrip(
    const std::vector<std::vector<std::string>>& commands, int timeout_ms) {
  // A pooled connection whose server restarted (or dropped it) shows EOF or a reset before we
  // write: make a new one then. Once written, a command is never sent twice: the server may
  // have run it and lost only the reply, and a second fetch or push would strand or duplicate
  // jobs. The caller gets the error and decides (the fetcher reconciles, the web answers 503).
  if (context_ != nullptr && ClosedByServer()) Close();
  Status status = Connect();
  if (!status.ok()) return status;
  return RoundTripOnce(commands, timeout_ms);
}

Result<RedisValue> RedisConnection::Command(const std::vector<std::string>& argv) {
  auto replies = RoundTrip({argv}, options_.command_timeout_ms);
  if (!replies.ok()) return replies.status();
  Status status = FirstReplyError(*replies, argv.empty() ? "" : argv[0], url_);
  if (!status.ok()) return status;
  return std::move((*replies)[0]);
}

Result<RedisValue> RedisConnection::BlockingCommand(const std::vector<std::string>& argv,
                                                    int block_ms) {
  auto replies = RoundTrip({argv}, block_ms + options_.command_timeout_ms);
  if (!replies.ok()) return replies.status();
  Status status = FirstReplyError(*replies, argv.empty() ? "" : argv[0], url_);
  if (!status.ok()) return status;
  return std::move((*replies)[0]);
}

Result<std::vector<RedisValue>> RedisConnection::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  if (commands.empty()) return std::vector<RedisValue>{};
  return RoundTrip(commands, options_.command_timeout_ms);
}

Result<RedisValue> RedisConnection::Eval(const RedisScript& script,
                                         const std::vector<std::string>& keys,
                                         const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"EVALSHA", script.sha1(), std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  auto replies = RoundTrip({argv}, options_.command_timeout_ms);
  if (!replies.ok()) return replies.status();
  if ((*replies)[0].is_error() && (*replies)[0].str.rfind("NOSCRIPT", 0) == 0) {
    argv[0] = "EVAL";
    argv[1] = script.source();
    replies = RoundTrip({argv}, options_.command_timeout_ms);
    if (!replies.ok()) return replies.status();
  }
  Status status = FirstReplyError(*replies, "a Lua script (EVALSHA " + script.sha1() + ")", url_);
  if (!status.ok()) return status;
  return std::move((*replies)[0]);
}

Status FirstReplyError(const std::vector<RedisValue>& replies, const std::string& what,
                       const RedisUrl& url) {
  for (const RedisValue& reply : replies) {
    if (reply.is_error()) {
      return Status::Error("Redis at " + url.Redacted() + " answered " + what +
                           " with: " + reply.str);
    }
  }
  return Status::Ok();
}

}  // namespace fib
