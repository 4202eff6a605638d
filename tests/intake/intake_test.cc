// The one intake pipeline on a real store and audit log: what the policy decides is what happens
// to the output, and an item stands or falls with its audit record and the caller's own writes.
#include "intake/intake.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "audit/log.h"
#include "core/clock.h"
#include "policy/load.h"
#include "quarantine/quarantine.h"
#include "store/database.h"
#include "store/schema.h"
#include "support/example_policy.h"
#include "support/failing_audit.h"
#include "support/open_quarantine.h"
#include "support/test_store.h"

namespace sanso::intake {
namespace {

const char* kMail =
    "From: 業者 <vendor@example.com>\r\nTo: kikaku@city.minamata.lg.jp\r\nSubject: hello\r\nMessage-ID: <m1@example.com>\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nhello\r\n";

class IntakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    store_dir_ = std::make_unique<sanso::testing::TestStore>(store::Backend::kSqlite);
    auto db = store_dir_->open();
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(store::migrate(*db));
    log_ = std::make_unique<audit::AuditLog>(audit::LogOptions{});
    quarantine::QuarantineStore::Options o;
    o.settings.retention.default_days = 30;
    o.settings.approver_roles = {"security_manager"};
    o.blob_dir = (store_dir_->dir() / "blobs").string();
    o.key_file = (store_dir_->dir() / "quarantine.key").string();
    o.audit = log_.get();
    auto q = sanso::testing::OpenQuarantine::open(std::move(db), o);
    ASSERT_TRUE(q) << q.error().to_string();
    store_ = std::move(q).value();
    use_policy("");
  }

  // The example city's policy with `extra_rules` (TOML) added.
  void use_policy(const std::string& extra_rules) {
    auto example = sanso::testing::example_policy(extra_rules);
    ASSERT_NE(example.compiled, nullptr);
    policy_ = std::move(example.policy);
    compiled_ = std::move(example.compiled);
  }

  std::int64_t count(const std::string& sql) {
    auto row = store_.database().query_one(sql);
    return row && row->has_value() ? (*row)->integer(0) : -1;
  }

  static cdr::CdrResult engine(std::string_view bytes, std::string_view name) { return cdr::sanitize(bytes, name, cdr::CdrPolicy{}); }
  static mail::SanitizePlan mail_engine(std::string_view raw, const mail::SanitizeOptions& o) { return mail::sanitize_message(raw, o); }

  const Route route_{"internet", "lgwan", "kato"};
  std::unique_ptr<sanso::testing::TestStore> store_dir_;
  std::unique_ptr<audit::AuditLog> log_;
  sanso::testing::OpenQuarantine store_;
  std::unique_ptr<policy::Policy> policy_;
  std::unique_ptr<policy::CompiledPolicy> compiled_;
};

TEST_F(IntakeTest, AFileIsRebuiltKeptAndRecordedWithTheRuleItRestsOn) {
  Intake intake(compiled_.get(), &*store_, log_.get());
  auto out = intake.take_file(FileItem{"氏名,所属\n田中,企画\n", "2026/名簿.csv", route_}, engine);
  ASSERT_TRUE(out) << out.error().to_string();
  EXPECT_NE(out->result.verdict, cdr::Verdict::blocked);
  ASSERT_TRUE(out->ruling);
  EXPECT_EQ(out->ruling->rule_id(), "profile.inet-lgwan-file");
  auto item = store_->get(out->quarantine_id);
  ASSERT_TRUE(item) << item.error().to_string();
  EXPECT_EQ(item->origin.file_name, "2026/名簿.csv");
  EXPECT_EQ(item->origin.uploader, "kato");
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'file.sanitize'"), 1);
}

TEST_F(IntakeTest, ARuleThatNeedsApprovalBlocksTheOutputAndNamesItsApprover) {
  use_policy("[[rules]]\nid = \"city.files-need-approval\"\nfrom = \"internet\"\nto = \"lgwan\"\nchannels = [\"file\", \"mail\"]\naction = \"approve\"\n"
             "approver = \"security_manager\"\nclause = \"6(3)②\"\nreason = \"承認を要する\"\n");
  Intake intake(compiled_.get(), &*store_, log_.get());
  auto file = intake.take_file(FileItem{"plain text\n", "memo.txt", route_}, engine);
  ASSERT_TRUE(file) << file.error().to_string();
  EXPECT_EQ(file->result.verdict, cdr::Verdict::blocked);
  EXPECT_TRUE(file->result.output.empty());
  EXPECT_EQ(file->result.reason, "policy-approval");
  auto item = store_->get(file->quarantine_id);
  ASSERT_TRUE(item);
  EXPECT_EQ(item->approver_role, "security_manager") << "only the role the rule names may release it";

  MailItem m;
  m.raw = kMail;
  m.route = route_;
  auto mail = intake.take_mail(m, mail_engine);
  ASSERT_TRUE(mail) << mail.error().to_string();
  EXPECT_EQ(mail->plan.verdict, mail::Verdict::kHeld);
  EXPECT_NE(mail->plan.reason.find("city.files-need-approval"), std::string::npos);
  EXPECT_NE(mail->message.find(mail->quarantine_id), std::string::npos) << "the notice names the original's id";
  auto held = store_->get(mail->quarantine_id);
  ASSERT_TRUE(held);
  EXPECT_EQ(held->approver_role, "security_manager");
  EXPECT_EQ(held->origin.envelope_from, "vendor@example.com") << "from the headers when there is no envelope";
}

TEST_F(IntakeTest, AnItemStandsOrFallsWithItsRecordAndTheCallersWrites) {
  Intake intake(compiled_.get(), &*store_, log_.get());
  MailItem m;
  m.raw = kMail;
  m.route = route_;
  m.with_item = [](store::Database&) -> Result<void> { return make_error("test.refused", "sender history", "the caller's write failed"); };
  auto refused = intake.take_mail(m, mail_engine);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "test.refused");
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 0);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'mail.sanitize'"), 0);

  sanso::testing::make_audit_writes_fail(store_.database());
  auto file = intake.take_file(FileItem{"x\n", "x.txt", route_}, engine);
  ASSERT_FALSE(file);
  EXPECT_NE(file.error().to_string().find("injected audit failure"), std::string::npos) << file.error().to_string();
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 0) << "no item without its record";
}

TEST_F(IntakeTest, WithoutAStoreNothingIsKeptAndWithoutAPolicyNoRuleDecides) {
  Intake bare(nullptr, nullptr, nullptr);
  EXPECT_FALSE(bare.keeps_originals());
  auto out = bare.take_file(FileItem{"x\n", "x.txt", route_}, engine);
  ASSERT_TRUE(out);
  EXPECT_FALSE(out->ruling);
  EXPECT_TRUE(out->quarantine_id.empty());
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 0);
  // A store without its log would keep originals nobody records: it counts as no store.
  Intake half(compiled_.get(), &*store_, nullptr);
  EXPECT_FALSE(half.keeps_originals());
  // A route the policy does not know is an error that names it, not a guess.
  Intake ruled(compiled_.get(), nullptr, nullptr);
  auto unknown = ruled.take_file(FileItem{"x\n", "x.txt", Route{"internet", "nowhere", "kato"}}, engine);
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().to_string().find("nowhere"), std::string::npos) << unknown.error().to_string();
}

TEST_F(IntakeTest, AHeldMailIsKeptWithItsRecordOnceHoweverOftenItIsRetried) {
  Intake intake(compiled_.get(), &*store_, log_.get());
  HeldMail m;
  m.raw = kMail;
  m.actor = "milter@gw-test";
  m.reason = "承認が必要";
  m.approver_role = "security_manager";
  m.retry_key = "delivery-1";
  int counted = 0;
  m.with_item = [&counted](store::Database&) -> Result<void> {
    ++counted;
    return ok();
  };
  m.record = [](const std::string& id, const std::string& input_sha256) {
    store::AuditEvent e;
    e.actor = "milter@gw-test";
    e.action = "mail.gateway";
    e.subject = id;
    e.outcome = "held";
    e.input_sha256 = input_sha256;
    return e;
  };
  auto first = intake.hold_mail(m);
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_FALSE(first->repeated);
  auto item = store_->get(first->quarantine_id);
  ASSERT_TRUE(item) << item.error().to_string();
  EXPECT_EQ(item->verdict, "held");
  EXPECT_EQ(item->approver_role, "security_manager");
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'mail.gateway' AND record LIKE '%" + first->quarantine_id + "%'"), 1);
  // The same delivery again: the same item, nothing kept, recorded or written a second time.
  auto again = intake.hold_mail(m);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_TRUE(again->repeated);
  EXPECT_EQ(again->quarantine_id, first->quarantine_id);
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'mail.gateway'"), 1);
  EXPECT_EQ(counted, 1);
  // Another delivery is another item; one whose record fails is not kept at all.
  m.retry_key = "delivery-2";
  sanso::testing::make_audit_writes_fail(store_.database());
  auto failed = intake.hold_mail(m);
  ASSERT_FALSE(failed);
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 1);
  ASSERT_TRUE(store_.database().execute_script("DELETE FROM fail_audit"));
  auto second = intake.hold_mail(m);
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_FALSE(second->repeated);
  EXPECT_NE(second->quarantine_id, first->quarantine_id);
  // Holding needs the caller's record of its decision, and a store.
  m.record = nullptr;
  m.retry_key = "delivery-3";
  auto unrecorded = intake.hold_mail(m);
  ASSERT_FALSE(unrecorded);
  EXPECT_EQ(unrecorded.error().code, "intake.input");
  Intake bare(nullptr, nullptr, nullptr);
  EXPECT_EQ(bare.hold_mail(m).error().code, "intake.no-store");
}

}  // namespace
}  // namespace sanso::intake
