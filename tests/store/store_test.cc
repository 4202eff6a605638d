#include "store/database.h"

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "store/schema.h"
#include "store/shared_database.h"
#include "support/test_store.h"

namespace sanso::store {
namespace {

using sanso::testing::TestStore;

TEST(StoreLocation, DefaultIsSqliteInDataDir) {
  auto loc = parse_store_location("sqlite", "/var/lib/sanso");
  ASSERT_TRUE(loc) << loc.error().to_string();
  EXPECT_EQ(loc->backend, Backend::kSqlite);
  EXPECT_EQ(loc->target, "/var/lib/sanso/sanso.db");
  auto empty = parse_store_location("", "/d");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->target, "/d/sanso.db");
}

TEST(StoreLocation, SqlitePathsAndPostgresUrls) {
  EXPECT_EQ(parse_store_location("sqlite:/srv/q.db", "/d")->target, "/srv/q.db");
  EXPECT_EQ(parse_store_location("sqlite:sub/q.db", "/d")->target, "/d/sub/q.db");
  auto pg = parse_store_location("postgresql://sanso@db.example/sanso", "/d");
  ASSERT_TRUE(pg);
  EXPECT_EQ(pg->backend, Backend::kPostgres);
  EXPECT_EQ(pg->target, "postgresql://sanso@db.example/sanso");
  EXPECT_EQ(parse_store_location("postgres://h/db", "/d")->backend, Backend::kPostgres);
}

TEST(StoreLocation, RejectsUnknownSchemes) {
  auto bad = parse_store_location("mysql://h/db", "/d");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "config.store");
  EXPECT_NE(bad.error().message.find("postgresql://"), std::string::npos);
  EXPECT_FALSE(parse_store_location("sqlite:", "/d"));
}

TEST(StoreLocation, RedactsPasswords) {
  EXPECT_EQ(redact_url("postgresql://sanso:s3cret@db/sanso"), "postgresql://sanso:***@db/sanso");
  EXPECT_EQ(redact_url("postgresql://db/sanso?user=a&password=xyz&sslmode=require"),
            "postgresql://db/sanso?user=a&password=***&sslmode=require");
  EXPECT_EQ(redact_url("postgresql://sanso@db/sanso"), "postgresql://sanso@db/sanso");
}

TEST(StoreOpen, UnreachablePostgresIsUnavailable) {
  auto db = open_database({Backend::kPostgres, "postgresql:///x?host=/nonexistent-sanso-dir&connect_timeout=2"});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, "store.unavailable");
  EXPECT_NE(db.error().message.find("cannot connect"), std::string::npos);
}

TEST(StoreOpen, SqliteInUnwritablePlaceIsAnIoError) {
  auto db = open_database({Backend::kSqlite, "/proc/sanso-cannot-be-here/sanso.db"});
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, "store.io");
}

class StoreBackendTest : public ::testing::TestWithParam<Backend> {};

// Restores the umask a test changed, however it ends.
struct UmaskFor {
  explicit UmaskFor(mode_t m) : old(::umask(m)) {}
  ~UmaskFor() { ::umask(old); }
  mode_t old;
};

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0;
}

// The store holds password hashes and second-factor secrets: nobody but its owner reads it, nor
// its WAL and shared memory, whatever the umask (SQLite on its own makes the file 0644).
TEST(StoreSqlite, FilesArePrivateWhateverTheUmask) {
  auto dir = std::filesystem::temp_directory_path() / ("sanso-private-" + sanso::testing::random_hex(4));
  UmaskFor lax(022);
  {
    auto db = open_database({Backend::kSqlite, (dir / "data" / "sanso.db").string()});
    ASSERT_TRUE(db) << db.error().to_string();
    ASSERT_TRUE(migrate(**db));
    EXPECT_EQ(mode_of(dir / "data"), 0700u);
    EXPECT_EQ(mode_of(dir / "data" / "sanso.db"), 0600u);
    EXPECT_EQ(mode_of(dir / "data" / "sanso.db-wal"), 0600u);
    EXPECT_EQ(mode_of(dir / "data" / "sanso.db-shm"), 0600u);
  }
  // A store an older version left readable is narrowed when opened.
  ::chmod((dir / "data" / "sanso.db").c_str(), 0644);
  ASSERT_TRUE(open_database({Backend::kSqlite, (dir / "data" / "sanso.db").string()}));
  EXPECT_EQ(mode_of(dir / "data" / "sanso.db"), 0600u);
  std::filesystem::remove_all(dir);
}

// Deleted or replaced under a running service, the store is not written to again: the next
// write transaction fails, and not as a temporary failure that would be retried forever.
TEST(StoreSqlite, AFileRemovedOrReplacedWhileOpenRefusesWrites) {
  auto dir = std::filesystem::temp_directory_path() / ("sanso-replaced-" + sanso::testing::random_hex(4));
  auto path = dir / "sanso.db";
  auto db = open_database({Backend::kSqlite, path.string()});
  ASSERT_TRUE(db) << db.error().to_string();
  ASSERT_TRUE((*db)->execute("CREATE TABLE t (v INTEGER)"));
  ASSERT_TRUE((*db)->begin());
  ASSERT_TRUE((*db)->commit());

  std::filesystem::remove(path);
  auto removed = (*db)->begin();
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().code, "store.replaced");
  EXPECT_FALSE(is_temporary(removed.error()));

  // A different file under the same name is no better.
  auto other = open_database({Backend::kSqlite, (dir / "other.db").string()});
  ASSERT_TRUE(other);
  std::filesystem::rename(dir / "other.db", path);
  auto replaced = (*db)->begin();
  ASSERT_FALSE(replaced);
  EXPECT_EQ(replaced.error().code, "store.replaced");
  EXPECT_NE(replaced.error().message.find("replaced"), std::string::npos) << replaced.error().message;
  std::filesystem::remove_all(dir);
}

TEST_P(StoreBackendTest, MigratesOnceAndReportsStatus) {
  TestStore t(GetParam());
  auto db = t.open();
  ASSERT_NE(db, nullptr);
  auto before = require_current_schema(*db);
  ASSERT_FALSE(before);
  EXPECT_EQ(before.error().code, "store.schema-old");
  EXPECT_NE(before.error().message.find("sanso store migrate"), std::string::npos);

  auto status = schema_status(*db);
  ASSERT_TRUE(status) << status.error().to_string();
  EXPECT_EQ(status->current, 0);
  EXPECT_GE(status->latest, 1);
  // Version numbers may have gaps (versions developed side by side land in either order).
  EXPECT_GE(static_cast<int>(status->pending.size()), 1);
  EXPECT_EQ(status->pending.back().version, status->latest);

  auto applied = migrate(*db);
  ASSERT_TRUE(applied) << applied.error().to_string();
  EXPECT_EQ(applied->size(), status->pending.size());
  auto again = migrate(*db);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
  EXPECT_TRUE(require_current_schema(*db));
  auto after = schema_status(*db);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->current, after->latest);
  EXPECT_TRUE(after->pending.empty());
  EXPECT_FALSE(after->applied.front().applied_at.empty());
}

TEST_P(StoreBackendTest, NewerSchemaThanTheBinaryIsRefused) {
  TestStore t(GetParam());
  auto db = t.open();
  ASSERT_TRUE(migrate(*db));
  ASSERT_TRUE(db->execute("INSERT INTO sanso_schema (version, description, applied_at) VALUES (?, ?, ?)",
                          {std::int64_t{999}, std::string("future"), std::string("2030-01-01T00:00:00Z")}));
  auto r = require_current_schema(*db);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "store.schema-new");
}

TEST_P(StoreBackendTest, ConcurrentMigrationsApplyEachVersionOnce) {
  TestStore t(GetParam());
  std::vector<std::thread> threads;
  std::atomic<int> applied{0}, failed{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto db = open_database(t.location());
      if (!db) {
        ++failed;
        return;
      }
      auto r = migrate(**db);
      if (!r) {
        ++failed;
        return;
      }
      applied += static_cast<int>(r->size());
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 0);
  auto db = t.open();
  auto status = schema_status(*db);
  ASSERT_TRUE(status);
  EXPECT_TRUE(status->pending.empty());
  EXPECT_EQ(applied.load(), static_cast<int>(status->applied.size()));
}

// A store that got a higher version before a lower one (two branches adding 11 and 12, merged
// after one of them was deployed) lacks the lower one: it is pending, the store is not current,
// and migrate applies it.
TEST_P(StoreBackendTest, AVersionMissingBelowTheHighestIsPendingAndApplied) {
  TestStore t(GetParam());
  auto db = t.open();
  ASSERT_TRUE(migrate(*db));
  ASSERT_TRUE(db->execute_script("DROP TABLE monitor_findings"));
  ASSERT_TRUE(db->execute("DELETE FROM sanso_schema WHERE version = ?", {std::int64_t{10}}));
  auto status = schema_status(*db);
  ASSERT_TRUE(status) << status.error().to_string();
  EXPECT_EQ(status->current, status->latest);
  ASSERT_EQ(status->pending.size(), 1u);
  EXPECT_EQ(status->pending.front().version, 10);
  auto r = require_current_schema(*db);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "store.schema-old");
  EXPECT_NE(r.error().message.find("lacks version 10"), std::string::npos) << r.error().message;
  auto applied = migrate(*db);
  ASSERT_TRUE(applied) << applied.error().to_string();
  ASSERT_EQ(applied->size(), 1u);
  EXPECT_EQ(applied->front().version, 10);
  EXPECT_TRUE(require_current_schema(*db));
  EXPECT_TRUE(db->query("SELECT COUNT(*) FROM monitor_findings"));
}

// Version 24 (issue #17, review 12): the purge of a mail looks up its PPAP attachments by the
// mail's quarantine id inside the purge's transaction; an index finds them, on a new store and on
// one migrated from version 23.
TEST_P(StoreBackendTest, TransferFilesOfAQuarantineItemAreFoundByAnIndex) {
  TestStore t(GetParam());
  auto db = t.open();
  ASSERT_TRUE(migrate(*db));
  const bool pg = db->backend() == Backend::kPostgres;
  auto indexed = [&]() -> std::int64_t {
    auto n = db->query_one(pg ? "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'transfer_files_quarantine' AND tablename = 'transfer_files' "
                                "AND schemaname = current_schema() AND indexdef LIKE '%(quarantine_id)%'"
                              : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'transfer_files_quarantine' "
                                "AND tbl_name = 'transfer_files' AND sql LIKE '%(quarantine_id)%'");
    return n && *n ? (*n)->integer(0) : -1;
  };
  EXPECT_EQ(indexed(), 1);
  // The query discard_with_purged_mail runs is planned with it (PostgreSQL: when a scan of the
  // whole table is not cheaper, as it is for the few rows here).
  if (pg) {
    ASSERT_TRUE(db->execute("SET enable_seqscan = off"));
  }
  auto plan = db->query(std::string(pg ? "EXPLAIN " : "EXPLAIN QUERY PLAN ") +
                        "SELECT DISTINCT transfer_id FROM transfer_files WHERE quarantine_id = 'q-1' AND original_sealed IS NOT NULL ORDER BY transfer_id");
  ASSERT_TRUE(plan) << plan.error().to_string();
  std::string text;
  for (const auto& row : *plan) {
    for (std::size_t i = 0; i < row.size(); ++i) text += row.text(i) + " ";
  }
  EXPECT_NE(text.find("transfer_files_quarantine"), std::string::npos) << text;

  // A store at version 23 gets it from `migrate`, alone.
  ASSERT_TRUE(db->execute_script("DROP INDEX transfer_files_quarantine"));
  ASSERT_TRUE(db->execute("DELETE FROM sanso_schema WHERE version = ?", {std::int64_t{24}}));
  EXPECT_EQ(indexed(), 0);
  auto applied = migrate(*db);
  ASSERT_TRUE(applied) << applied.error().to_string();
  ASSERT_EQ(applied->size(), 1u);
  EXPECT_EQ(applied->front().version, 24);
  EXPECT_EQ(indexed(), 1);
}

TEST_P(StoreBackendTest, ValuesRoundTripExactly) {
  TestStore t(GetParam());
  auto db = t.open();
  ASSERT_TRUE(db->execute_script(GetParam() == Backend::kSqlite
                                     ? "CREATE TABLE v (i BIGINT, s TEXT, b BLOB, n TEXT)"
                                     : "CREATE TABLE v (i BIGINT, s TEXT, b BYTEA, n TEXT)"));
  std::string binary("\0\x01\xff\x80 end?'\"", 11);
  std::string text = "丸数字①㈱ 半角ｶﾅ 'quoted' ?";
  auto n = db->execute("INSERT INTO v (i, s, b, n) VALUES (?, ?, ?, ?)",
                       {std::int64_t{-9007199254740993LL}, text, Bytes{binary}, std::monostate{}});
  ASSERT_TRUE(n) << n.error().to_string();
  EXPECT_EQ(*n, 1);
  auto row = db->query_one("SELECT i, s, b, n FROM v WHERE s = ?", {text});
  ASSERT_TRUE(row) << row.error().to_string();
  ASSERT_TRUE(row->has_value());
  EXPECT_EQ((*row)->integer(0), -9007199254740993LL);
  EXPECT_EQ((*row)->text(1), text);
  EXPECT_EQ((*row)->bytes(2), binary);
  EXPECT_TRUE((*row)->is_null(3));
  auto none = db->query_one("SELECT i FROM v WHERE s = ?", {std::string("absent")});
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

TEST_P(StoreBackendTest, UncommittedTransactionRollsBack) {
  TestStore t(GetParam());
  auto db = t.open();
  ASSERT_TRUE(db->execute_script("CREATE TABLE v (i BIGINT)"));
  {
    auto tx = Transaction::begin(*db);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db->execute("INSERT INTO v (i) VALUES (?)", {std::int64_t{1}}));
  }
  {
    auto tx = Transaction::begin(*db);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db->execute("INSERT INTO v (i) VALUES (?)", {std::int64_t{2}}));
    ASSERT_TRUE(tx->commit());
  }
  auto rows = db->query("SELECT i FROM v ORDER BY i");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].integer(0), 2);
}

// What must follow a durable commit (a log line naming an audit entry) runs after it, in order, and
// never for a transaction that rolled back.
TEST_P(StoreBackendTest, WorkAfterCommitRunsOnlyOnceTheTransactionCommitted) {
  TestStore t(GetParam());
  auto db = t.open();
  ASSERT_TRUE(db->execute_script("CREATE TABLE v (i BIGINT PRIMARY KEY)"));
  std::vector<std::string> ran;
  {
    auto tx = Transaction::begin(*db);
    ASSERT_TRUE(tx);
    db->after_commit([&] { ran.push_back("rolled back"); });
  }
  {
    auto tx = Transaction::begin(*db);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db->execute("INSERT INTO v (i) VALUES (1)"));
    db->after_commit([&] { ran.push_back("first"); });
    db->after_commit([&] {
      // By now the row is there for another connection to see.
      auto other = t.open();
      auto rows = other->query("SELECT i FROM v");
      ran.push_back(rows && rows->size() == 1 ? "second, committed" : "second, not yet committed");
    });
    EXPECT_TRUE(ran.empty()) << "nothing runs before the commit";
    ASSERT_TRUE(tx->commit());
  }
  EXPECT_EQ(ran, (std::vector<std::string>{"first", "second, committed"}));
  ran.clear();
  {
    auto tx = Transaction::begin(*db);
    ASSERT_TRUE(tx);
    db->after_commit([&] { ran.push_back("next transaction only"); });
    ASSERT_TRUE(tx->commit());
  }
  EXPECT_EQ(ran, (std::vector<std::string>{"next transaction only"})) << "a committed transaction's work does not run again";
  ran.clear();
  db->after_commit([&] { ran.push_back("at once"); });
  EXPECT_EQ(ran, (std::vector<std::string>{"at once"})) << "outside a transaction there is nothing to wait for";
}

// The service's one connection: writes of many threads share commits, and one work that fails
// does not take the others of its commit with it (each then runs alone).
TEST_P(StoreBackendTest, SharedCommitsKeepEveryGoodWriteAndNoFailedOne) {
  TestStore t(GetParam());
  auto setup = t.open();
  ASSERT_NE(setup, nullptr);
  ASSERT_TRUE(setup->execute_script("CREATE TABLE v (i BIGINT PRIMARY KEY)"));
  SharedDatabase shared(t.open());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int th = 0; th < 4; ++th) {
    threads.emplace_back([&, th] {
      for (int i = 0; i < 25; ++i) {
        const std::int64_t n = th * 100 + i;
        // Every fifth work writes its row and then fails: nothing of it may remain.
        auto r = shared.commit([&](Database& db) -> Result<void> {
          SANSO_TRY(db.execute("INSERT INTO v (i) VALUES (?)", {n}));
          if (i % 5 == 4) return make_error("test.refused", std::to_string(n), "this work fails after its write");
          return ok();
        });
        if (!r) ++failures;
        if (!r && r.error().code != "test.refused") ADD_FAILURE() << r.error().to_string();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 4 * 5);
  auto count = shared.use()->query_one("SELECT COUNT(*) FROM v");
  ASSERT_TRUE(count && count->has_value());
  EXPECT_EQ((*count)->integer(0), 4 * 20);
  auto failed = shared.use()->query_one("SELECT COUNT(*) FROM v WHERE i % 5 = 4");
  ASSERT_TRUE(failed && failed->has_value());
  EXPECT_EQ((*failed)->integer(0), 0);
}

TEST_P(StoreBackendTest, SqlErrorsNameTheStoreAndStatement) {
  TestStore t(GetParam());
  auto db = t.open();
  auto r = db->query("SELECT * FROM no_such_table");
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().where.empty());
  EXPECT_NE(r.error().message.find("no_such_table"), std::string::npos);
  ASSERT_TRUE(db->execute_script("CREATE TABLE u (k TEXT PRIMARY KEY)"));
  ASSERT_TRUE(db->execute("INSERT INTO u (k) VALUES (?)", {std::string("a")}));
  auto dup = db->execute("INSERT INTO u (k) VALUES (?)", {std::string("a")});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, "store.constraint");
  auto arity = db->execute("INSERT INTO u (k) VALUES (?)", {});
  ASSERT_FALSE(arity);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreBackendTest, ::testing::ValuesIn(sanso::testing::test_backends()),
                         sanso::testing::backend_name);

TEST(StorePostgres, DroppedConnectionIsAnErrorThenReconnects) {
  if (sanso::testing::test_backends().size() < 2) GTEST_SKIP() << "PostgreSQL left out (SANSO_TEST_NO_POSTGRES=1)";
  TestStore t(Backend::kPostgres);
  auto db = t.open();
  auto pid = db->query_one("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid);
  auto admin = open_database({Backend::kPostgres, sanso::testing::pg_admin_url()});
  ASSERT_TRUE(admin);
  ASSERT_TRUE((*admin)->query("SELECT pg_terminate_backend(?::int)", {(*pid)->text(0)}));
  auto broken = db->query("SELECT 1");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code, "store.unavailable");
  auto again = db->query_one("SELECT 41 + 1");
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ((*again)->integer(0), 42);
}

}  // namespace
}  // namespace sanso::store
