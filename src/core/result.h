// Result<T> and Error: how every Sanso module reports failure across its boundary.
//
// An Error carries a stable code (for audit records and user-facing reasons), where it happened
// (a file path with line and column, a MIME part path, a zip member, ...), and a message a person
// can act on. No exceptions cross module boundaries; use TRY() to propagate.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sanso {

// A failure with enough context for an administrator to fix its cause.
struct Error {
  std::string code;     // stable, kebab-case, e.g. "policy.toml-syntax"
  std::string where;    // e.g. "policy.toml:12:5"; empty when not tied to an input location
  std::string message;  // what went wrong and why, in plain words

  // "where: message [code]", the one-line form used by the CLI and logs.
  std::string to_string() const;
};

Error make_error(std::string code, std::string where, std::string message);

// Either a value or an Error. Deliberately small: has_value(), value(), error(), and TRY().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(implicit)
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(implicit)

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { return std::get<1>(state_); }
  Error&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

// Result<void>: success carries nothing.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(implicit)
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const {}
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

inline Result<void> ok() { return {}; }

}  // namespace sanso

// Evaluates a Result-returning expression; on error returns the error from the enclosing
// function, otherwise yields the value. Uses a statement expression (GCC and Clang).
#define SANSO_TRY(expr)                                   \
  ({                                                      \
    auto&& sanso_try_result_ = (expr);                    \
    if (!sanso_try_result_.has_value())                   \
      return std::move(sanso_try_result_).error();        \
    std::move(sanso_try_result_).value();                 \
  })
