// Reliability of the quarantine under the failures a gateway meets: a writer killed with SIGKILL
// at random points, a full disk, a database connection cut. Acknowledged means durable; nothing
// half-written is ever visible.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "quarantine/quarantine.h"
#include "store/schema.h"
#include "support/test_store.h"

namespace sanso::quarantine {
namespace {

using sanso::testing::TestStore;

Result<std::unique_ptr<QuarantineStore>> open_quarantine(const TestStore& t) {
  auto db = store::open_database(t.location());
  if (!db) return std::move(db).error();
  QuarantineStore::Options o;
  o.settings.inspector_roles = {"security_manager"};
  o.blob_dir = (t.dir() / "blobs").string();
  o.key_file = (t.dir() / "quarantine.key").string();
  return QuarantineStore::open(std::move(db).value(), o);
}

std::unique_ptr<TestStore> migrated_store(store::Backend backend) {
  auto t = std::make_unique<TestStore>(backend);
  auto db = t->open();
  EXPECT_NE(db, nullptr);
  if (db != nullptr) {
    EXPECT_TRUE(store::migrate(*db));
  }
  return t;
}

Submission blocked(std::string bytes, std::string reason) {
  Submission s;
  s.original = std::move(bytes);
  s.verdict = "blocked";
  s.reason = std::move(reason);
  return s;
}

const Actor kInspector{"auditor", {"security_manager"}};

class QuarantineCrashTest : public ::testing::TestWithParam<store::Backend> {
 protected:
  void SetUp() override { t_ = migrated_store(GetParam()); }
  Result<std::unique_ptr<QuarantineStore>> open_store() { return open_quarantine(*t_); }

  static std::string content(int round, int thread, int i) {
    // Sizes vary from a few bytes to several chunks, so kills land inside every kind of write.
    std::string s = "round " + std::to_string(round) + " thread " + std::to_string(thread) + " item " + std::to_string(i) + "\n";
    std::size_t extra = static_cast<std::size_t>((round * 7919 + i * 104729) % 150000);
    s.append(extra, static_cast<char>('a' + (i % 26)));
    return s;
  }

  std::unique_ptr<TestStore> t_;
};

TEST_P(QuarantineCrashTest, KilledWritersLoseNothingAcknowledgedAndShowNothingPartial) {
  constexpr int kRounds = 200;
  std::mt19937 rng(20261125);
  std::map<std::string, std::string> acknowledged;  // id → expected content
  std::set<std::string> verified;
  { auto first = open_store(); ASSERT_TRUE(first) << first.error().to_string(); }  // creates the key once
  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      auto q = open_store();
      if (!q) _exit(3);
      std::mutex out_mu;
      auto writer = [&](int thread) {
        for (int i = 0;; ++i) {
          std::string body = content(round, thread, i);
          auto item = (*q)->put(blocked(body, "crash test"));
          if (!item) _exit(4);
          // Only now is the item acknowledged, exactly as the milter would answer the SMTP client.
          std::lock_guard lock(out_mu);
          std::string line = item->id + " " + std::to_string(thread) + " " + std::to_string(i) + "\n";
          if (write(fds[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(5);
        }
      };
      std::thread other(writer, 1);
      writer(0);
      other.join();
      _exit(0);
    }
    close(fds[1]);
    std::string text;
    char buf[4096];
    ssize_t n;
    // Most rounds kill a writer that is already acknowledging items (mid-stream, at a random
    // point); every tenth kills it as early as it happens to be, opening the store included.
    const bool mid_stream = round % 10 != 0;
    while (mid_stream && text.find('\n') == std::string::npos && (n = read(fds[0], buf, sizeof buf)) > 0) {
      text.append(buf, static_cast<std::size_t>(n));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 20000)(rng)));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited by itself with " << WEXITSTATUS(status) << " in round " << round;
    while ((n = read(fds[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
    close(fds[0]);
    std::istringstream lines(text);
    std::string id;
    int thread = 0, i = 0;
    while (lines >> id >> thread >> i) acknowledged[id] = content(round, thread, i);

    auto q = open_store();
    ASSERT_TRUE(q) << "round " << round << ": the store does not open after a kill: " << q.error().to_string();
    for (const auto& [ack_id, expected] : acknowledged) {
      if (verified.count(ack_id) != 0) continue;
      auto original = (*q)->export_original(ack_id, kInspector);
      ASSERT_TRUE(original) << "round " << round << ": acknowledged " << ack_id << " is missing: " << original.error().to_string();
      ASSERT_EQ(*original, expected) << ack_id;
      verified.insert(ack_id);
    }
    // Items committed but killed before their acknowledgement went out are fine; they must be whole.
    auto listed = (*q)->list({std::nullopt, 1000000});
    ASSERT_TRUE(listed);
    for (const auto& item : *listed) {
      if (verified.count(item.id) != 0) continue;
      auto original = (*q)->export_original(item.id, kInspector);
      ASSERT_TRUE(original) << "round " << round << ": partial item visible: " << item.id << ": " << original.error().to_string();
      verified.insert(item.id);
    }
  }
  EXPECT_GE(acknowledged.size(), static_cast<std::size_t>(kRounds * 9 / 10));  // the kills landed mid-stream
}

INSTANTIATE_TEST_SUITE_P(Backends, QuarantineCrashTest, ::testing::ValuesIn(sanso::testing::test_backends()),
                         sanso::testing::backend_name);

// SQLite keeps blobs as files, so a full disk hits the blob first; PostgreSQL's equivalent
// failure is the database going away (next test).
TEST(QuarantineFailure, AFullDiskIsATemporaryErrorAndLeavesNoItem) {
  auto t = migrated_store(store::Backend::kSqlite);
  auto open_store = [&] { return open_quarantine(*t); };
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto q = open_store();
    if (!q) _exit(3);
    signal(SIGXFSZ, SIG_IGN);
    rlimit limit{512 * 1024, 512 * 1024};  // files may not grow beyond 512 KiB: "the disk is full"
    setrlimit(RLIMIT_FSIZE, &limit);
    auto item = (*q)->put(blocked(std::string(2 * 1024 * 1024, 'z'), "too big for the disk"));
    if (item) _exit(1);
    if (!store::is_temporary(item.error())) _exit(2);
    if (item.error().code != "store.disk-full") _exit(6);
    auto small = (*q)->put(blocked("fits", "small"));
    _exit(small ? 0 : 7);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: accepted; 2: not temporary; 6: wrong code; 7: store broken afterwards";
  auto q = open_store();
  ASSERT_TRUE(q);
  auto items = (*q)->list({});
  ASSERT_TRUE(items);
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ((*items)[0].reason, "small");
  int leftovers = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(t->dir() / "blobs")) {
    leftovers += e.path().string().find(".tmp-") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(leftovers, 0);
}

TEST(QuarantineFailure, PostgresConnectionLossIsATemporaryErrorThenRecovers) {
  if (sanso::testing::test_backends().size() < 2) GTEST_SKIP() << "PostgreSQL left out (SANSO_TEST_NO_POSTGRES=1)";
  auto t = migrated_store(store::Backend::kPostgres);
  auto q = open_quarantine(*t);
  ASSERT_TRUE(q);
  auto pid = (*q)->database().query_one("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid);
  auto admin = store::open_database({store::Backend::kPostgres, sanso::testing::pg_admin_url()});
  ASSERT_TRUE(admin);
  ASSERT_TRUE((*admin)->query("SELECT pg_terminate_backend(?::int)", {(*pid)->text(0)}));
  auto lost = (*q)->put(blocked("during the outage", "x"));
  ASSERT_FALSE(lost);
  EXPECT_TRUE(store::is_temporary(lost.error())) << lost.error().to_string();
  auto later = (*q)->put(blocked("after the outage", "y"));
  ASSERT_TRUE(later) << later.error().to_string();
  auto items = (*q)->list({});
  ASSERT_EQ(items->size(), 1u);
  EXPECT_EQ(*(*q)->export_original(later->id, kInspector), "after the outage");
}


}  // namespace
}  // namespace sanso::quarantine
