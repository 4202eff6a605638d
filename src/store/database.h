// store: the one storage interface every service writes through, with an embedded SQLite backend
// (the default, zero set-up) and a PostgreSQL backend (several gateway nodes on one database).
//
// Services write plain SQL against `Database`, using `?` placeholders and the portable subset both
// backends understand; the few schema differences (BLOB vs BYTEA, integer keys) live in the
// migrations, per backend. Every call returns a Result: a database that is down, full or locked
// is an error the caller can turn into a temporary failure, never a silent drop.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace sanso::store {

enum class Backend : std::uint8_t { kSqlite, kPostgres };

// Raw bytes, distinct from text so that a backend binds them as BLOB / BYTEA.
struct Bytes {
  std::string data;
};

// A parameter or a column value. Text is UTF-8.
using Value = std::variant<std::monostate, std::int64_t, std::string, Bytes>;

// One result row. Accessors fail loudly (an Error) on a type or index mismatch rather than guess.
class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  std::size_t size() const { return values_.size(); }
  bool is_null(std::size_t i) const;
  std::int64_t integer(std::size_t i) const;   // 0 for NULL
  std::string text(std::size_t i) const;       // "" for NULL
  const std::string& bytes(std::size_t i) const;
  const Value& value(std::size_t i) const { return values_.at(i); }

 private:
  std::vector<Value> values_;
};

using Params = std::initializer_list<Value>;

// One connection to the store. Not thread-safe: a service holds one per thread, or a mutex.
class Database {
 public:
  virtual ~Database() = default;
  Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  virtual Backend backend() const = 0;
  // A description for messages: the file path or the PostgreSQL host/database (no password).
  virtual const std::string& describe() const = 0;

  // Runs a statement; returns the number of rows it changed.
  virtual Result<std::int64_t> execute(std::string_view sql, std::span<const Value> params) = 0;
  virtual Result<std::vector<Row>> query(std::string_view sql, std::span<const Value> params) = 0;
  // Runs several statements without parameters (migrations).
  virtual Result<void> execute_script(std::string_view sql) = 0;

  // A write transaction. SQLite takes its write lock at begin (BEGIN IMMEDIATE), so two
  // writers never deadlock on an upgrade; PostgreSQL uses READ COMMITTED plus row conditions.
  virtual Result<void> begin() = 0;
  virtual Result<void> commit() = 0;
  virtual Result<void> rollback() = 0;

  Result<std::int64_t> execute(std::string_view sql, Params params = {}) {
    return execute(sql, std::span<const Value>(params.begin(), params.size()));
  }
  Result<std::vector<Row>> query(std::string_view sql, Params params = {}) {
    return query(sql, std::span<const Value>(params.begin(), params.size()));
  }
  // The first row, or nullopt when there is none.
  Result<std::optional<Row>> query_one(std::string_view sql, Params params = {});

  // Work that may only follow a durable commit (a log line naming an audit entry: a SIEM must never
  // hear of an entry the store then rolled back). Run, in order, once the Transaction open on this
  // connection commits; dropped if it rolls back. Outside a Transaction, run at once.
  void after_commit(std::function<void()> work);

 private:
  friend class Transaction;
  bool in_transaction_ = false;
  std::vector<std::function<void()>> after_commit_;
};

// Rolls back unless committed: every early return inside a transaction leaves the store as it was.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Result<void> commit();

 private:
  explicit Transaction(Database& db) : db_(&db) {}
  Database* db_;
};

// Where the store lives: "sqlite" (a file in data_dir), "sqlite:PATH", or a PostgreSQL URL
// ("postgresql://…" or "postgres://…", any libpq connection URI).
struct StoreLocation {
  Backend backend = Backend::kSqlite;
  std::string target;  // the SQLite file path, or the libpq URI
};

// Parses the `store` setting; a relative SQLite path is taken relative to data_dir.
Result<StoreLocation> parse_store_location(std::string_view setting, std::string_view data_dir);

// Opens (and for SQLite creates) the store. Does not migrate; see migrations.h.
Result<std::unique_ptr<Database>> open_database(const StoreLocation& location);

// True for failures that may pass by themselves (store down, busy, full, I/O): a gateway answers
// them with a temporary failure (SMTP 4xx) so the sender retries, and nothing is lost.
bool is_temporary(const Error& error);

// The same URI with any password replaced by "***", for messages and logs.
std::string redact_url(std::string_view url);

}  // namespace sanso::store
