// Status and Result<T>: error values that cross module boundaries.
// A failed Status carries a message a person can act on (what failed, with which input, what to do).
// Thread-safety: value types; distinct objects may be used from different threads freely.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace fib {

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !message_.has_value(); }
  // Returns the error message, or "" when ok().
  const std::string& message() const {
    static const std::string kEmpty;
    return message_ ? *message_ : kEmpty;
  }

 private:
  explicit Status(std::string message) : message_(std::move(message)) {}
  std::optional<std::string> message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return value_.has_value(); }
  // REQUIRES: ok().
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  // Returns the error; Status::Ok() when ok().
  const Status& status() const { return error_; }
  const std::string& message() const { return error_.message(); }

 private:
  std::optional<T> value_;
  Status error_;
};

}  // namespace fib
