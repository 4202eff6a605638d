// Reliability of the quarantine under the failures a gateway meets: a writer killed with SIGKILL
// at random points, a full disk, a database connection cut. Acknowledged means durable; nothing
// half-written is ever visible.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "audit/log.h"
#include "quarantine/quarantine.h"
#include "store/schema.h"
#include "support/open_quarantine.h"
#include "support/test_store.h"

namespace sanso::quarantine {
namespace {

using sanso::testing::TestStore;

Result<sanso::testing::OpenQuarantine> open_quarantine(const TestStore& t) {
  auto db = store::open_database(t.location());
  if (!db) return std::move(db).error();
  QuarantineStore::Options o;
  o.settings.inspector_roles = {"security_manager"};
  o.blob_dir = (t.dir() / "blobs").string();
  o.key_file = (t.dir() / "quarantine.key").string();
  return sanso::testing::OpenQuarantine::open(std::move(db).value(), o);
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
  s.verdict = quarantine::Verdict::kBlocked;
  s.reason = std::move(reason);
  return s;
}

const Actor kInspector{"auditor", {"security_manager"}};

class QuarantineCrashTest : public ::testing::TestWithParam<store::Backend> {
 protected:
  void SetUp() override { t_ = migrated_store(GetParam()); }
  Result<sanso::testing::OpenQuarantine> open_store() { return open_quarantine(*t_); }

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

// An approved item, for the release tests.
std::string approved_item(QuarantineStore& q) {
  auto item = q.put(blocked("Subject: held\r\n\r\nkeep me\r\n", "release test"));
  EXPECT_TRUE(item) << item.error().to_string();
  if (!item) return "";
  const Actor tanaka{"tanaka", {"staff"}, "test"};
  const Actor suzuki{"suzuki", {"security_manager"}, "test"};
  EXPECT_TRUE(q.request_release(item->id, tanaka, "needed"));
  auto approved = q.approve(item->id, suzuki, "ok");
  EXPECT_TRUE(approved) << approved.error().to_string();
  return item->id;
}

// Each process its own log object over the one store, as the CLI and the services have.
audit::AuditLog& release_log() {
  static audit::AuditLog log([] {
    audit::LogOptions o;
    o.node = "gw1";
    return o;
  }());
  return log;
}

Result<sanso::testing::OpenQuarantine> open_releasing_quarantine(const TestStore& t) {
  auto db = store::open_database(t.location());
  if (!db) return std::move(db).error();
  QuarantineStore::Options o;
  o.settings.approver_roles = {"security_manager"};
  o.settings.inspector_roles = {"security_manager"};
  o.blob_dir = (t.dir() / "blobs").string();
  o.key_file = (t.dir() / "quarantine.key").string();
  o.node = "gw1";
  o.audit = &release_log();
  return sanso::testing::OpenQuarantine::open(std::move(db).value(), o);
}

// Runs a release in a child process that dies (or gives up) at the step `deliver` chooses.
void release_in_child(const TestStore& t, const std::string& id, const Deliver& deliver) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto q = open_releasing_quarantine(t);
    if (!q) _exit(3);
    (void)(*q)->release(id, Actor{"suzuki", {"security_manager"}, "test"}, deliver);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
}

std::vector<std::string> release_outcomes(sanso::testing::OpenQuarantine& q, const std::string& id) {
  std::vector<std::string> out;
  auto rows = q.database().query("SELECT record FROM audit_entries WHERE action = 'quarantine.release' ORDER BY idx");
  if (!rows) return out;
  for (const auto& r : *rows) {
    const std::string rec = r.text(0);
    if (rec.find(id) == std::string::npos) continue;
    const auto at = rec.find("\"outcome\":\"");
    out.push_back(rec.substr(at + 11, rec.find('"', at + 11) - at - 11));
  }
  return out;
}

TEST_P(QuarantineCrashTest, AReleaseKilledAtEachStepIsResolvedAtTheNextStart) {
  auto q = open_releasing_quarantine(*t_);
  ASSERT_TRUE(q) << q.error().to_string();

  // 1. Killed while the relay is receiving the message: nothing was recorded as handed off, so
  //    the item goes back to approved (and can be released again), with the reason recorded.
  const std::string a = approved_item(**q);
  release_in_child(*t_, a, [](const Item&, const std::string&) -> Result<std::string> {
    kill(getpid(), SIGKILL);
    return std::string("never");
  });
  ASSERT_EQ((*q)->get(a)->state, ItemState::kReleasing) << "the dead release left its claim";
  auto recovered = (*q)->recover_interrupted_releases();
  ASSERT_TRUE(recovered) << recovered.error().to_string();
  EXPECT_EQ(*recovered, 1);
  EXPECT_EQ((*q)->get(a)->state, ItemState::kApproved);
  EXPECT_EQ(release_outcomes(*q, a), std::vector<std::string>{"interrupted"});
  auto again = (*q)->release(a, Actor{"suzuki", {"security_manager"}, "test"},
                             [](const Item&, const std::string&) -> Result<std::string> { return std::string("smtp:relay (250 queued as B)"); });
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ((*q)->get(a)->state, ItemState::kReleased);

  // 2. Killed after the relay accepted it and its answer was recorded, before the release was:
  //    the database refuses the last write here, and the process ends.
  const std::string b = approved_item(**q);
  auto& db = q->database();
  if (GetParam() == store::Backend::kSqlite) {
    ASSERT_TRUE(db.execute_script("CREATE TRIGGER stop_release BEFORE UPDATE OF state ON quarantine_items WHEN NEW.state = 'released' "
                                  "BEGIN SELECT RAISE(ABORT, 'injected'); END;"));
  } else {
    ASSERT_TRUE(db.execute_script("CREATE FUNCTION stop_release() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$ LANGUAGE plpgsql;"
                                  "CREATE TRIGGER stop_release BEFORE UPDATE ON quarantine_items FOR EACH ROW WHEN (NEW.state = 'released') "
                                  "EXECUTE FUNCTION stop_release();"));
  }
  release_in_child(*t_, b, [](const Item&, const std::string&) -> Result<std::string> { return std::string("smtp:relay (250 queued as C)"); });
  ASSERT_TRUE(db.execute_script("DROP TRIGGER stop_release" + std::string(GetParam() == store::Backend::kSqlite ? "" : " ON quarantine_items")));
  ASSERT_EQ((*q)->get(b)->state, ItemState::kReleasing);
  recovered = (*q)->recover_interrupted_releases();
  ASSERT_TRUE(recovered) << recovered.error().to_string();
  EXPECT_EQ(*recovered, 1);
  EXPECT_EQ((*q)->get(b)->state, ItemState::kReleased) << "it was delivered: never offered again";
  auto requests = (*q)->releases(b);
  ASSERT_TRUE(requests);
  EXPECT_EQ(requests->back().released_to, "smtp:relay (250 queued as C)");
  EXPECT_EQ(release_outcomes(*q, b), std::vector<std::string>{"released"});

  // 3. A release still running in a live process is left alone, and so is another node's fresh
  //    claim; an old claim of another node is resolved.
  const std::string c = approved_item(**q);
  int seen_while_running = -1;
  auto other = open_releasing_quarantine(*t_);
  ASSERT_TRUE(other);
  auto done = (*q)->release(c, Actor{"suzuki", {"security_manager"}, "test"}, [&](const Item&, const std::string&) -> Result<std::string> {
    auto r = (*other)->recover_interrupted_releases();
    seen_while_running = r ? *r : -2;
    return std::string("file:/tmp/x");
  });
  ASSERT_TRUE(done) << done.error().to_string();
  EXPECT_EQ(seen_while_running, 0) << "a live release must not be taken back";
  const std::string d = approved_item(**q);
  ASSERT_TRUE(db.execute("UPDATE quarantine_items SET state = 'releasing' WHERE id = ?", {d}));
  ASSERT_TRUE(db.execute("UPDATE quarantine_releases SET claimed_by = 'gw2 pid 1 start 1', claimed_at = ? WHERE item_id = ?",
                         {static_cast<std::int64_t>(std::time(nullptr)), d}));
  EXPECT_EQ(*(*q)->recover_interrupted_releases(), 0);
  EXPECT_EQ((*q)->get(d)->state, ItemState::kReleasing);
  EXPECT_EQ(*(*q)->recover_interrupted_releases(std::chrono::seconds(0)), 1);
  EXPECT_EQ((*q)->get(d)->state, ItemState::kApproved);

  // 4. A claim of this machine made before its last boot died with that boot.
  const std::string f = approved_item(**q);
  std::string machine;
  std::getline(std::ifstream("/etc/machine-id"), machine);
  ASSERT_TRUE(db.execute("UPDATE quarantine_items SET state = 'releasing' WHERE id = ?", {f}));
  ASSERT_TRUE(db.execute("UPDATE quarantine_releases SET claimed_by = ?, claimed_at = ? WHERE item_id = ?",
                         {"gw1 host " + machine + "/00000000-0000-0000-0000-000000000000 pid 1 start 1", static_cast<std::int64_t>(std::time(nullptr)), f}));
  EXPECT_EQ(*(*q)->recover_interrupted_releases(), machine.empty() ? 0 : 1);
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
  auto pid = q->database().query_one("SELECT pg_backend_pid()");
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
