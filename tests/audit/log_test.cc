// The audit log on both backends: appends, proofs, checkpoints, and one test per kind of
// tampering an administrator with database access could attempt.
#include "audit/log.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include <future>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/schema.h"
#include "support/test_store.h"

namespace sanso::audit {
namespace {

using sanso::testing::TestStore;

store::AuditEvent event(int i) {
  store::AuditEvent e;
  e.time = 1795600000 + i;
  e.actor = i % 2 == 0 ? "milter@minamata-gw1" : "tanaka";
  e.action = i % 3 == 0 ? "policy.decide" : "quarantine.store";
  e.subject = "<msg" + std::to_string(i) + "@example.com>";
  e.outcome = "sanitize";
  e.rule_id = "profile.alpha.internet-to-lgwan-mail";
  e.clause = "6(3)②";
  e.input_sha256 = std::string(64, 'a');
  e.details = {{"件名", "見積書 ①"}, {"n", std::to_string(i)}};
  return e;
}

class AuditLogTest : public ::testing::TestWithParam<store::Backend> {
 protected:
  void SetUp() override {
    t_ = std::make_unique<TestStore>(GetParam());
    db_ = t_->open();
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(store::migrate(*db_));
    auto k = generate_signing_key("city.minamata.lg.jp/sanso/audit");
    ASSERT_TRUE(k);
    key_ = *k;
  }

  LogOptions options(bool auto_sign = false) {
    LogOptions o;
    o.node = "minamata-gw1";
    o.policy_sha256 = std::string(64, 'p');
    if (auto_sign) {
      o.signing_key = key_;
      o.checkpoint_every = 4;
      o.checkpoint_seconds = 1000000;
    }
    return o;
  }

  void append(AuditLog& log, int from, int to) {
    for (int i = from; i < to; ++i) {
      auto r = log.append_now(*db_, event(i));
      ASSERT_TRUE(r) << r.error().to_string();
      ASSERT_EQ(*r, static_cast<std::uint64_t>(i));
    }
  }

  std::vector<Hash> leaves() {
    std::vector<Hash> out;
    auto rows = db_->query("SELECT record FROM audit_entries ORDER BY idx");
    for (const auto& r : *rows) out.push_back(leaf_hash(r.text(0)));
    return out;
  }

  VerifyReport verify(const std::optional<std::string>& saved = std::nullopt) {
    auto r = verify_log(*db_, key_.verifier, saved);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? *r : VerifyReport{};
  }

  std::unique_ptr<TestStore> t_;
  std::unique_ptr<store::Database> db_;
  SigningKey key_;
};

TEST_P(AuditLogTest, RecordsAreCanonicalJson) {
  AuditLog log(options());
  append(log, 0, 1);
  auto entries = last_entries(*db_, 10);
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 1u);
  const std::string& rec = (*entries)[0].record;
  EXPECT_TRUE(rec.starts_with(R"({"action":"policy.decide","actor":"milter@minamata-gw1","clause":"6(3)②","details":{"n":"0","件名":"見積書 ①"},)"))
      << rec;
  auto j = nlohmann::json::parse(rec);
  EXPECT_EQ(j["seq"], 0);
  EXPECT_EQ(j["v"], 1);
  EXPECT_EQ(j["time"], "2026-11-25T09:46:40Z");
  EXPECT_EQ(j["node"], "minamata-gw1");
  EXPECT_EQ(j["policy_sha256"], std::string(64, 'p'));
  EXPECT_FALSE(j.contains("output_sha256"));  // empty fields are left out
}

TEST_P(AuditLogTest, TreeMatchesTheReferenceAndEveryProofVerifies) {
  AuditLog log(options());
  append(log, 0, 37);
  auto lv = leaves();
  ASSERT_EQ(lv.size(), 37u);
  for (std::uint64_t size : {1u, 2u, 3u, 8u, 13u, 37u}) {
    Hash root = root_of(std::span<const Hash>(lv.data(), size));
    for (std::uint64_t i = 0; i < size; ++i) {
      auto p = prove_inclusion(*db_, i, size);
      ASSERT_TRUE(p) << p.error().to_string();
      EXPECT_EQ(p->root_hash, root);
      EXPECT_EQ(p->proof, inclusion_proof(std::span<const Hash>(lv.data(), size), i)) << i << "/" << size;
      EXPECT_TRUE(verify_inclusion(i, size, lv[i], p->proof, root));
    }
    for (std::uint64_t old = 1; old <= size; ++old) {
      auto c = prove_consistency(*db_, old, size);
      ASSERT_TRUE(c);
      EXPECT_TRUE(verify_consistency(old, size, *c, root_of(std::span<const Hash>(lv.data(), old)), root)) << old << "→" << size;
    }
  }
  EXPECT_FALSE(prove_inclusion(*db_, 37, 37));
  EXPECT_FALSE(prove_consistency(*db_, 5, 4));
}

TEST_P(AuditLogTest, RolledBackAppendsLeaveNoTrace) {
  AuditLog log(options());
  append(log, 0, 5);
  {
    auto tx = store::Transaction::begin(*db_);
    ASSERT_TRUE(tx);
    ASSERT_TRUE(log.append(*db_, event(100)));
    ASSERT_TRUE(log.append(*db_, event(101)));
  }  // rolled back
  EXPECT_EQ(*tree_size(*db_), 5u);
  append(log, 5, 9);  // the log's cached frontier must not remember the rolled-back leaves
  EXPECT_TRUE(verify().ok()) << verify().detail;
  EXPECT_EQ(verify().entries, 9u);
}

TEST_P(AuditLogTest, TwoWritersOnOneStoreShareOneTree) {
  AuditLog a(options());
  AuditLog b(options());
  auto other = t_->open();
  for (int i = 0; i < 20; ++i) {
    auto& log = i % 3 == 0 ? b : a;
    auto& db = i % 3 == 0 ? *other : *db_;
    auto r = log.append_now(db, event(i));
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(*r, static_cast<std::uint64_t>(i));
  }
  EXPECT_EQ(root_of(leaves()), verify().root);
  EXPECT_TRUE(verify().ok());
}

TEST_P(AuditLogTest, OneLogOnTwoConnectionsOfOneProcessNeverDeadlocks) {
  // The console's accounts and its quarantine append through one log on two connections; a
  // transaction that appends twice must not wait on the log while the other holds the tree.
  AuditLog log(options());
  auto other = t_->open();
  std::promise<void> first_appended;
  auto twice = std::async(std::launch::async, [&]() -> Result<void> {
    auto tx = SANSO_TRY(store::Transaction::begin(*db_));
    SANSO_TRY(log.append(*db_, event(0)));
    first_appended.set_value();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the other writer now waits for the tree
    SANSO_TRY(log.append(*db_, event(1)));
    return tx.commit();
  });
  first_appended.get_future().wait();
  auto once = std::async(std::launch::async, [&] { return log.append_now(*other, event(2)); });
  ASSERT_EQ(twice.wait_for(std::chrono::seconds(20)), std::future_status::ready) << "deadlock";
  ASSERT_EQ(once.wait_for(std::chrono::seconds(20)), std::future_status::ready) << "deadlock";
  auto a = twice.get();
  EXPECT_TRUE(a) << a.error().to_string();
  auto b = once.get();
  ASSERT_TRUE(b) << b.error().to_string();
  EXPECT_EQ(*b, 2u);
  EXPECT_TRUE(verify().ok());
}

TEST_P(AuditLogTest, CheckpointsAreSignedNotesAndStayConsistent) {
  AuditLog log(options());
  append(log, 0, 3);
  auto first = log.checkpoint(*db_, key_);
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ(first->checkpoint.size, 3u);
  EXPECT_EQ(first->checkpoint.origin, "city.minamata.lg.jp/sanso/audit");
  auto text = open_note(first->note, key_.verifier);
  ASSERT_TRUE(text) << text.error().to_string();
  EXPECT_EQ(*text, "city.minamata.lg.jp/sanso/audit\n3\n" + to_base64(root_of(leaves())) + "\n");
  auto same = log.checkpoint(*db_, key_);  // nothing new: the same checkpoint, not a second one
  ASSERT_TRUE(same);
  EXPECT_EQ(same->note, first->note);
  append(log, 3, 10);
  auto second = log.checkpoint(*db_, key_);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->checkpoint.size, 10u);
  auto proof = prove_consistency(*db_, 3, 10);
  ASSERT_TRUE(proof);
  EXPECT_TRUE(verify_consistency(3, 10, *proof, first->checkpoint.root, second->checkpoint.root));
  auto latest = latest_checkpoint(*db_);
  ASSERT_TRUE(latest && *latest);
  EXPECT_EQ((*latest)->checkpoint.size, 10u);
}

TEST_P(AuditLogTest, CheckpointsAreSignedAutomaticallyWhenDue) {
  AuditLog log(options(true));
  append(log, 0, 9);
  auto rows = db_->query("SELECT tree_size FROM audit_checkpoints ORDER BY tree_size");
  ASSERT_TRUE(rows);
  std::vector<std::int64_t> sizes;
  for (const auto& r : *rows) sizes.push_back(r.integer(0));
  EXPECT_EQ(sizes, (std::vector<std::int64_t>{1, 4, 8}));  // first append (none yet), then every 4
  EXPECT_TRUE(verify().ok());
  EXPECT_EQ(verify().checkpoints, 3u);
}

TEST_P(AuditLogTest, RefusesToSignATreeThatContradictsTheLastCheckpoint) {
  AuditLog log(options());
  append(log, 0, 4);
  ASSERT_TRUE(log.checkpoint(*db_, key_));
  append(log, 4, 6);
  Hash forged{};
  forged.fill(7);
  ASSERT_TRUE(db_->execute("UPDATE audit_state SET root = ? WHERE id = 1",
                           {store::Bytes{std::string(reinterpret_cast<const char*>(forged.data()), 32)}}));
  AuditLog fresh(options());
  auto c = fresh.checkpoint(*db_, key_);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, "audit.forked");
  auto appended = fresh.append_now(*db_, event(6));
  ASSERT_FALSE(appended);
  EXPECT_EQ(appended.error().code, "audit.damaged");
}

TEST_P(AuditLogTest, GroupCommitFromManyThreadsGivesEachEventOneIndex) {
  AuditLog log(options(true));
  store::SharedDatabase writer(t_->open());
  std::vector<std::thread> threads;
  std::mutex mu;
  std::vector<std::uint64_t> indexes;
  std::atomic<int> failures{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 30; ++i) {
        auto r = log.record(writer, event(t * 100 + i));
        if (!r) {
          ++failures;
          continue;
        }
        std::lock_guard lock(mu);
        indexes.push_back(*r);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  std::sort(indexes.begin(), indexes.end());
  ASSERT_EQ(indexes.size(), 180u);
  for (std::uint64_t i = 0; i < indexes.size(); ++i) EXPECT_EQ(indexes[i], i);
  auto report = verify();
  EXPECT_TRUE(report.ok()) << report.detail;
  EXPECT_EQ(report.entries, 180u);
}

TEST_P(AuditLogTest, SnapshotProofsEqualStoredProofs) {
  AuditLog log(options());
  append(log, 0, 21);
  auto snap = TreeSnapshot::load(*db_, 21);
  ASSERT_TRUE(snap) << snap.error().to_string();
  EXPECT_EQ(snap->root(), root_of(leaves()));
  for (std::uint64_t i = 0; i < 21; ++i) {
    auto a = snap->prove(i);
    auto b = prove_inclusion(*db_, i, 21);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->proof, b->proof);
    EXPECT_EQ(a->leaf_hash, b->leaf_hash);
  }
  EXPECT_FALSE(snap->prove(21));
  auto older = TreeSnapshot::load(*db_, 13);
  ASSERT_TRUE(older);
  EXPECT_EQ(older->root(), root_of(std::span<const Hash>(leaves().data(), 13)));
}

// --- tampering -----------------------------------------------------------------------------

class AuditTamperTest : public AuditLogTest {
 protected:
  void SetUp() override {
    AuditLogTest::SetUp();
    AuditLog log(options());
    append(log, 0, 8);
    ASSERT_TRUE(log.checkpoint(*db_, key_));
    append(log, 8, 12);
    auto c = log.checkpoint(*db_, key_);
    ASSERT_TRUE(c);
    ASSERT_TRUE(verify().ok()) << verify().detail;
  }
  void sql(const std::string& statement, store::Params params = {}) {
    auto r = db_->execute(statement, params);
    ASSERT_TRUE(r) << r.error().to_string();
  }
  store::Bytes leaf_bytes(const std::string& record) {
    Hash h = leaf_hash(record);
    return store::Bytes{std::string(reinterpret_cast<const char*>(h.data()), 32)};
  }
  std::string record(int idx) { return (*db_->query_one("SELECT record FROM audit_entries WHERE idx = ?", {std::int64_t{idx}}))->text(0); }
};

TEST_P(AuditTamperTest, ModifiedRecord) {
  std::string r = record(5);
  r.replace(r.find("tanaka"), 6, "kato00");
  sql("UPDATE audit_entries SET record = ? WHERE idx = 5", {r});
  auto report = verify();
  EXPECT_EQ(report.problem, "modified");
  EXPECT_EQ(report.first_bad_index, 5u);
}

TEST_P(AuditTamperTest, ModifiedRecordWithItsLeafHash) {
  std::string r = record(5);
  r.replace(r.find("tanaka"), 6, "kato00");
  sql("UPDATE audit_entries SET record = ?, leaf_hash = ? WHERE idx = 5", {r, leaf_bytes(r)});
  auto report = verify();
  EXPECT_EQ(report.problem, "modified");
  ASSERT_TRUE(report.first_bad_index);
  EXPECT_LE(*report.first_bad_index, 5u);
  EXPECT_NE(report.detail.find("disagrees"), std::string::npos) << report.detail;
}

TEST_P(AuditTamperTest, RewrittenTreeNoLongerMatchesTheSignedCheckpoint) {
  // The attacker rewrites a record, its leaf hash and every node above it; only the signature
  // they cannot forge catches it.
  std::string r = record(2);
  r.replace(r.find("milter"), 6, "MILTER");
  sql("UPDATE audit_entries SET record = ?, leaf_hash = ? WHERE idx = 2", {r, leaf_bytes(r)});
  std::vector<Hash> lv = leaves();
  for (int level = 1; level < 4; ++level) {
    std::uint64_t span = std::uint64_t{1} << level;
    for (std::uint64_t i = 0; (i + 1) * span <= lv.size(); ++i) {
      Hash h = root_of(std::span<const Hash>(lv.data() + i * span, span));
      sql("UPDATE audit_nodes SET hash = ? WHERE level = ? AND idx = ?",
          {store::Bytes{std::string(reinterpret_cast<const char*>(h.data()), 32)}, std::int64_t{level}, static_cast<std::int64_t>(i)});
    }
  }
  auto report = verify();
  EXPECT_EQ(report.problem, "modified");
  EXPECT_EQ(report.first_bad_index, 0u);  // somewhere before the first checkpoint (size 8)
  EXPECT_NE(report.detail.find("checkpoint signed at size 8"), std::string::npos) << report.detail;
}

TEST_P(AuditTamperTest, DeletedEntry) {
  sql("DELETE FROM audit_entries WHERE idx = 6");
  auto report = verify();
  EXPECT_EQ(report.problem, "deleted");
  EXPECT_EQ(report.first_bad_index, 6u);
}

TEST_P(AuditTamperTest, ReorderedEntries) {
  std::string a = record(3), b = record(4);
  sql("UPDATE audit_entries SET record = ?, leaf_hash = ? WHERE idx = 3", {b, leaf_bytes(b)});
  sql("UPDATE audit_entries SET record = ?, leaf_hash = ? WHERE idx = 4", {a, leaf_bytes(a)});
  auto report = verify();
  EXPECT_EQ(report.problem, "reordered");
  EXPECT_EQ(report.first_bad_index, 3u);
}

TEST_P(AuditTamperTest, TruncatedLog) {
  sql("DELETE FROM audit_entries WHERE idx >= 10");
  auto report = verify();
  EXPECT_EQ(report.problem, "truncated");
  EXPECT_EQ(report.first_bad_index, 10u);
}

TEST_P(AuditTamperTest, RolledBackToAnOlderCopy) {
  auto saved = latest_checkpoint(*db_);  // the auditor keeps the size-12 checkpoint
  ASSERT_TRUE(saved && *saved);
  // An older, self-consistent copy of the log: 8 entries and the size-8 checkpoint.
  auto older = checkpoint_at(*db_, 8);
  ASSERT_TRUE(older && *older);
  sql("DELETE FROM audit_entries WHERE idx >= 8");
  sql("DELETE FROM audit_nodes WHERE (level = 1 AND idx >= 4) OR (level = 2 AND idx >= 2) OR (level = 3 AND idx >= 1)");
  sql("DELETE FROM audit_checkpoints WHERE tree_size > 8");
  sql("UPDATE audit_state SET tree_size = 8, root = ? WHERE id = 1",
      {store::Bytes{std::string(reinterpret_cast<const char*>((*older)->checkpoint.root.data()), 32)}});
  EXPECT_TRUE(verify().ok()) << verify().detail;  // internally consistent…
  auto report = verify((*saved)->note);           // …but not to an auditor who saw more
  EXPECT_EQ(report.problem, "rolled-back");
  EXPECT_EQ(report.first_bad_index, 8u);
}

TEST_P(AuditTamperTest, CheckpointSignatureAndBody) {
  auto c = checkpoint_at(*db_, 8);
  std::string note = (*c)->note;
  std::string forged = note;
  forged.replace(forged.find("\n8\n"), 3, "\n9\n");
  sql("UPDATE audit_checkpoints SET note = ? WHERE tree_size = 8", {forged});
  auto body = verify();
  EXPECT_EQ(body.problem, "bad-signature");
  sql("UPDATE audit_checkpoints SET note = ? WHERE tree_size = 8", {note});
  std::string sig = note;
  sig[sig.size() - 10] = sig[sig.size() - 10] == 'A' ? 'B' : 'A';
  sql("UPDATE audit_checkpoints SET note = ? WHERE tree_size = 8", {sig});
  EXPECT_EQ(verify().problem, "bad-signature");
}

TEST_P(AuditTamperTest, SavedCheckpointFromAnotherHistory) {
  // The auditor's checkpoint says something else was at size 8 (the log was forked).
  Checkpoint other{key_.verifier.name, 8, {}, ""};
  other.root.fill(1);
  auto note = sign_note(key_, format_checkpoint(other));
  ASSERT_TRUE(note);
  EXPECT_EQ(verify(*note).problem, "forked");
  auto stranger = generate_signing_key("someone.else/log");
  auto foreign = sign_note(*stranger, format_checkpoint(other));
  EXPECT_EQ(verify(*foreign).problem, "bad-signature");
}

INSTANTIATE_TEST_SUITE_P(Backends, AuditLogTest, ::testing::ValuesIn(sanso::testing::test_backends()), sanso::testing::backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, AuditTamperTest, ::testing::ValuesIn(sanso::testing::test_backends()), sanso::testing::backend_name);

}  // namespace
}  // namespace sanso::audit
