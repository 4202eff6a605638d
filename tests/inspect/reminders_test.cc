// Reminders mailed through a real SMTP listener (Postfix's smtp-sink), on both backends: what
// falls due is gathered per person responsible into one digest (Japanese, then English), a second
// run the same day sends nothing new because what was sent is recorded, and a relay that is down
// records nothing as sent.
#include "inspect/reminders.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "mail/smtp_client.h"
#include "mime/notice_mail.h"
#include "register/register.h"
#include "support/audited_store.h"
#include "support/notice_text.h"
#include "support/smtp_sink.h"

namespace sanso::inspect {
namespace {

namespace fs = std::filesystem;

class RemindersTest : public sanso::testing::AuditedStoreTest {
 protected:
  void SetUp() override {
    AuditedStoreTest::SetUp();
    dump_ = fs::temp_directory_path() / ("sanso-remind-" + sanso::testing::random_hex(4));
    regs_ = std::make_unique<registers::Registers>(*db_, *log_, clock_, &policy_);
    ASSERT_TRUE(regs_->seed_from_policy("test"));
    users_ = {{"kato", "加藤", {"ciso"}, "", "kato@city.example.lg.jp"},
              {"suzuki", "鈴木", {"general_security_officer"}, "", "suzuki@city.example.lg.jp"},
              {"tanaka", "田中", {}, "", ""}};
  }
  void TearDown() override { fs::remove_all(dump_); }

  // Sends through `relay` as the CLI does: compose_notice, then SMTP with the null sender.
  SendDigest sender(const std::string& relay) {
    return [relay, this](const std::string& to, const std::string& subject, const std::string& body) -> Result<std::string> {
      mime::NoticeMail n;
      n.from = "postmaster";
      n.to = {to};
      n.subject = subject;
      n.body = body;
      n.node = "test";
      const auto composed = SANSO_TRY(mime::compose_notice(n));
      mail::SmtpOptions smtp{relay, "test"};
      smtp.timeout = std::chrono::seconds(5);
      ++attempts_;
      return mail::send_mail(smtp, mail::SmtpEnvelope{"", {to}}, composed.message);
    };
  }

  Result<RemindOutcome> run(const std::string& relay, bool dry_run = false) {
    RemindOptions o;
    o.days = 30;
    o.dry_run = dry_run;
    return send_reminders(*db_, *log_, clock_, policy_, users_, {"ciso"}, o, sender(relay));
  }

  std::int64_t count(const std::string& sql) {
    auto row = db_->query_one(sql);
    EXPECT_TRUE(row && *row);
    return row && *row ? (*row)->integer(0) : -1;
  }

  fs::path dump_;
  std::unique_ptr<registers::Registers> regs_;
  std::vector<config::Operator> users_;
  int attempts_ = 0;
};

TEST_P(RemindersTest, DueItemsAreMailedOncePerPersonAndDayThroughARealListener) {
  // Today is 2026-12-01. The review falls due in 20 days, a contractor clause is overdue, a
  // corrective action is past due (its owner has no address: the inspector role's kato gets it);
  // the policy's exception expires in 2027-03 (not within 30 days).
  ASSERT_TRUE(regs_->put(registers::Kind::kReviews, {{"id", "R2025"}, {"reviewed_on", "2025-12-21"}, {"reviewer", "suzuki"}, {"decision", "approved"},
                                                     {"approved_by", "kato"}, {"next_review", "2026-12-21"}},
                         false, "suzuki"));
  ASSERT_TRUE(regs_->put(registers::Kind::kContractors,
                         {{"id", "juki_vendor"}, {"required_clauses", "秘密保持"}, {"responsible", "suzuki"}, {"next_check", "2027-06-01"}}, true, "tanaka"));
  ASSERT_TRUE(regs_->add_contract_check("juki_vendor", {{"clause", "秘密保持"}, {"checked_on", "2026-06-01"}, {"result", "pass"},
                                                        {"checked_by", "suzuki"}, {"next_check", "2026-11-20"}},
                                        "tanaka"));
  ASSERT_TRUE(db_->execute("INSERT INTO inspect_actions (body, campaign, item, clause, finding, description, owner, due, created_by, created_at) "
                           "VALUES ('mayor', 'c1', 'M-01', '7', 'no', 'USBの管理簿を整える', 'tanaka', '2026-11-15', 'kato', 0)"));

  const auto planned = run("127.0.0.1:1", true);
  ASSERT_TRUE(planned) << planned.error().to_string();
  EXPECT_EQ(attempts_, 0) << "a dry run sends nothing";
  EXPECT_EQ(count("SELECT COUNT(*) FROM register_reminders"), 0);

  sanso::testing::SmtpSink sink(dump_);
  const auto logged = entries();
  const auto first = run(sink.relay());
  ASSERT_TRUE(first) << first.error().to_string();
  ASSERT_FALSE(first->failure) << first->failure->to_string();
  // kato: the review (approver) and the action of tanaka, who has no address (kato holds the
  // inspector's fallback role); suzuki: the review (reviewer) and the contract clause.
  ASSERT_EQ(first->sent.size(), 2u);
  EXPECT_EQ(first->sent[0].name, "kato");
  EXPECT_EQ(first->sent[0].items.size(), 2u);
  EXPECT_EQ(first->sent[1].name, "suzuki");
  EXPECT_EQ(first->sent[1].items.size(), 2u);
  ASSERT_TRUE(first->audit_index);
  EXPECT_EQ(entries(), logged + 1);
  EXPECT_EQ(actions_logged().back(), "register.remind");

  const auto mails = sink.messages(2);
  ASSERT_EQ(mails.size(), 2u);
  std::string to_suzuki;
  for (const auto& m : mails) {
    if (m.find("suzuki@city.example.lg.jp") != std::string::npos) to_suzuki = sanso::testing::notice_text(m.substr(m.find("Date:")));
  }
  ASSERT_FALSE(to_suzuki.empty()) << mails[0];
  const auto ja = to_suzuki.find("ポリシーの見直し（8）の期限 2026-12-21（あと 20 日）");
  const auto clause = to_suzuki.find("契約条項「秘密保持」の確認の期限 2026-11-20（11 日超過）");
  const auto en = to_suzuki.find("Policy review (8) due 2026-12-21 (in 20 days)");
  ASSERT_NE(ja, std::string::npos) << to_suzuki;
  ASSERT_NE(clause, std::string::npos) << to_suzuki;
  ASSERT_NE(en, std::string::npos) << to_suzuki;
  EXPECT_LT(ja, en) << "Japanese first, English below";

  // The same day again: nothing new is sent, nothing recorded.
  attempts_ = 0;
  const auto again = run(sink.relay());
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_TRUE(again->sent.empty());
  EXPECT_EQ(again->already_sent, 4u);
  EXPECT_EQ(attempts_, 0);
  EXPECT_FALSE(again->audit_index);
  EXPECT_EQ(entries(), logged + 1);
  EXPECT_EQ(sink.messages(2).size(), 2u);

  // A new item the same day goes out alone; the next day everything is reminded again.
  ASSERT_TRUE(regs_->put(registers::Kind::kCloud, {{"id", "lgwan_asp"}, {"name", "LGWAN-ASP"}, {"ceiling", "2"}, {"review_date", "2026-12-05"},
                                                   {"responsible_role", "ciso"}},
                         false, "tanaka"));
  const auto added = run(sink.relay());
  ASSERT_TRUE(added) << added.error().to_string();
  ASSERT_EQ(added->sent.size(), 1u);
  EXPECT_EQ(added->sent[0].items.size(), 1u);
  EXPECT_NE(added->sent[0].items[0].item.find("cloud/lgwan_asp"), std::string::npos);
  clock_ = FixedClock(Date{2026, 12, 2});
  const auto next_day = run(sink.relay());
  ASSERT_TRUE(next_day) << next_day.error().to_string();
  EXPECT_EQ(next_day->sent.size(), 2u);
}

// A section's shared mailbox: two people with one address (in any case) get one digest, and one
// record of it — keyed by the address, as what was sent is (review, session 16).
TEST_P(RemindersTest, PeopleWhoShareAMailboxGetOneDigestAndOneRecord) {
  users_ = {{"kato", "加藤", {"ciso"}, "", "johosei@city.example.lg.jp"}, {"sato", "佐藤", {"ciso"}, "", "JOHOSEI@city.example.lg.jp"}};
  ASSERT_TRUE(regs_->put(registers::Kind::kCloud, {{"id", "lgwan_asp"}, {"name", "LGWAN-ASP"}, {"ceiling", "2"}, {"review_date", "2026-12-05"},
                                                   {"responsible_role", "ciso"}},
                         false, "tanaka"));
  sanso::testing::SmtpSink sink(dump_);
  const auto sent = run(sink.relay());
  ASSERT_TRUE(sent) << sent.error().to_string();
  ASSERT_FALSE(sent->failure) << sent->failure->to_string();
  ASSERT_EQ(sent->sent.size(), 1u);
  EXPECT_EQ(sent->sent[0].items.size(), 1u);
  EXPECT_EQ(attempts_, 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM register_reminders"), 1);
}

TEST_P(RemindersTest, ARelayThatIsDownRecordsNothingAsSent) {
  ASSERT_TRUE(regs_->put(registers::Kind::kReviews, {{"id", "R2025"}, {"reviewed_on", "2025-12-21"}, {"reviewer", "suzuki"}, {"decision", "approved"},
                                                     {"approved_by", "kato"}, {"next_review", "2026-12-21"}},
                         false, "suzuki"));
  const auto logged = entries();
  const auto down = run("127.0.0.1:" + std::to_string(sanso::testing::free_tcp_port()));
  ASSERT_TRUE(down) << down.error().to_string();
  ASSERT_TRUE(down->failure);
  EXPECT_EQ(down->failure->code, "register.remind-failed");
  EXPECT_NE(down->failure->message.find("not recorded as sent"), std::string::npos) << down->failure->to_string();
  EXPECT_TRUE(down->sent.empty());
  EXPECT_EQ(count("SELECT COUNT(*) FROM register_reminders"), 0);
  EXPECT_EQ(entries(), logged);

  // Nobody with an address: listed as unaddressed, nothing sent.
  users_ = {};
  const auto nobody = run("127.0.0.1:1");
  ASSERT_TRUE(nobody) << nobody.error().to_string();
  EXPECT_TRUE(nobody->sent.empty());
  ASSERT_EQ(nobody->unaddressed.size(), 1u);
  EXPECT_NE(nobody->unaddressed[0].item.find("reviews/R2025"), std::string::npos);
}

SANSO_ON_EVERY_BACKEND(RemindersTest);

}  // namespace
}  // namespace sanso::inspect
