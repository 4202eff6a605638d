#include "quarantine/quarantine.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "store/schema.h"
#include "support/open_quarantine.h"
#include "support/test_store.h"

namespace sanso::quarantine {
namespace {

namespace fs = std::filesystem;
using sanso::testing::TestStore;

// A clock the test moves by hand (retention is days long).
class SteppingClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override { return t_; }
  Date today() const override { return Date{2026, 11, 25}; }
  void advance_days(int d) { t_ += std::chrono::hours(24 * d); }

 private:
  std::chrono::system_clock::time_point t_ = std::chrono::system_clock::from_time_t(1795600000);
};

// Records the actions it is given; fails on demand to show that an action and its audit
// record stand or fall together.
class RecordingSink final : public store::AuditSink {
 public:
  Result<void> append(store::Database& db, const store::AuditEvent& e) override {
    if (fail) return make_error("audit.test", "", "audit refused");
    auto r = db.execute("INSERT INTO test_audit (action, subject, actor) VALUES (?, ?, ?)", {e.action, e.subject, e.actor});
    if (!r) return std::move(r).error();
    return ok();
  }
  bool fail = false;
};

std::vector<std::string> audit_actions(store::Database& db) {
  std::vector<std::string> out;
  auto rows = db.query("SELECT action FROM test_audit ORDER BY seq");
  if (rows) {
    for (const auto& r : *rows) out.push_back(r.text(0));
  }
  return out;
}

Actor person(std::string name, std::vector<std::string> roles) { return Actor{std::move(name), std::move(roles)}; }

Submission mail_submission(std::string bytes) {
  Submission s;
  s.original = std::move(bytes);
  s.origin.kind = Origin::Kind::kMail;
  s.origin.message_id = "<abc@example.com>";
  s.origin.envelope_from = "sender@example.com";
  s.origin.envelope_to = {"kikaku@city.minamata.lg.jp", "zeimu@city.minamata.lg.jp"};
  s.origin.subject = "【至急】①㈱ 見積書";
  s.verdict = quarantine::Verdict::kSanitized;
  s.reason = "添付ファイルを削除しました";
  s.report_json = R"([{"kind":"attachment","action":"removed"}])";
  return s;
}

class QuarantineTest : public ::testing::TestWithParam<store::Backend> {
 protected:
  void SetUp() override {
    t_ = std::make_unique<TestStore>(GetParam());
    store_ = open_store();
    ASSERT_NE(store_, nullptr);
  }

  sanso::testing::OpenQuarantine open_store() {
    auto db = t_->open();
    if (db == nullptr) return nullptr;
    EXPECT_TRUE(store::migrate(*db));
    (void)db->execute_script(GetParam() == store::Backend::kSqlite
                                 ? "CREATE TABLE IF NOT EXISTS test_audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, action TEXT, subject TEXT, actor TEXT)"
                                 : "CREATE TABLE IF NOT EXISTS test_audit (seq BIGSERIAL PRIMARY KEY, action TEXT, subject TEXT, actor TEXT)");
    QuarantineStore::Options o;
    o.settings.retention.default_days = 30;
    o.settings.retention.days_by_verdict = {{quarantine::Verdict::kBlocked, 365}};
    o.settings.approver_roles = {"security_manager"};
    o.settings.inspector_roles = {"security_manager", "system_admin"};
    o.blob_dir = (t_->dir() / "blobs").string();
    o.key_file = (t_->dir() / "quarantine.key").string();
    o.clock = &clock_;
    o.audit = &sink_;
    o.node = "gw-test";
    o.addresses_by_person = {{"tanaka", {"Tanaka@city.minamata.lg.jp"}}};
    auto q = sanso::testing::OpenQuarantine::open(std::move(db), o);
    if (!q) {
      ADD_FAILURE() << q.error().to_string();
      return nullptr;
    }
    return std::move(q).value();
  }

  // Flips one bit of the stored ciphertext, wherever it is kept: in the database (PostgreSQL;
  // SQLite for small originals) or in its file (SQLite, large originals).
  void flip_a_bit(const Item& item) {
    auto& db = store_.database();
    auto row = db.query_one("SELECT sealed FROM quarantine_blobs WHERE sha256 = ?", {item.sha256});
    ASSERT_TRUE(row);
    if (row->has_value()) {
      std::string sealed = (*row)->bytes(0);
      sealed[40] ^= 0x04;
      ASSERT_TRUE(db.execute("UPDATE quarantine_blobs SET sealed = ? WHERE sha256 = ?", {store::Bytes{sealed}, item.sha256}));
      return;
    }
    fs::path p = t_->dir() / "blobs" / item.sha256.substr(0, 2) / (item.sha256 + ".sealed");
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f) << p;
    f.seekg(40);
    char c;
    f.read(&c, 1);
    c ^= 0x04;
    f.seekp(40);
    f.write(&c, 1);
  }

  int blob_files() {
    int files = 0;
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(t_->dir() / "blobs", ec)) files += e.is_regular_file() ? 1 : 0;
    return files;
  }

  SteppingClock clock_;
  RecordingSink sink_;
  std::unique_ptr<TestStore> t_;
  sanso::testing::OpenQuarantine store_;
  Actor staff_ = person("sato", {"staff"});
  Actor manager_ = person("tanaka", {"security_manager"});
  Actor manager2_ = person("suzuki", {"security_manager"});
  Actor admin_ = person("kato", {"system_admin"});
};

TEST_P(QuarantineTest, OriginalsRoundTripByteForByte) {
  std::string binary;
  for (int i = 0; i < 200000; ++i) binary += static_cast<char>((i * 131) & 0xff);  // spans 4 chunks
  for (const std::string& original : {std::string(), std::string("\0\r\n.\r\n", 6), binary,
                                      std::string(64 * 1024, 'x')}) {
    auto item = store_->put(mail_submission(original));
    ASSERT_TRUE(item) << item.error().to_string();
    EXPECT_EQ(item->size, static_cast<std::int64_t>(original.size()));
    auto back = store_->export_original(item->id, manager_);
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(*back, original);
  }
}

TEST_P(QuarantineTest, MetadataIsKept) {
  auto item = store_->put(mail_submission("From: a\r\n\r\nbody"));
  ASSERT_TRUE(item);
  EXPECT_TRUE(item->id.starts_with("Q"));
  auto got = store_->get(item->id);
  ASSERT_TRUE(got) << got.error().to_string();
  EXPECT_EQ(got->origin.kind, Origin::Kind::kMail);
  EXPECT_EQ(got->origin.subject, "【至急】①㈱ 見積書");
  EXPECT_EQ(got->origin.envelope_to, (std::vector<std::string>{"kikaku@city.minamata.lg.jp", "zeimu@city.minamata.lg.jp"}));
  EXPECT_EQ(got->verdict, Verdict::kSanitized);
  EXPECT_EQ(got->state, ItemState::kHeld);
  EXPECT_EQ(got->expires_at - got->received_at, 30 * 86400);
  // Retention follows the verdict: a blocked original is kept by its own rule.
  Submission blocked = mail_submission("From: b\r\n\r\nexe");
  blocked.verdict = Verdict::kBlocked;
  auto kept = store_->put(std::move(blocked));
  ASSERT_TRUE(kept) << kept.error().to_string();
  EXPECT_EQ(kept->expires_at - kept->received_at, 365 * 86400);
  // A word Sanso never writes (an older `quarantine add --verdict removed`) reads as held: the item
  // stays listed, for a person to look at, rather than failing every list.
  ASSERT_TRUE(store_.database().execute("UPDATE quarantine_items SET verdict = 'removed' WHERE id = ?", {item->id}));
  auto legacy = store_->get(item->id);
  ASSERT_TRUE(legacy) << legacy.error().to_string();
  EXPECT_EQ(legacy->verdict, Verdict::kHeld);
  EXPECT_EQ(got->sha256.size(), 64u);
  auto missing = store_->get("Q20990101-NOTHERE0");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "quarantine.not-found");
}

TEST_P(QuarantineTest, RetentionFollowsTheVerdict) {
  auto s = mail_submission("x");
  s.verdict = quarantine::Verdict::kBlocked;
  auto item = store_->put(s);
  ASSERT_TRUE(item);
  EXPECT_EQ(item->expires_at - item->received_at, 365 * 86400);
}

TEST_P(QuarantineTest, KeyFileIsPrivateAndAnOpenKeyIsRefused) {
  fs::path key = t_->dir() / "quarantine.key";
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  store_.reset();
  ::chmod(key.c_str(), 0644);
  auto db = t_->open();
  QuarantineStore::Options o;
  o.blob_dir = (t_->dir() / "blobs").string();
  o.key_file = key.string();
  auto q = sanso::testing::OpenQuarantine::open(std::move(db), o);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, "quarantine.key");
  EXPECT_NE(q.error().message.find("chmod 600"), std::string::npos);
}

TEST_P(QuarantineTest, SameContentIsStoredOnce) {
  auto a = store_->put(mail_submission("same bytes"));
  auto b = store_->put(mail_submission("same bytes"));
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->id, b->id);
  EXPECT_EQ(a->sha256, b->sha256);
  auto n = store_.database().query_one("SELECT COUNT(*) FROM quarantine_blobs");
  ASSERT_TRUE(n);
  EXPECT_EQ((*n)->integer(0), 1);
  EXPECT_EQ(blob_files(), 0) << "a small original is kept with its record, not as a file";
  EXPECT_EQ(*store_->export_original(b->id, admin_), "same bytes");
}

TEST_P(QuarantineTest, ALargeOriginalIsAFileOnSqliteAndReadsBackTheSame) {
  std::string big(3 << 20, 'x');
  for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + i % 26);
  auto a = store_->put(mail_submission(big));
  auto b = store_->put(mail_submission(big));
  ASSERT_TRUE(a && b) << (a ? b.error().to_string() : a.error().to_string());
  EXPECT_EQ(blob_files(), GetParam() == store::Backend::kSqlite ? 1 : 0);
  EXPECT_EQ(*store_->export_original(b->id, admin_), big);
  flip_a_bit(*a);
  auto damaged = store_->export_original(a->id, admin_);
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().code, "quarantine.damaged");
}

TEST_P(QuarantineTest, ExportNeedsAnInspectorRoleAndIsAudited) {
  auto item = store_->put(mail_submission("secret"));
  ASSERT_TRUE(item);
  auto denied = store_->export_original(item->id, staff_);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, "quarantine.forbidden");
  ASSERT_TRUE(store_->export_original(item->id, admin_));
  // The refused attempt is recorded too, as evidence.
  auto actions = audit_actions(store_.database());
  EXPECT_EQ(actions, (std::vector<std::string>{"quarantine.store", "quarantine.export", "quarantine.export"}));
  auto by = store_.database().query("SELECT actor FROM test_audit WHERE action = 'quarantine.export' ORDER BY seq");
  ASSERT_TRUE(by);
  ASSERT_EQ(by->size(), 2u);
  EXPECT_EQ((*by)[0].text(0), staff_.name);
  EXPECT_EQ((*by)[1].text(0), admin_.name);
}

TEST_P(QuarantineTest, AllowedActionsAreWhatTheActionsThemselvesAccept) {
  // The console offers what allowed_actions says; it used to recompute the rules and offered the
  // decision to any approver role even where the item's rule named another.
  auto s = mail_submission("held for the named role");
  s.approver_role = "general_security_officer";
  auto item = store_->put(std::move(s));
  ASSERT_TRUE(item) << item.error().to_string();
  const Actor officer = person("yamada", {"general_security_officer"});
  auto held = store_->allowed_actions(item->id, staff_);
  ASSERT_TRUE(held) << held.error().to_string();
  EXPECT_TRUE(held->request_release);
  EXPECT_FALSE(held->decide);
  EXPECT_FALSE(held->release);
  EXPECT_FALSE(held->export_original) << "staff hold no inspector role";
  EXPECT_TRUE(store_->allowed_actions(item->id, admin_)->export_original);

  ASSERT_TRUE(store_->request_release(item->id, staff_, "業務で必要"));
  auto manager = store_->allowed_actions(item->id, manager_);
  ASSERT_TRUE(manager);
  EXPECT_FALSE(manager->decide) << "an approver role, but not the one the item's rule names";
  EXPECT_FALSE(store_->approve(item->id, manager_, "ok")) << "and the action agrees";
  EXPECT_FALSE(manager->request_release);
  EXPECT_TRUE(store_->allowed_actions(item->id, officer)->decide);
  ASSERT_TRUE(store_->approve(item->id, officer, "確認済み"));
  auto approved = store_->allowed_actions(item->id, staff_);
  ASSERT_TRUE(approved);
  EXPECT_TRUE(approved->release);
  EXPECT_FALSE(approved->decide);
  EXPECT_FALSE(store_->allowed_actions("Q20990101-NOSUCH00", staff_)) << "an unknown id is an error, not an empty answer";
}

// review30 M1: outgoing mail held for a 個人番号 was decided by an approver who may be its own
// sender — the four-eyes check compared the decider with the requester only, and anyone may
// request. The sender's addresses ([[users]] mail) now stand for them.
TEST_P(QuarantineTest, TheSenderOfAHeldMailDoesNotApproveIt) {
  auto s = mail_submission("From: tanaka@city.minamata.lg.jp\r\nSubject: x\r\n\r\n123456789018\r\n");
  s.origin.envelope_from = "tanaka@CITY.minamata.lg.jp";  // the manager's own mail
  s.origin.envelope_to = {"friend@example.com"};
  s.verdict = quarantine::Verdict::kHeld;
  s.reason = "個人番号・法人番号を検出";
  s.approver_role = "security_manager";
  auto item = store_->put(std::move(s));
  ASSERT_TRUE(item) << item.error().to_string();
  ASSERT_TRUE(store_->request_release(item->id, staff_, "お願いします"));  // any colleague, no role needed
  auto own = store_->allowed_actions(item->id, manager_);
  ASSERT_TRUE(own);
  EXPECT_FALSE(own->decide);
  auto approved = store_->approve(item->id, manager_, "ok");
  ASSERT_FALSE(approved) << "tanaka approved the release of tanaka's own mail";
  EXPECT_EQ(approved.error().code, "quarantine.own-mail");
  EXPECT_TRUE(store_->approve(item->id, manager2_, "確認済み")) << "another approver decides";
}

TEST_P(QuarantineTest, AllowedActionsKeepFourEyes) {
  auto item = store_->put(mail_submission("four eyes"));
  ASSERT_TRUE(item);
  ASSERT_TRUE(store_->request_release(item->id, manager_, "取引先からの見積書"));
  EXPECT_FALSE(store_->allowed_actions(item->id, manager_)->decide) << "the requester does not decide";
  EXPECT_TRUE(store_->allowed_actions(item->id, manager2_)->decide);
}

TEST_P(QuarantineTest, ReleaseNeedsFourEyesAndAnApproverRole) {
  auto item = store_->put(mail_submission("original mail"));
  ASSERT_TRUE(item);
  auto early = store_->approve(item->id, manager_, "");
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, "quarantine.state");
  EXPECT_FALSE(store_->request_release(item->id, manager_, ""));  // a reason is required

  auto req = store_->request_release(item->id, manager_, "取引先からの正式な見積書のため");
  ASSERT_TRUE(req) << req.error().to_string();
  EXPECT_EQ(req->requested_by, "tanaka");
  EXPECT_EQ(req->sha256, item->sha256);
  EXPECT_FALSE(store_->request_release(item->id, staff_, "again"));

  auto self = store_->approve(item->id, manager_, "ok");
  ASSERT_FALSE(self);
  EXPECT_EQ(self.error().code, "quarantine.four-eyes");
  auto not_role = store_->approve(item->id, admin_, "ok");
  ASSERT_FALSE(not_role);
  EXPECT_EQ(not_role.error().code, "quarantine.forbidden");
  EXPECT_FALSE(store_->release(item->id, manager2_, [](const Item&, const std::string&) -> Result<std::string> { return std::string("x"); }));

  auto approved = store_->approve(item->id, manager2_, "確認済み");
  ASSERT_TRUE(approved) << approved.error().to_string();
  EXPECT_EQ(approved->decision, ReleaseDecision::kApproved);
  EXPECT_EQ(approved->decided_by, "suzuki");
  EXPECT_EQ(approved->decided_role, "security_manager");

  std::string delivered;
  auto released = store_->release(item->id, staff_, [&](const Item& it, const std::string& original) -> Result<std::string> {
    delivered = original;
    return "smtp:" + it.origin.envelope_to.front();
  });
  ASSERT_TRUE(released) << released.error().to_string();
  EXPECT_EQ(delivered, "original mail");
  EXPECT_EQ(released->released_to, "smtp:kikaku@city.minamata.lg.jp");
  EXPECT_EQ(store_->get(item->id)->state, ItemState::kReleased);
  auto twice = store_->release(item->id, staff_, [](const Item&, const std::string&) -> Result<std::string> { return std::string("x"); });
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, "quarantine.state");
  // The two refused decisions (four-eyes, no approver role) are on record before the real one.
  EXPECT_EQ(audit_actions(store_.database()),
            (std::vector<std::string>{"quarantine.store", "quarantine.request-release", "quarantine.approve", "quarantine.approve",
                                      "quarantine.approve", "quarantine.release"}));
  auto deciders = store_.database().query("SELECT actor FROM test_audit WHERE action = 'quarantine.approve' ORDER BY seq");
  ASSERT_TRUE(deciders);
  ASSERT_EQ(deciders->size(), 3u);
  EXPECT_EQ((*deciders)[0].text(0), "tanaka");
  EXPECT_EQ((*deciders)[1].text(0), "kato");
  EXPECT_EQ((*deciders)[2].text(0), "suzuki");
}

TEST_P(QuarantineTest, OneOperatingSystemAccountCannotBothRequestAndApprove) {
  auto item = store_->put(mail_submission("original mail"));
  ASSERT_TRUE(item);
  Actor requester = manager_;
  requester.account = "uid 0";
  ASSERT_TRUE(store_->request_release(item->id, requester, "取引先確認済み"));
  EXPECT_EQ(store_->releases(item->id)->back().requested_account, "uid 0");

  // Another name from the same account is the same person, however it was typed.
  Actor same_account = manager2_;
  same_account.account = "uid 0";
  auto refused = store_->approve(item->id, same_account, "ok");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "quarantine.same-account");
  EXPECT_NE(refused.error().message.find("uid 0"), std::string::npos) << refused.error().message;
  EXPECT_EQ(store_->get(item->id)->state, ItemState::kReleaseRequested);
  EXPECT_EQ(audit_actions(store_.database()).back(), "quarantine.approve");  // the refusal is on record

  // Approval from another account goes through.
  Actor other_account = manager2_;
  other_account.account = "uid 1001";
  auto approved = store_->approve(item->id, other_account, "確認済み");
  ASSERT_TRUE(approved) << approved.error().to_string();
  EXPECT_EQ(approved->decided_by, "suzuki");
}

TEST_P(QuarantineTest, DeniedItemsStayAndCanBeAskedForAgain) {
  auto item = store_->put(mail_submission("m"));
  ASSERT_TRUE(store_->request_release(item->id, staff_, "必要"));
  auto denied = store_->deny(item->id, manager_, "不審な送信元");
  ASSERT_TRUE(denied) << denied.error().to_string();
  EXPECT_EQ(denied->decision, ReleaseDecision::kDenied);
  EXPECT_EQ(store_->get(item->id)->state, ItemState::kDenied);
  EXPECT_FALSE(store_->release(item->id, manager_, [](const Item&, const std::string&) -> Result<std::string> { return std::string("x"); }));
  ASSERT_TRUE(store_->request_release(item->id, staff_, "再申請: 送信元に電話で確認済み"));
  ASSERT_TRUE(store_->approve(item->id, manager_, "確認"));
  auto history = store_->releases(item->id);
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].decision, ReleaseDecision::kDenied);
  EXPECT_EQ((*history)[1].decision, ReleaseDecision::kApproved);
}

// A decision word the store never writes (the table edited behind its back) is an error that
// names the request, never read as approved or as no decision at all.
TEST_P(QuarantineTest, UnknownReleaseDecisionInTheStoreIsAnError) {
  auto item = store_->put(mail_submission("m"));
  ASSERT_TRUE(store_->request_release(item->id, staff_, "必要"));
  ASSERT_TRUE(store_->approve(item->id, manager_, ""));
  ASSERT_TRUE(store_.database().execute("UPDATE quarantine_releases SET decision = 'approved!' WHERE item_id = ?", {item->id}));
  auto history = store_->releases(item->id);
  ASSERT_FALSE(history);
  EXPECT_EQ(history.error().code, "quarantine.value");
  EXPECT_NE(history.error().where.find("quarantine_releases.decision"), std::string::npos) << history.error().where;
  EXPECT_NE(history.error().message.find("'approved!'"), std::string::npos) << history.error().message;
}

TEST_P(QuarantineTest, FailedDeliveryLeavesTheItemApproved) {
  auto item = store_->put(mail_submission("m"));
  ASSERT_TRUE(store_->request_release(item->id, staff_, "r"));
  ASSERT_TRUE(store_->approve(item->id, manager_, ""));
  auto failed = store_->release(item->id, manager_, [](const Item&, const std::string&) -> Result<std::string> {
    return make_error("smtp.unavailable", "127.0.0.1:25", "connection refused");
  });
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, "smtp.unavailable");
  EXPECT_EQ(store_->get(item->id)->state, ItemState::kApproved);
  ASSERT_TRUE(store_->release(item->id, manager_, [](const Item&, const std::string&) -> Result<std::string> { return std::string("file:/x"); }));
}

TEST_P(QuarantineTest, AFlippedBitIsDetectedAndOnlyThatItemIsDamaged) {
  auto bad = store_->put(mail_submission("will be damaged"));
  auto good = store_->put(mail_submission("stays fine"));
  ASSERT_TRUE(bad && good);
  flip_a_bit(*bad);
  auto read = store_->export_original(bad->id, manager_);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, "quarantine.damaged");
  EXPECT_NE(read.error().message.find("authentication"), std::string::npos);
  auto after = store_->get(bad->id);
  EXPECT_EQ(after->state, ItemState::kDamaged);
  EXPECT_FALSE(after->damage.empty());
  EXPECT_EQ(*store_->export_original(good->id, manager_), "stays fine");
  auto damaged = store_->list({ItemState::kDamaged, 10});
  ASSERT_TRUE(damaged);
  ASSERT_EQ(damaged->size(), 1u);
  EXPECT_EQ((*damaged)[0].id, bad->id);
}

TEST_P(QuarantineTest, ApprovalOfAChangedItemIsImpossible) {
  auto item = store_->put(mail_submission("asked for"));
  ASSERT_TRUE(store_->request_release(item->id, staff_, "r"));
  flip_a_bit(*item);
  auto approved = store_->approve(item->id, manager_, "");
  ASSERT_FALSE(approved);
  EXPECT_EQ(approved.error().code, "quarantine.damaged");
  EXPECT_NE(store_->get(item->id)->state, ItemState::kApproved);
}

TEST_P(QuarantineTest, AnActionWhoseAuditRecordFailsDoesNotHappen) {
  auto item = store_->put(mail_submission("m"));
  sink_.fail = true;
  auto req = store_->request_release(item->id, staff_, "r");
  ASSERT_FALSE(req);
  EXPECT_EQ(req.error().code, "audit.test");
  EXPECT_EQ(store_->get(item->id)->state, ItemState::kHeld);
  auto put = store_->put(mail_submission("n"));
  ASSERT_FALSE(put);
  auto all = store_->list({});
  EXPECT_EQ(all->size(), 1u);
}

TEST_P(QuarantineTest, PurgeDeletesOnlyExpiredItems) {
  auto short_lived = store_->put(mail_submission("30 days"));
  auto s = mail_submission("a year");
  s.verdict = quarantine::Verdict::kBlocked;
  auto long_lived = store_->put(s);
  ASSERT_TRUE(short_lived && long_lived);
  clock_.advance_days(29);
  EXPECT_EQ(*store_->purge(manager_), 0);
  clock_.advance_days(2);
  EXPECT_EQ(*store_->purge(manager_), 1);
  EXPECT_FALSE(store_->get(short_lived->id));
  EXPECT_TRUE(store_->get(long_lived->id));
  EXPECT_EQ(*store_->export_original(long_lived->id, manager_), "a year");
  auto actions = audit_actions(store_.database());
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "quarantine.purge"), 1);
}

TEST_P(QuarantineTest, ConcurrentPutsAreAllDurableAndDistinct) {
  std::vector<std::thread> threads;
  std::mutex mu;
  std::vector<std::string> ids;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto item = store_->put(mail_submission("thread " + std::to_string(t) + " item " + std::to_string(i)));
        if (!item) {
          ++failures;
          continue;
        }
        std::lock_guard lock(mu);
        ids.push_back(item->id);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_EQ(ids.size(), 100u);
  store_.reset();
  store_ = open_store();
  for (const auto& id : ids) EXPECT_TRUE(store_->export_original(id, manager_)) << id;
}

TEST_P(QuarantineTest, TwoProcessesReleasingAtOnceReleaseExactlyOnce) {
  auto item = store_->put(mail_submission("once"));
  ASSERT_TRUE(store_->request_release(item->id, staff_, "r"));
  fs::path out = t_->dir() / "deliveries";
  fs::create_directories(out);
  store_.reset();  // children open their own connections
  std::vector<pid_t> children;
  for (int c = 0; c < 2; ++c) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto q = open_store();
      if (q == nullptr) _exit(3);
      (void)q->approve(item->id, c == 0 ? manager_ : manager2_, "");
      auto r = q->release(item->id, manager_, [&](const Item&, const std::string& original) -> Result<std::string> {
        std::ofstream(out / ("delivered-" + std::to_string(getpid()))) << original;
        return std::string("file");
      });
      _exit(r ? 0 : 1);
    }
    children.push_back(pid);
  }
  int successes = 0;
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_NE(WEXITSTATUS(status), 3);
    successes += WEXITSTATUS(status) == 0 ? 1 : 0;
  }
  EXPECT_EQ(successes, 1);
  int files = 0;
  for (const auto& e : fs::directory_iterator(out)) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 1);
  store_ = open_store();
  EXPECT_EQ(store_->get(item->id)->state, ItemState::kReleased);
}

INSTANTIATE_TEST_SUITE_P(Backends, QuarantineTest, ::testing::ValuesIn(sanso::testing::test_backends()),
                         sanso::testing::backend_name);

TEST(QuarantineVocabulary, ReleaseDecisionsRoundTripAndRejectOtherWords) {
  for (ReleaseDecision d : {ReleaseDecision::kNone, ReleaseDecision::kApproved, ReleaseDecision::kDenied}) {
    auto back = parse_decision(to_string(d), "here");
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(*back, d);
  }
  EXPECT_EQ(to_string(ReleaseDecision::kNone), "");  // as stored for an open request
  EXPECT_EQ(to_string(ReleaseDecision::kApproved), "approved");
  EXPECT_EQ(decision_label(ReleaseDecision::kApproved, "ja"), "承認");
  EXPECT_EQ(decision_label(ReleaseDecision::kDenied, "en"), "Denied");
  EXPECT_EQ(decision_label(ReleaseDecision::kNone, "ja"), "");
  for (const char* word : {"approve", "Approved", "deny", " ", "held"}) {
    auto bad = parse_decision(word, "row 7");
    ASSERT_FALSE(bad) << word;
    EXPECT_EQ(bad.error().code, "quarantine.value");
    EXPECT_EQ(bad.error().where, "row 7");
    EXPECT_NE(bad.error().message.find("approved, denied"), std::string::npos) << bad.error().message;
  }
}

// The CLI and the console name a state with the same words: both ask state_label.
TEST(QuarantineVocabulary, StateLabelsAreOnePerStateAndLanguage) {
  std::set<std::string_view> ja, en;
  for (ItemState s : all_states()) {
    EXPECT_TRUE(ja.insert(state_label(s, "ja")).second) << to_string(s);
    EXPECT_TRUE(en.insert(state_label(s, "en")).second) << to_string(s);
    auto back = parse_state(to_string(s), "here");
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(state_label(ItemState::kHeld, "ja"), "保留中");
  EXPECT_EQ(state_label(ItemState::kHeld, "en"), "Held");
  // Any other word is refused with what, where and the words allowed (a filter that silently
  // matched nothing, or everything, would mislead).
  for (const char* word : {"", "Held", "held ", "release-requested", "保留中"}) {
    auto bad = parse_state(word, "--state");
    ASSERT_FALSE(bad) << word;
    EXPECT_EQ(bad.error().code, "quarantine.value");
    EXPECT_EQ(bad.error().where, "--state");
    EXPECT_NE(bad.error().message.find("held, release_requested, approved"), std::string::npos) << bad.error().message;
  }
  EXPECT_EQ(state_names(), "held, release_requested, approved, releasing, released, denied, damaged");
  for (Origin::Kind kind : {Origin::Kind::kMail, Origin::Kind::kFile}) {
    auto back = parse_origin_kind(to_string(kind), "here");
    ASSERT_TRUE(back) << back.error().to_string();
    EXPECT_EQ(*back, kind);
  }
  EXPECT_EQ(to_string(Origin::Kind::kMail), "mail");
  EXPECT_FALSE(parse_origin_kind("Mail", "w"));
  EXPECT_FALSE(parse_origin_kind("", "w"));
}

}  // namespace
}  // namespace sanso::quarantine
