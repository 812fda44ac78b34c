// Status and Result<T>: error values that cross module boundaries.
// A failed Status carries a message a person can act on (what failed, with which input, what to do)
// and an ErrorCode for callers that branch on the kind of failure (never on the message text).
// Thread-safety: value types; distinct objects may be used from different threads freely.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "common/require.h"

namespace fib {

// The kinds of failure a caller branches on. Add one only when a caller needs it.
enum class ErrorCode {
  kOk,        // not an error
  kOther,     // any failure no caller tells apart
  kNotFound,  // the thing asked for does not exist (e.g. ENOENT, ESRCH)
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  // REQUIRES: code != ErrorCode::kOk.
  static Status Error(std::string message, ErrorCode code = ErrorCode::kOther) {
    FIB_REQUIRE(code != ErrorCode::kOk);
    return Status(std::move(message), code);
  }

  bool ok() const { return code_ == ErrorCode::kOk; }
  // Returns the kind of failure, or kOk when ok().
  ErrorCode code() const { return code_; }
  // Returns the error message, or "" when ok().
  const std::string& message() const { return message_; }

 private:
  Status(std::string message, ErrorCode code) : message_(std::move(message)), code_(code) {}
  std::string message_;
  ErrorCode code_ = ErrorCode::kOk;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}       // NOLINT: implicit by design
  Result(Status error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return value_.has_value(); }
  // REQUIRES: ok() (for value(), -> and *).
  T& value() {
    FIB_REQUIRE(ok());
    return *value_;
  }
  const T& value() const {
    FIB_REQUIRE(ok());
    return *value_;
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  // Returns the error; Status::Ok() when ok().
  const Status& status() const { return error_; }
  const std::string& message() const { return error_.message(); }
  ErrorCode code() const { return error_.code(); }

 private:
  std::optional<T> value_;
  Status error_;
};

}  // namespace fib
