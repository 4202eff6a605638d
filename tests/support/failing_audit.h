// A store whose audit log refuses writes, as a failing disk or database would: how tests prove
// that an item and its audit record stand or fall together (docs/errors.md).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "store/database.h"

namespace sanso::testing {

// While the table fail_audit has a row, every insert into audit_entries aborts (SQLite).
inline void make_audit_writes_fail(store::Database& db) {
  ASSERT_TRUE(db.execute_script("CREATE TABLE fail_audit (x INTEGER); INSERT INTO fail_audit VALUES (1);"
                                "CREATE TRIGGER fail_audit_entries BEFORE INSERT ON audit_entries WHEN (SELECT COUNT(*) FROM fail_audit) > 0 "
                                "BEGIN SELECT RAISE(ABORT, 'injected audit failure'); END;"));
}

// The same, on the SQLite store of a `data_dir` a CLI test's sanso.toml names.
inline void make_audit_writes_fail(const std::filesystem::path& sqlite_file) {
  auto db = store::open_database(store::StoreLocation{store::Backend::kSqlite, sqlite_file.string()});
  ASSERT_TRUE(db) << db.error().to_string();
  make_audit_writes_fail(**db);
}

inline std::int64_t count_rows(const std::filesystem::path& sqlite_file, const std::string& table) {
  auto db = store::open_database(store::StoreLocation{store::Backend::kSqlite, sqlite_file.string()});
  if (!db) return -1;
  auto row = (*db)->query_one("SELECT COUNT(*) FROM " + table);
  return row && row->has_value() ? (*row)->integer(0) : -1;
}

}  // namespace sanso::testing
