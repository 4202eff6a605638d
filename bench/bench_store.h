// Stores for the benchmarks: a fresh SQLite file in a temporary directory, or a fresh database on
// the PostgreSQL server bench/run.sh starts (SANSO_BENCH_PG_URL, a libpq URI for the `postgres` db).
#pragma once

#include <sodium.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "store/database.h"
#include "store/schema.h"

namespace sanso::bench {

inline std::string random_suffix() {
  unsigned char r[4];
  randombytes_buf(r, sizeof r);
  char hex[9];
  sodium_bin2hex(hex, sizeof hex, r, sizeof r);
  return hex;
}

struct BenchStore {
  std::filesystem::path dir;
  store::StoreLocation location;
  std::string pg_db;

  // nullptr-equivalent (empty target) when PostgreSQL is asked for but not running.
  static BenchStore create(store::Backend backend) {
    if (sodium_init() < 0) std::abort();
    BenchStore s;
    s.dir = std::filesystem::temp_directory_path() / ("sanso-bench-" + random_suffix());
    std::filesystem::create_directories(s.dir);
    if (backend == store::Backend::kSqlite) {
      s.location = {backend, (s.dir / "sanso.db").string()};
    } else {
      const char* url = std::getenv("SANSO_BENCH_PG_URL");
      if (url == nullptr) return s;
      s.pg_db = "bench_" + random_suffix();
      auto admin = store::open_database({backend, url});
      if (!admin || !(*admin)->execute_script("CREATE DATABASE " + s.pg_db)) return s;
      std::string u(url);
      s.location = {backend, u.substr(0, u.find("///") + 3) + s.pg_db + u.substr(u.find('?'))};
    }
    auto db = store::open_database(s.location);
    if (!db || !store::migrate(**db)) s.location.target.clear();
    return s;
  }
  bool ok() const { return !location.target.empty(); }
  void remove() {
    if (!pg_db.empty()) {
      if (auto admin = store::open_database({store::Backend::kPostgres, std::getenv("SANSO_BENCH_PG_URL")})) {
        (void)(*admin)->execute_script("DROP DATABASE IF EXISTS " + pg_db + " WITH (FORCE)");
      }
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

}  // namespace sanso::bench
