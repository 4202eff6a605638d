// A fresh, empty store per test, on each backend: SQLite, and PostgreSQL on the private server the
// ctest fixture `postgres.start` runs in SANSO_TEST_PG_DIR (compiled in; the environment variable
// of the same name overrides it). A PostgreSQL test without that server fails and says how to start
// it; SANSO_TEST_NO_POSTGRES=1 leaves PostgreSQL out, for a quick SQLite-only run by hand.
#pragma once

#include <sodium.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/database.h"

namespace sanso::testing {

inline std::string pg_dir() {
  const char* dir = std::getenv("SANSO_TEST_PG_DIR");
#ifdef SANSO_TEST_PG_DIR
  if (dir == nullptr) dir = SANSO_TEST_PG_DIR;
#endif
  return dir == nullptr ? std::string() : std::string(dir);
}

inline std::string pg_admin_url() {
  std::string dir = pg_dir();
  if (dir.empty()) return {};
  std::ifstream in(dir + "/url");
  std::string url;
  std::getline(in, url);
  return url;
}

inline std::vector<store::Backend> test_backends() {
  std::vector<store::Backend> out{store::Backend::kSqlite};
  const char* off = std::getenv("SANSO_TEST_NO_POSTGRES");
  if (!pg_dir().empty() && (off == nullptr || std::string(off) != "1")) out.push_back(store::Backend::kPostgres);
  return out;
}

}  // namespace sanso::testing

namespace sanso::store {
// Readable parameter names in test output ("postgres", not "1-byte object <01>").
inline void PrintTo(Backend b, std::ostream* os) { *os << (b == Backend::kSqlite ? "sqlite" : "postgres"); }
}  // namespace sanso::store

namespace sanso::testing {

inline std::string backend_name(const ::testing::TestParamInfo<store::Backend>& info) {
  return info.param == store::Backend::kSqlite ? "sqlite" : "postgres";
}

inline std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  hex.pop_back();
  return hex;
}

// A temporary directory and, for PostgreSQL, a database of its own; both removed at the end.
class TestStore {
 public:
  explicit TestStore(store::Backend backend) : backend_(backend) {
    if (sodium_init() < 0) ADD_FAILURE() << "libsodium failed to initialise";
    dir_ = std::filesystem::temp_directory_path() / ("sanso-test-" + random_hex(6));
    std::filesystem::create_directories(dir_);
    if (backend == store::Backend::kSqlite) {
      location_ = {store::Backend::kSqlite, (dir_ / "sanso.db").string()};
      return;
    }
    std::string admin = pg_admin_url();
    if (admin.empty()) {
      ADD_FAILURE() << "no PostgreSQL test server in '" << pg_dir()
                    << "': run the tests through ctest (fixture postgres.start), or start one with "
                       "tests/support/pg-server.sh start DIR and set SANSO_TEST_PG_DIR=DIR";
      return;
    }
    db_name_ = "t_" + random_hex(6);
    auto conn = store::open_database({store::Backend::kPostgres, admin});
    if (!conn) {
      ADD_FAILURE() << conn.error().to_string();
      return;
    }
    auto created = (*conn)->execute_script("CREATE DATABASE " + db_name_);
    if (!created) ADD_FAILURE() << created.error().to_string();
    location_ = {store::Backend::kPostgres, replace_db(admin, db_name_)};
  }

  ~TestStore() {
    if (!db_name_.empty()) {
      auto conn = store::open_database({store::Backend::kPostgres, pg_admin_url()});
      if (conn) (void)(*conn)->execute_script("DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
    }
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  const store::StoreLocation& location() const { return location_; }
  const std::filesystem::path& dir() const { return dir_; }
  store::Backend backend() const { return backend_; }

  std::unique_ptr<store::Database> open() const {
    auto db = store::open_database(location_);
    if (!db) {
      ADD_FAILURE() << db.error().to_string();
      return nullptr;
    }
    return std::move(db).value();
  }

 private:
  static std::string replace_db(const std::string& url, const std::string& db) {
    // postgresql:///postgres?host=… → postgresql:///<db>?host=…
    auto slash = url.find("///");
    auto q = url.find('?');
    return url.substr(0, slash + 3) + db + url.substr(q);
  }

  store::Backend backend_;
  std::filesystem::path dir_;
  std::string db_name_;
  store::StoreLocation location_;
};

}  // namespace sanso::testing
