// The embedded backend: one SQLite file in WAL mode with synchronous=FULL, so a commit that
// returned is on disk (a power cut after it loses nothing).
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <map>
#include <system_error>

#include "core/private_file.h"
#include "store/internal/backends.h"

namespace sanso::store::internal {
namespace {

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(sqlite3* db, std::string path, dev_t device, ino_t inode)
      : db_(db), path_(std::move(path)), device_(device), inode_(inode) {}
  ~SqliteDatabase() override {
    cache_.clear();
    sqlite3_close_v2(db_);
  }

  Backend backend() const override { return Backend::kSqlite; }
  const std::string& describe() const override { return path_; }

  Result<std::int64_t> execute(std::string_view sql, std::span<const Value> params) override {
    auto stmt = SANSO_TRY(prepare(sql, params));
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) return failure("execute", sql);
    return static_cast<std::int64_t>(sqlite3_changes64(db_));
  }

  Result<std::vector<Row>> query(std::string_view sql, std::span<const Value> params) override {
    auto stmt = SANSO_TRY(prepare(sql, params));
    std::vector<Row> rows;
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      int n = sqlite3_column_count(stmt.get());
      std::vector<Value> values;
      values.reserve(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) {
        switch (sqlite3_column_type(stmt.get(), i)) {
          case SQLITE_INTEGER:
            values.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt.get(), i)));
            break;
          case SQLITE_TEXT: {
            const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), i));
            values.emplace_back(std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt.get(), i))));
            break;
          }
          case SQLITE_BLOB: {
            const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt.get(), i));
            std::size_t len = static_cast<std::size_t>(sqlite3_column_bytes(stmt.get(), i));
            values.emplace_back(Bytes{p == nullptr ? std::string() : std::string(p, len)});
            break;
          }
          case SQLITE_FLOAT:
            values.emplace_back(static_cast<std::int64_t>(sqlite3_column_double(stmt.get(), i)));
            break;
          default:
            values.emplace_back(std::monostate{});
        }
      }
      rows.emplace_back(std::move(values));
    }
    if (rc != SQLITE_DONE) return failure("query", sql);
    return rows;
  }

  Result<void> execute_script(std::string_view sql) override {
    std::string text(sql);
    char* message = nullptr;
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      std::string m = message != nullptr ? message : "unknown error";
      sqlite3_free(message);
      return make_error(code_for(sqlite3_errcode(db_)), path_, "script failed: " + m);
    }
    return ok();
  }

  // A service holds its store for weeks. Deleted or replaced under it, SQLite would go on writing
  // to a file no one can open again: every write transaction first checks the path still names
  // the file opened, and fails closed (not a temporary error) when it does not.
  Result<void> begin() override {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) {
      return make_error("store.replaced", path_,
                        std::string("the store's file was removed while Sanso had it open (") + std::strerror(errno) +
                            "); nothing more is written to it. Stop the service, restore the file, and start it again");
    }
    if (st.st_dev != device_ || st.st_ino != inode_) {
      return make_error("store.replaced", path_,
                        "the store's file was replaced while Sanso had it open (inode " + std::to_string(inode_) + ", now " +
                            std::to_string(st.st_ino) + "); nothing more is written to it. Stop the service and find out why");
    }
    return simple("BEGIN IMMEDIATE");
  }
  Result<void> commit() override { return simple("COMMIT"); }
  Result<void> rollback() override {
    if (sqlite3_get_autocommit(db_) != 0) return ok();
    return simple("ROLLBACK");
  }

 private:
  struct StmtDeleter {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  using Owned = std::unique_ptr<sqlite3_stmt, StmtDeleter>;
  // A cached statement lent out for one call; reset (not finalized) when the call is done.
  struct StmtReset {
    void operator()(sqlite3_stmt* s) const {
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
  };
  using Stmt = std::unique_ptr<sqlite3_stmt, StmtReset>;

  // Statements are prepared once per connection: the audit log and the quarantine run the same
  // few statements thousands of times a second.
  Result<Stmt> prepare(std::string_view sql, std::span<const Value> params) {
    auto found = cache_.find(sql);
    sqlite3_stmt* raw = nullptr;
    if (found != cache_.end()) {
      raw = found->second.get();
    } else {
      if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw, nullptr) !=
          SQLITE_OK) {
        return failure("prepare", sql);
      }
      if (cache_.size() > 256) cache_.clear();
      cache_.emplace(std::string(sql), Owned(raw));
    }
    Stmt stmt(raw);
    int expected = sqlite3_bind_parameter_count(raw);
    if (expected != static_cast<int>(params.size())) {
      return make_error("store.bind", path_,
                        "statement takes " + std::to_string(expected) + " parameters, got " +
                            std::to_string(params.size()) + ": " + std::string(sql.substr(0, 80)));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i) + 1;
      int rc = SQLITE_OK;
      const Value& v = params[i];
      if (const auto* n = std::get_if<std::int64_t>(&v)) {
        rc = sqlite3_bind_int64(raw, idx, *n);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        rc = sqlite3_bind_text64(raw, idx, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      } else if (const auto* b = std::get_if<Bytes>(&v)) {
        rc = sqlite3_bind_blob64(raw, idx, b->data.data(), b->data.size(), SQLITE_TRANSIENT);
      } else {
        rc = sqlite3_bind_null(raw, idx);
      }
      if (rc != SQLITE_OK) return failure("bind", sql);
    }
    return stmt;
  }

  Result<void> simple(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return failure(sql, sql);
    return ok();
  }

  static std::string code_for(int rc) {
    switch (rc & 0xff) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return "store.busy";
      case SQLITE_FULL:
        return "store.disk-full";
      case SQLITE_IOERR:
      case SQLITE_CANTOPEN:
        return "store.io";
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB:
        return "store.corrupt";
      case SQLITE_CONSTRAINT:
        return "store.constraint";
      case SQLITE_READONLY:
        return "store.read-only";
      default:
        return "store.sqlite";
    }
  }

  Error failure(std::string_view what, std::string_view sql) const {
    std::string first_line(sql.substr(0, sql.find('\n')));
    if (first_line.size() > 80) first_line = first_line.substr(0, 80) + "…";
    return make_error(code_for(sqlite3_extended_errcode(db_)), path_,
                      std::string(what) + " failed: " + sqlite3_errmsg(db_) + " (" + first_line + ")");
  }

  sqlite3* db_;
  std::string path_;
  dev_t device_;
  ino_t inode_;
  std::map<std::string, Owned, std::less<>> cache_;
};

}  // namespace

Result<std::unique_ptr<Database>> open_sqlite(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path();
  if (auto made = create_private_directories(parent.string()); !made) {
    return make_error("store.io", parent.string(), "cannot create the data directory: " + made.error().message);
  }
  // The store holds password hashes and second-factor secrets. SQLite would create the file 0644
  // (it sets that mode past the umask); created here 0600, its WAL and shared-memory files
  // follow it. A store left wider by an older version is narrowed.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
  } else if (errno != EEXIST) {
    return make_error("store.io", path, std::string("cannot create the SQLite store: ") + std::strerror(errno));
  }
  for (const char* suffix : {"", "-wal", "-shm"}) SANSO_TRY(make_private(path + suffix));
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close_v2(db);
    return make_error("store.io", path, "cannot open the SQLite store: " + message);
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    sqlite3_close_v2(db);
    return make_error("store.io", path, std::string("cannot stat the SQLite store: ") + std::strerror(errno));
  }
  auto out = std::make_unique<SqliteDatabase>(db, path, st.st_dev, st.st_ino);
  sqlite3_busy_timeout(db, 10000);
  sqlite3_extended_result_codes(db, 1);
  // WAL lets readers (the console, `quarantine list`) run beside the gateway's writes;
  // synchronous=FULL makes every commit durable before it returns.
  SANSO_TRY(out->execute_script(
      // page_size: of a new store only (src/store/README.md); before WAL, which fixes it.
      "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"));
  auto mode = SANSO_TRY(out->query_one("PRAGMA journal_mode"));
  if (!mode || mode->text(0) != "wal") {
    return make_error("store.io", path, "the SQLite store could not switch to WAL mode (is it on a network filesystem?)");
  }
  return std::unique_ptr<Database>(std::move(out));
}

}  // namespace sanso::store::internal
