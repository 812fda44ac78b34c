// HttpConnection: one non-blocking keep-alive TCP connection to the target, with its request
// bytes and a libhttp-parser response parser. It moves bytes and reports what happened; the
// load thread decides what it means (latency, errors, reconnects).
// Thread-safety: none; owned by one load thread.
#pragma once

#include <http_parser.h>
#include <netinet/in.h>

#include <cstdint>
#include <string>

namespace fib {

class HttpConnection {
 public:
  enum class IoResult {
    kDone,        // write: all bytes written; read: a whole response arrived
    kWouldBlock,  // wait for the socket
    kClosed,      // read: the peer closed with no response in progress
    kError,       // I/O or parse error; see error()
  };

  HttpConnection();
  ~HttpConnection() { Close(); }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Starts a non-blocking connect. Returns false (error() set) when it failed at once.
  bool StartConnect(const sockaddr_in& address);
  // After the socket became writable: returns false (error() set) when the connect failed.
  bool FinishConnect();
  void Close();

  // Takes the request bytes to send next and resets the response parser.
  std::string* PrepareRequest();
  // Writes what is left of the request.
  IoResult Write();
  bool write_pending() const { return written_ < request_.size(); }
  // Reads what is available and parses it. kDone when a response is complete.
  IoResult Read();

  int fd() const { return fd_; }
  uint32_t generation() const { return generation_; }
  int status_code() const { return static_cast<int>(parser_.status_code); }
  bool keep_alive() const { return keep_alive_; }
  // Returns whether any response bytes arrived for the current request.
  bool response_started() const { return response_started_; }
  const std::string& error() const { return error_; }
  // Returns the response's Server-Timing header value(s), joined by ", " ("" when absent).
  const std::string& server_timing() const { return server_timing_; }

 private:
  static int OnMessageComplete(http_parser* parser);
  static int OnHeaderField(http_parser* parser, const char* at, size_t length);
  static int OnHeaderValue(http_parser* parser, const char* at, size_t length);
  IoResult Parse(const char* data, size_t length);

  int fd_ = -1;
  uint32_t generation_ = 0;
  std::string request_;
  size_t written_ = 0;
  http_parser parser_{};
  http_parser_settings settings_{};
  bool complete_ = false;
  bool keep_alive_ = true;
  bool response_started_ = false;
  std::string error_;
  // Header parsing state: libhttp-parser may deliver a field or value in several pieces.
  std::string header_field_;
  bool in_header_value_ = false;
  std::string server_timing_;
};

}  // namespace fib
