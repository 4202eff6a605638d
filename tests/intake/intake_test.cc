// The one intake pipeline on a real store and audit log: what the policy decides is what happens
// to the output, and an item stands or falls with its audit record and the caller's own writes.
#include "intake/intake.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "audit/log.h"
#include "intake/batch.h"
#include "sandbox/sandbox.h"
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

// The gateway's record of a hold, as a caller of hold_mail writes it.
store::AuditEvent held_record(const std::string& id, const std::string& input_sha256) {
  store::AuditEvent e;
  e.actor = "milter@gw-test";
  e.action = "mail.gateway";
  e.subject = id;
  e.outcome = "held";
  e.input_sha256 = input_sha256;
  return e;
}

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

  // `raw` taken in on the test's route through the real mail engine.
  Result<MailOutcome> take_mail_on_route(Intake& intake, std::string_view raw) const {
    MailItem m;
    m.raw = raw;
    m.route = route_;
    return intake.take_mail(m, mail_engine);
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
  // No envelope, none made up from the headers (the sender writes them; a release by mail would
  // go where they say).
  EXPECT_EQ(held->origin.envelope_from, "");
  EXPECT_TRUE(held->origin.envelope_to.empty());
}

// Issue #17 (review18a 11): what the outgoing check could not read goes to the most senior of the
// approvers its levels name and the flow's own rule's — by the roles' reports_to lines — never to a
// higher level's junior approver in place of the rule's own senior one.
TEST_F(IntakeTest, AnUnreadableItemGoesToTheMostSeniorApproverByTheReportingLines) {
  auto at_level_1 = [&](const std::string& approver) {
    use_policy("[[rules]]\nid = \"city.level1-mail\"\nfrom = \"lgwan\"\nto = \"internet\"\nchannels = [\"mail\"]\nmax_confidentiality = \"1\"\n"
               "action = \"approve\"\napprover = \"" + approver + "\"\nclause = \"6(2)\"\nreason = \"承認を要する\"\n");
    auto own = compiled_->decide(policy::RequestNames{"lgwan", "internet", "mail", "1", "", ""});
    EXPECT_TRUE(own && own->approver() == approver);
    const DecideAtLevel decide = [&](std::string_view level) { return compiled_->decide(policy::RequestNames{"lgwan", "internet", "mail", level, "", ""}); };
    return approver_for_unchecked(*policy_, "1", decide, own ? own->approver() : "");
  };
  // Level 1 approved by the CISO, level 2 (the city's rule) by the security manager, who reports
  // to the CISO through two roles: the CISO decides, not the level-2 rule's junior role.
  auto ciso = at_level_1("ciso");
  ASSERT_TRUE(ciso) << ciso.error().to_string();
  EXPECT_EQ(*ciso, "ciso");
  // A system administrator reports to the security manager: the level-2 approver is the senior.
  auto manager = at_level_1("system_admin");
  ASSERT_TRUE(manager) << manager.error().to_string();
  EXPECT_EQ(*manager, "security_manager");
  // The contractor reports to no one: no order, no guess — an error (`sanso policy check` refuses
  // such a policy: approvers-unordered).
  auto unordered = at_level_1("contractor");
  ASSERT_FALSE(unordered);
  EXPECT_EQ(unordered.error().code, "policy.approvers-unordered") << unordered.error().to_string();
  // A level the policy cannot decide is an error, not skipped.
  const DecideAtLevel broken = [&](std::string_view level) { return compiled_->decide(policy::RequestNames{"lgwan", "nowhere", "mail", level, "", ""}); };
  EXPECT_FALSE(approver_for_unchecked(*policy_, "1", broken, ""));
  EXPECT_FALSE(approver_for_unchecked(*policy_, "9", broken, "")) << "an unknown level";
  EXPECT_EQ(policy_->senior_role("staff", "system_admin"), "security_manager") << "their nearest common superior";
  EXPECT_EQ(policy_->senior_role("general_security_officer", "security_manager"), "general_security_officer");
  EXPECT_EQ(policy_->senior_role("contractor", "ciso"), "");
  EXPECT_EQ(policy_->senior_role("nobody", "nobody"), "");
}

// The item's row is not encrypted: its report keeps the findings, never the mail's words, which
// stay in the sealed original until a four-eyes release.
TEST_F(IntakeTest, AKeptMailsReportHoldsNoneOfItsWords) {
  Intake intake(compiled_.get(), &*store_, log_.get());
  MailItem m;
  m.raw = "From: 業者 <vendor@example.com>\r\nSubject: hello\r\nMessage-ID: <m2@example.com>\r\nMIME-Version: 1.0\r\n"
          "Content-Type: text/html; charset=UTF-8\r\n\r\n<p>口座番号は 1234567 です</p>\r\n";
  m.route = route_;
  auto taken = intake.take_mail(m, mail_engine);
  ASSERT_TRUE(taken) << taken.error().to_string();
  EXPECT_NE(taken->message.find("Content-Type: text/plain"), std::string::npos);
  auto item = store_->get(taken->quarantine_id);
  ASSERT_TRUE(item) << item.error().to_string();
  EXPECT_EQ(item->report_json.find("1234567"), std::string::npos) << item->report_json;
  EXPECT_EQ(item->report_json.find("\"body\""), std::string::npos) << item->report_json;
  EXPECT_NE(item->report_json.find("\"parts\""), std::string::npos) << "the findings are still there: " << item->report_json;
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

// A file the caller refused before any engine saw it (a part of a download, a coding it cannot
// remove) is kept as it came, with the caller's record naming the reason, or not at all.
TEST_F(IntakeTest, ARefusedFileIsKeptAsItCameWithTheCallersRecordOrNotAtAll) {
  Intake intake(compiled_.get(), &*store_, log_.get());
  const std::string bytes = "\x1F\x8B not a gzip stream";
  const Refusal refusal{"icap.download", "Content-Encoding on a download: the stream is truncated", "", "", {{"client", "10.30.1.5"}}};
  auto id = intake.keep_refused(FileItem{bytes, "a.pdf", route_}, refusal);
  ASSERT_TRUE(id) << id.error().to_string();
  auto original = store_->read_for_service(*id);
  ASSERT_TRUE(original) << original.error().to_string();
  EXPECT_EQ(*original, bytes);
  auto item = store_->get(*id);
  ASSERT_TRUE(item);
  EXPECT_EQ(item->origin.file_name, "a.pdf");
  EXPECT_EQ(item->origin.uploader, "kato");
  EXPECT_EQ(item->reason, refusal.reason);
  auto record = store_.database().query_one("SELECT record FROM audit_entries WHERE action = 'icap.download'");
  ASSERT_TRUE(record && record->has_value());
  const std::string json = (*record)->text(0);
  for (const std::string& field : {"\"quarantine_id\":\"" + *id + "\"", std::string("\"outcome\":\"blocked\""), std::string("\"client\":\"10.30.1.5\""),
                                   std::string("the stream is truncated"), "\"input_sha256\":\"" + item->sha256 + "\""}) {
    EXPECT_NE(json.find(field), std::string::npos) << field << "\n" << json;
  }

  sanso::testing::make_audit_writes_fail(store_.database());
  auto failed = intake.keep_refused(FileItem{"x", "x.bin", route_}, refusal);
  ASSERT_FALSE(failed);
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 1) << "no item without its record";
  Intake bare(nullptr, nullptr, nullptr);
  auto nowhere = bare.keep_refused(FileItem{"x", "x.bin", route_}, refusal);
  ASSERT_FALSE(nowhere);
  EXPECT_EQ(nowhere.error().code, "intake.no-store");
}

// Issue #17: a 個人番号 (123456789018) or 法人番号 (7000012050002) in what the engine says of a
// file (its message, a finding's member path), in a Message-ID, an envelope address or a caller's
// record reaches neither the audit log nor the quarantine's listing whole; the original is kept as
// it came, and so is the envelope a release delivers to.
TEST_F(IntakeTest, NumbersInWhatIsRecordedAndListedAreMaskedWherePeopleWroteThem) {
  Intake intake(compiled_.get(), &*store_, log_.get());
  const FileSanitizer numbered = [](std::string_view, std::string_view) {
    cdr::CdrResult r;
    r.verdict = cdr::Verdict::blocked;
    r.type = "zip";
    r.reason = "encrypted";
    r.message = "a.zip/山田_123456789018.csv: the member is encrypted";
    r.findings.push_back({cdr::FindingKind::kEncrypted, "a.zip/山田_123456789018.csv", cdr::FindingAction::kBlocked});
    return r;
  };
  auto file = intake.take_file(FileItem{"PK bytes", "7000012050002.zip", route_}, numbered);
  ASSERT_TRUE(file) << file.error().to_string();
  EXPECT_EQ(file->result.findings[0].location, "a.zip/山田_123456789018.csv") << "the caller's own result is not changed";
  auto kept = store_->read_for_service(file->quarantine_id);
  ASSERT_TRUE(kept);
  EXPECT_EQ(*kept, "PK bytes");
  auto item = store_->get(file->quarantine_id);
  ASSERT_TRUE(item);
  EXPECT_NE(item->report_json.find("a.zip/山田_********9018.csv"), std::string::npos) << item->report_json;
  EXPECT_NE(item->reason.find("山田_********9018.csv"), std::string::npos) << item->reason;

  const std::string raw = "From: a@city.minamata.lg.jp\r\nTo: b@example.com\r\nSubject: x\r\nMessage-ID: <123456789018@example.com>\r\n"
                          "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n山田 1234-5678-9018\r\n";
  MailItem m;
  m.raw = raw;
  m.route = route_;
  m.envelope_from = "7000012050002@example.com";
  m.envelope_to = {"123456789018@city.minamata.lg.jp"};
  auto mail = intake.take_mail(m, mail_engine);
  ASSERT_TRUE(mail) << mail.error().to_string();
  auto listed = store_->get(mail->quarantine_id);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->origin.message_id, "<********9018@example.com>");
  ASSERT_EQ(listed->origin.envelope_to.size(), 1u);
  EXPECT_EQ(listed->origin.envelope_to[0], "123456789018@city.minamata.lg.jp") << "a release delivers to the address as written";

  HeldMail h{.raw = raw, .actor = "milter@gw-test", .message_id = "<123456789018@example.com>", .reason = "個人番号を検出: a.zip/123456789018.csv", .retry_key = "masked-1"};
  h.record = [](const std::string& id, const std::string& input_sha256) {
    store::AuditEvent e = held_record(id, input_sha256);
    e.details = {{"quarantine_id", id}, {"sender", "7000012050002@example.com"}, {"recipients", "123456789018@city.minamata.lg.jp"},
                 {"error", "mail.scan at <1234 5678 9018@x>: broken"}};
    return e;
  };
  auto held = intake.hold_mail(h);
  ASSERT_TRUE(held) << held.error().to_string();
  EXPECT_GE(count("SELECT COUNT(*) FROM audit_entries WHERE record LIKE '%********9018@city.minamata.lg.jp%'"), 1) << "recorded, masked";
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'mail.gateway' AND record LIKE '%" + held->quarantine_id + "%'"), 1) << "the id kept as it is";
  for (const char* digits : {"12345678", "1234 5678", "70000120"}) {
    const std::string like = std::string("'%") + digits + "%'";
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE record LIKE " + like), 0) << digits;
    EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items WHERE subject LIKE " + like + " OR reason LIKE " + like + " OR file_name LIKE " + like +
                    " OR message_id LIKE " + like + " OR report LIKE " + like),
              0)
        << digits;
  }
}

// Issue #17: a number written in RFC 2047 encoded-words has no digit in its bytes; a reader shows
// it decoded. The kept report's headers, the listing's subject and Message-ID and the audit
// record's subject hold the decoded text, masked, and none of the words that carried it.
TEST_F(IntakeTest, NumbersInEncodedWordsAreMaskedWhereverAHeaderIsKept) {
  Intake intake(compiled_.get(), &*store_, log_.get());
  const std::string raw = "From: a@city.minamata.lg.jp\r\nTo: b@example.com\r\nSubject: =?UTF-8?B?55Wq5Y+3IDEyMzQ1Njc4OTAxOA==?=\r\n"
                          "Message-ID: <=?UTF-8?B?MTIzNDU2Nzg5MDE4?=@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nhello\r\n";
  auto mail = take_mail_on_route(intake, raw);
  ASSERT_TRUE(mail) << mail.error().to_string();
  auto listed = store_->get(mail->quarantine_id);
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->origin.subject, "番号 ********9018");
  EXPECT_EQ(listed->origin.message_id.find("MTIzNDU2Nzg5MDE4"), std::string::npos) << listed->origin.message_id;
  EXPECT_NE(listed->report_json.find("番号 ********9018"), std::string::npos) << listed->report_json;

  HeldMail h{.raw = raw, .actor = "milter@gw-test", .subject = " =?UTF-8?B?55Wq5Y+3IDEyMzQ1Njc4OTAxOA==?=",
             .message_id = "<=?UTF-8?B?MTIzNDU2Nzg5MDE4?=@example.com>", .reason = "承認が必要", .retry_key = "encoded-1"};
  h.record = [](const std::string& id, const std::string& input_sha256) {
    store::AuditEvent e = held_record(id, input_sha256);
    e.details = {{"quarantine_id", id}, {"subject", "=?UTF-8?B?55Wq5Y+3IDEyMzQ1Njc4OTAxOA==?="}};
    return e;
  };
  auto held = intake.hold_mail(h);
  ASSERT_TRUE(held) << held.error().to_string();
  auto kept = store_->get(held->quarantine_id);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->origin.subject, " 番号 ********9018");
  for (const char* hidden : {"MzQ1Njc4OTAxOA", "MTIzNDU2Nzg5MDE4", "12345678"}) {
    const std::string like = std::string("'%") + hidden + "%'";
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE record LIKE " + like), 0) << hidden;
    EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items WHERE subject LIKE " + like + " OR message_id LIKE " + like + " OR report LIKE " + like), 0) << hidden;
  }
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
  m.record = held_record;
  auto first = intake.hold_mail(m);
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_FALSE(first->repeated);
  auto item = store_->get(first->quarantine_id);
  ASSERT_TRUE(item) << item.error().to_string();
  EXPECT_EQ(item->verdict, quarantine::Verdict::kHeld);
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


// The executor a batch hands its jobs to, seen from outside: how many jobs it has at once. Each
// job waits (bounded, so that a serial batch ends and fails instead of hanging) until a second one
// arrives; a batch that takes its items one at a time never gets there.
class ConcurrencyProbe final : public sandbox::Executor {
 public:
  explicit ConcurrencyProbe(sandbox::Executor& inner) : inner_(inner) {}
  Result<std::string> run(std::string_view input) override {
    {
      std::unique_lock lock(mutex_);
      most_ = std::max(most_, ++running_);
      changed_.notify_all();
      changed_.wait_for(lock, std::chrono::seconds(20), [&] { return most_ >= 2; });
    }
    auto out = inner_.run(input);
    std::lock_guard lock(mutex_);
    --running_;
    return out;
  }
  int most() {
    std::lock_guard lock(mutex_);
    return most_;
  }

 private:
  sandbox::Executor& inner_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int running_ = 0;
  int most_ = 0;
};

// Issue #16: `sanso file sanitize DIR` and `sanso mail sanitize --input DIR` take their items
// through take_in_order with kBatchInFlight on a pool of sandboxed workers: several files are in
// the sandbox at once, and every one is still kept and recorded, its outcome handed on in order.
TEST_F(IntakeTest, ABatchHasSeveralFilesInTheSandboxAtOnceAndKeepsAndRecordsEachInOrder) {
  const cdr::CdrPolicy engine_policy;
  auto pool = sandbox::WorkerPool::create(cdr::engine_task(engine_policy), 2);
  ASSERT_TRUE(pool) << pool.error().to_string();
  ConcurrencyProbe probe(**pool);
  Intake intake(compiled_.get(), &*store_, log_.get());
  const FileSanitizer sanitize = [&](std::string_view bytes, std::string_view name) { return cdr::sanitize_sandboxed(probe, bytes, name, engine_policy); };
  std::vector<std::string> files;
  for (int i = 0; i < 12; ++i) files.push_back("番号,式\n" + std::to_string(i) + ",=1+" + std::to_string(i) + "\n");
  std::vector<std::size_t> order;
  std::vector<std::string> kept;
  take_in_order<FileOutcome>(
      files.size(), kBatchInFlight, [&](std::size_t i) { return files[i].size(); },
      [&](std::size_t i) { return intake.take_file(FileItem{files[i], "表" + std::to_string(i) + ".csv", route_}, sanitize); },
      [&](std::size_t i, Result<FileOutcome>& taken) {
        order.push_back(i);
        ASSERT_TRUE(taken) << taken.error().to_string();
        EXPECT_EQ(taken->result.verdict, cdr::Verdict::sanitized) << "the formula is neutralised in the sandbox";
        kept.push_back(taken->quarantine_id);
      });
  EXPECT_GE(probe.most(), 2) << "the batch gave the pool one file at a time";
  ASSERT_EQ(order.size(), files.size());
  for (std::size_t i = 0; i < order.size(); ++i) EXPECT_EQ(order[i], i) << "outcomes are handed on in input order";
  for (std::size_t i = 0; i < kept.size(); ++i) {
    auto item = store_->get(kept[i]);
    ASSERT_TRUE(item) << item.error().to_string();
    EXPECT_EQ(item->origin.file_name, "表" + std::to_string(i) + ".csv");
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM quarantine_items"), 12);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_entries WHERE action = 'file.sanitize'"), 12);
}

// An item that finishes before the ones ahead of it waits for them: the commands' output names and
// reports follow the inputs, never the timing. Item 0 finishes last here, after the other three.
TEST(TakeInOrder, AnOutcomeWaitsForTheItemsAheadOfItAndAFailureIsHandedOnInItsPlace) {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::size_t> finished, handed_on;
  take_in_order<int>(
      4, InFlight{4, 1000}, [](std::size_t) { return 1; },
      [&](std::size_t i) -> Result<int> {
        std::unique_lock lock(mutex);
        // Item 0 waits for all three behind it (not only item 3: the threads start in any order).
        if (i == 0) changed.wait_for(lock, std::chrono::seconds(20), [&] { return finished.size() == 3; });
        finished.push_back(i);
        changed.notify_all();
        if (i == 2) return make_error("test.failed", "item 2", "this item fails");
        return static_cast<int>(i) * 10;
      },
      [&](std::size_t i, Result<int>& outcome) {
        handed_on.push_back(i);
        if (i == 2) {
          EXPECT_FALSE(outcome);
        } else {
          ASSERT_TRUE(outcome);
          EXPECT_EQ(*outcome, static_cast<int>(i) * 10);
        }
      });
  ASSERT_EQ(finished.size(), 4u);
  EXPECT_EQ(finished.back(), 0u) << "item 0 was to finish last";
  EXPECT_EQ(handed_on, (std::vector<std::size_t>{0, 1, 2, 3}));
}

// Items in flight are bounded by their sizes as well as their number: with room for 250 bytes,
// items of 100 run two at a time, and one of 1,000 runs alone — nothing else starts beside it.
TEST(TakeInOrder, ItemsInFlightStayWithinTheBytesAndALargerItemGoesAlone) {
  const std::vector<std::uint64_t> sizes = {100, 100, 100, 1000, 100, 100, 100, 100};
  std::mutex mutex;
  std::uint64_t bytes = 0, most_bytes = 0;
  int running = 0, most_running = 0;
  bool large_ran_alone = true;
  std::vector<std::size_t> handed_on;
  take_in_order<int>(
      sizes.size(), InFlight{8, 250}, [&](std::size_t i) { return sizes[i]; },
      [&](std::size_t i) -> Result<int> {
        {
          std::lock_guard lock(mutex);
          bytes += sizes[i];
          most_bytes = std::max(most_bytes, sizes[i] == 1000 ? 0 : bytes);
          most_running = std::max(most_running, ++running);
          if (sizes[i] == 1000 && running != 1) large_ran_alone = false;
          if (sizes[i] != 1000 && bytes > 1000) large_ran_alone = false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // room for the others to start, were they let
        std::lock_guard lock(mutex);
        bytes -= sizes[i];
        --running;
        return static_cast<int>(i);
      },
      [&](std::size_t i, Result<int>&) { handed_on.push_back(i); });
  EXPECT_EQ(handed_on, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_LE(most_bytes, 250u);
  EXPECT_EQ(most_running, 2) << "two items of 100 fit in 250, and they did run together";
  EXPECT_TRUE(large_ran_alone);
}

// An item of no size (empty, or a file whose size could not be read: review24a M1) counts one
// byte: it never starts beside an item that goes alone. One of unknown size (UINT64_MAX) goes alone.
TEST(TakeInOrder, ItemsOfNoSizeOrUnknownSizeDoNotJoinOneThatGoesAlone) {
  for (const std::uint64_t alone : {std::uint64_t{1000}, UINT64_MAX}) {
    std::vector<std::uint64_t> sizes = {alone};
    sizes.insert(sizes.end(), 20, 0);
    sizes.push_back(alone);
    sizes.insert(sizes.end(), 5, 0);
    std::mutex mutex;
    int running = 0, most_running = 0;
    bool alone_running = false, alone_had_company = false;
    std::vector<std::size_t> handed_on;
    take_in_order<int>(
        sizes.size(), InFlight{64, 100}, [&](std::size_t i) { return sizes[i]; },
        [&](std::size_t i) -> Result<int> {
          const bool is_alone = sizes[i] == alone;
          {
            std::lock_guard lock(mutex);
            most_running = std::max(most_running, ++running);
            if ((is_alone && running != 1) || (!is_alone && alone_running)) alone_had_company = true;
            if (is_alone) alone_running = true;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(is_alone ? 30 : 2));  // room for others to start, were they let
          std::lock_guard lock(mutex);
          if (is_alone) alone_running = false;
          --running;
          return static_cast<int>(i);
        },
        [&](std::size_t i, Result<int>&) { handed_on.push_back(i); });
    EXPECT_EQ(handed_on.size(), sizes.size());
    EXPECT_TRUE(std::is_sorted(handed_on.begin(), handed_on.end()));
    EXPECT_FALSE(alone_had_company) << "an item of no size started beside one that goes alone (" << alone << ")";
    EXPECT_GT(most_running, 1) << "items of no size still run together";
  }
}

}  // namespace
}  // namespace sanso::intake
