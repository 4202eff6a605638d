#include "store/database.h"

#include <charconv>
#include <filesystem>

#include "store/internal/backends.h"

namespace sanso::store {

bool Row::is_null(std::size_t i) const { return std::holds_alternative<std::monostate>(values_.at(i)); }

std::int64_t Row::integer(std::size_t i) const {
  const Value& v = values_.at(i);
  if (const auto* n = std::get_if<std::int64_t>(&v)) return *n;
  if (std::holds_alternative<std::monostate>(v)) return 0;
  if (const auto* s = std::get_if<std::string>(&v)) {
    // PostgreSQL's text-format results carry integers as decimal text.
    std::int64_t out = 0;
    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
    if (ec == std::errc() && end == s->data() + s->size()) return out;
  }
  return 0;
}

std::string Row::text(std::size_t i) const {
  const Value& v = values_.at(i);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* n = std::get_if<std::int64_t>(&v)) return std::to_string(*n);
  if (const auto* b = std::get_if<Bytes>(&v)) return b->data;
  return {};
}

const std::string& Row::bytes(std::size_t i) const {
  static const std::string kEmpty;
  const Value& v = values_.at(i);
  if (const auto* b = std::get_if<Bytes>(&v)) return b->data;
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return kEmpty;
}

Result<std::optional<Row>> Database::query_one(std::string_view sql, Params params) {
  auto rows = SANSO_TRY(query(sql, params));
  if (rows.empty()) return std::optional<Row>{};
  return std::optional<Row>{std::move(rows.front())};
}

void Database::after_commit(std::function<void()> work) {
  if (in_transaction_) {
    after_commit_.push_back(std::move(work));
  } else {
    work();
  }
}

Result<Transaction> Transaction::begin(Database& db) {
  SANSO_TRY(db.begin());
  db.in_transaction_ = true;
  db.after_commit_.clear();
  return Transaction(db);
}

Transaction::~Transaction() {
  if (db_ == nullptr) return;
  (void)db_->rollback();
  db_->in_transaction_ = false;
  db_->after_commit_.clear();
}

Result<void> Transaction::commit() {
  Database* db = db_;
  db_ = nullptr;
  if (db == nullptr) return make_error("store.transaction", "", "commit on a finished transaction");
  auto committed = db->commit();
  if (!committed) (void)db->rollback();
  db->in_transaction_ = false;
  auto work = std::move(db->after_commit_);
  db->after_commit_.clear();
  if (committed) {
    for (auto& w : work) w();
  }
  return committed;
}

Result<StoreLocation> parse_store_location(std::string_view setting, std::string_view data_dir) {
  if (setting.starts_with("postgresql://") || setting.starts_with("postgres://")) {
    return StoreLocation{Backend::kPostgres, std::string(setting)};
  }
  std::string path;
  if (setting.empty() || setting == "sqlite") {
    path = "sanso.db";
  } else if (setting.starts_with("sqlite:")) {
    path = std::string(setting.substr(7));
  } else {
    return make_error("config.store", "store",
                      "'" + std::string(setting) +
                          "' is not a store: use \"sqlite\", \"sqlite:PATH\" or a postgresql:// URL");
  }
  if (path.empty()) return make_error("config.store", "store", "\"sqlite:\" needs a file path");
  std::filesystem::path p(path);
  if (p.is_relative()) p = std::filesystem::path(data_dir) / p;
  return StoreLocation{Backend::kSqlite, p.string()};
}

Result<std::unique_ptr<Database>> open_database(const StoreLocation& location) {
  if (location.backend == Backend::kPostgres) return internal::open_postgres(location.target);
  return internal::open_sqlite(location.target);
}

bool is_temporary(const Error& error) {
  return error.code == "store.unavailable" || error.code == "store.busy" || error.code == "store.disk-full" ||
         error.code == "store.io";
}

std::string redact_url(std::string_view url) {
  std::string out(url);
  auto scheme = out.find("://");
  if (scheme == std::string::npos) return out;
  auto at = out.find('@', scheme + 3);
  auto slash = out.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && at > slash)) {
    // password=... in the query string
  } else {
    auto colon = out.find(':', scheme + 3);
    if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  auto pw = out.find("password=");
  if (pw != std::string::npos) {
    auto end = out.find('&', pw);
    out.replace(pw + 9, (end == std::string::npos ? out.size() : end) - pw - 9, "***");
  }
  return out;
}

}  // namespace sanso::store
