// The shared backend: PostgreSQL through libpq. Statements are sent with parameters (never
// spliced into SQL); `?` placeholders are rewritten to `$n`; bytes travel in binary.
#include <libpq-fe.h>

#include <charconv>

#include "store/internal/backends.h"

namespace sanso::store::internal {
namespace {

constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// `?` → `$1`, `$2`, … outside quoted literals and identifiers.
std::string number_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  char quote = 0;
  for (char c : sql) {
    if (quote != 0) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

std::string code_for_state(const char* sqlstate) {
  std::string_view s = sqlstate != nullptr ? sqlstate : "";
  if (s.starts_with("08") || s == "57P01" || s == "57P02" || s == "57P03") return "store.unavailable";
  if (s == "53100") return "store.disk-full";
  if (s.starts_with("53")) return "store.unavailable";
  if (s.starts_with("23")) return "store.constraint";
  if (s.starts_with("40")) return "store.busy";
  return "store.postgres";
}

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(PGconn* conn, std::string description) : conn_(conn), description_(std::move(description)) {}
  ~PostgresDatabase() override { PQfinish(conn_); }

  Backend backend() const override { return Backend::kPostgres; }
  const std::string& describe() const override { return description_; }

  Result<std::int64_t> execute(std::string_view sql, std::span<const Value> params) override {
    auto result = SANSO_TRY(run(sql, params));
    const char* tuples = PQcmdTuples(result.get());
    std::int64_t n = 0;
    if (tuples != nullptr && *tuples != '\0') {
      std::string_view t(tuples);
      std::from_chars(t.data(), t.data() + t.size(), n);
    }
    return n;
  }

  Result<std::vector<Row>> query(std::string_view sql, std::span<const Value> params) override {
    auto result = SANSO_TRY(run(sql, params));
    int rows = PQntuples(result.get());
    int cols = PQnfields(result.get());
    std::vector<Row> out;
    out.reserve(static_cast<std::size_t>(rows));
    for (int r = 0; r < rows; ++r) {
      std::vector<Value> values;
      values.reserve(static_cast<std::size_t>(cols));
      for (int c = 0; c < cols; ++c) {
        if (PQgetisnull(result.get(), r, c) != 0) {
          values.emplace_back(std::monostate{});
          continue;
        }
        const char* v = PQgetvalue(result.get(), r, c);
        int len = PQgetlength(result.get(), r, c);
        Oid type = PQftype(result.get(), c);
        if (type == kByteaOid) {
          std::size_t n = 0;
          unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(v), &n);
          if (raw == nullptr) return make_error("store.postgres", description_, "cannot decode a bytea column");
          values.emplace_back(Bytes{std::string(reinterpret_cast<char*>(raw), n)});
          PQfreemem(raw);
        } else if (type == kInt8Oid || type == kInt4Oid || type == kInt2Oid) {
          std::int64_t n = 0;
          std::from_chars(v, v + len, n);
          values.emplace_back(n);
        } else {
          values.emplace_back(std::string(v, static_cast<std::size_t>(len)));
        }
      }
      out.emplace_back(std::move(values));
    }
    return out;
  }

  Result<void> execute_script(std::string_view sql) override {
    SANSO_TRY(ensure_connected());
    PgResult result(PQexec(conn_, std::string(sql).c_str()));
    return check(result, sql);
  }

  Result<void> begin() override { return execute_script("BEGIN"); }
  Result<void> commit() override { return execute_script("COMMIT"); }
  Result<void> rollback() override {
    if (PQtransactionStatus(conn_) == PQTRANS_IDLE) return ok();
    return execute_script("ROLLBACK");
  }

 private:
  // A gateway runs for months: a connection the server dropped is re-opened, but only between
  // transactions, where nothing can be half done.
  Result<void> ensure_connected() {
    if (PQstatus(conn_) == CONNECTION_OK) return ok();
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) {
      return make_error("store.unavailable", description_,
                        std::string("PostgreSQL is unreachable: ") + PQerrorMessage(conn_));
    }
    return ok();
  }

  Result<PgResult> run(std::string_view sql, std::span<const Value> params) {
    SANSO_TRY(ensure_connected());
    std::string text = number_placeholders(sql);
    std::vector<std::string> storage(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<int> lengths(params.size(), 0);
    std::vector<int> formats(params.size(), 0);
    for (std::size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (const auto* n = std::get_if<std::int64_t>(&v)) {
        storage[i] = std::to_string(*n);
      } else if (const auto* s = std::get_if<std::string>(&v)) {
        storage[i] = *s;
      } else if (const auto* b = std::get_if<Bytes>(&v)) {
        storage[i] = b->data;
        formats[i] = 1;
      } else {
        continue;  // NULL
      }
      values[i] = storage[i].data();
      lengths[i] = static_cast<int>(storage[i].size());
    }
    PgResult result(PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr,
                                 values.data(), lengths.data(), formats.data(), 0));
    SANSO_TRY(check(result, sql));
    return result;
  }

  Result<void> check(const PgResult& result, std::string_view sql) const {
    ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return ok();
    const char* state = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
    std::string message = result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn_);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    std::string first_line(sql.substr(0, sql.find('\n')));
    if (first_line.size() > 80) first_line = first_line.substr(0, 80) + "…";
    std::string code = PQstatus(conn_) != CONNECTION_OK ? "store.unavailable" : code_for_state(state);
    return make_error(code, description_, message + " (" + first_line + ")");
  }

  PGconn* conn_;
  std::string description_;
};

void ignore_notice(void*, const char*) {}

}  // namespace

Result<std::unique_ptr<Database>> open_postgres(const std::string& uri) {
  std::string description = redact_url(uri);
  PGconn* conn = PQconnectdb(uri.c_str());
  if (conn == nullptr) return make_error("store.unavailable", description, "out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    PQfinish(conn);
    return make_error("store.unavailable", description, "cannot connect to PostgreSQL: " + message);
  }
  PQsetNoticeProcessor(conn, ignore_notice, nullptr);
  auto db = std::make_unique<PostgresDatabase>(conn, description);
  SANSO_TRY(db->execute_script("SET client_min_messages = warning; SET TIME ZONE 'UTC'"));
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace sanso::store::internal
