// Campaigns on both backends: who may answer and sign, evidence bound to its hash, the lock after
// sign-off, and corrective actions carried into the body's next campaign.
#include "inspect/campaign.h"

#include <gtest/gtest.h>

#include "support/audited_store.h"
#include "support/inspect_template.h"

namespace sanso::inspect {
namespace {

const std::string kDir = sanso::testing::kExampleCityDir;

using sanso::testing::kMonthlyTemplate;

class CampaignTest : public sanso::testing::AuditedStoreTest {
 protected:
  void SetUp() override {
    AuditedStoreTest::SetUp();
    auto clauses = load_clause_list_file(kDir + "inspection/clauses.toml");
    ASSERT_TRUE(clauses) << clauses.error().to_string();
    auto t = load_template(kMonthlyTemplate, "t.toml", *clauses);
    ASSERT_TRUE(t) << t.error().to_string();
    template_ = *t;
    campaigns_ = std::make_unique<Campaigns>(*db_, *log_, clock_);
  }

  Campaign create(const std::string& body, const std::string& month, const std::string& reviewer = "") {
    auto c = campaigns_->create(template_, policy_, {body, month, "tanaka", reviewer}, "admin");
    EXPECT_TRUE(c) << c.error().to_string();
    return c ? *c : Campaign{};
  }

  // Every item answered or evaluated, nothing found.
  void complete(const std::string& id) {
    ASSERT_TRUE(campaigns_->answer(id, "training", Answer::kYes, "", "tanaka"));
    ASSERT_TRUE(campaigns_->answer(id, "physical", Answer::kYes, "", "tanaka"));
    ASSERT_TRUE(results(id, true));
  }

  // What evaluate.h stores, without evaluating: these tests are about the campaign, not the checks.
  Result<std::uint64_t> results(const std::string& id, bool passed, std::string summary = "ok", std::vector<std::uint64_t> evidence = {}) {
    std::vector<AutomaticResult> r = {{"releases", "release-two-person", passed, std::move(summary), std::move(evidence), 0, 0}};
    store::AuditEvent e;
    e.actor = "sanso";
    e.action = "inspect.evaluate";
    e.subject = id;
    return campaigns_->store_results(id, r, e);
  }

  Template template_;
  std::unique_ptr<Campaigns> campaigns_;
};

TEST_P(CampaignTest, CreatesOnePerBodyAndPeriodForABodyOfThePolicy) {
  const Campaign c = create("education", "2026-11");
  EXPECT_EQ(c.id, "t-monthly:education:2026-11");
  EXPECT_EQ(c.items.size(), 3u);
  // November 2026 in Japan: 2026-10-31T15:00Z to 2026-11-30T15:00Z.
  EXPECT_EQ(iso_utc(c.period_start), "2026-10-31T15:00:00Z");
  EXPECT_EQ(iso_utc(c.period_end), "2026-11-30T15:00:00Z");
  auto again = campaigns_->create(template_, policy_, {"education", "2026-11", "suzuki", ""}, "admin");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "inspect.exists");
  auto unknown = campaigns_->create(template_, policy_, {"police", "2026-11", "tanaka", ""}, "admin");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "inspect.unknown-body");
  EXPECT_NE(unknown.error().message.find("教育委員会"), std::string::npos) << unknown.error().message;
  for (const char* bad : {"2026-13", "2026-1", "26-11", "2026", "２０２６-11", "2026-11'; DROP TABLE x"}) {
    auto r = campaigns_->create(template_, policy_, {"mayor", bad, "tanaka", ""}, "admin");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, "inspect.bad-period") << bad;
  }
  auto same = campaigns_->create(template_, policy_, {"mayor", "2026-11", "tanaka", "TANAKA"}, "admin");
  ASSERT_FALSE(same);
  EXPECT_EQ(same.error().code, "inspect.same-person");
  auto listed = campaigns_->list();
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 1u);
}

TEST_P(CampaignTest, AnnualPeriodIsTheFiscalYear) {
  auto b = period_bounds(Period::kAnnual, "2026");
  ASSERT_TRUE(b);
  EXPECT_EQ(iso_utc(b->first), "2026-03-31T15:00:00Z");
  EXPECT_EQ(iso_utc(b->second), "2027-03-31T15:00:00Z");
  EXPECT_FALSE(period_bounds(Period::kAnnual, "2026-04"));
}

TEST_P(CampaignTest, OnlyTheAssigneeAnswersAndOnlyManualItems) {
  const Campaign c = create("mayor", "2026-11");
  auto other = campaigns_->answer(c.id, "training", Answer::kYes, "", "suzuki");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, "inspect.not-assignee");
  auto automatic = campaigns_->answer(c.id, "releases", Answer::kYes, "", "tanaka");
  ASSERT_FALSE(automatic);
  EXPECT_EQ(automatic.error().code, "inspect.automatic-item");
  auto na = campaigns_->answer(c.id, "training", Answer::kNotApplicable, "  ", "tanaka");
  ASSERT_FALSE(na);
  EXPECT_EQ(na.error().code, "inspect.note-required");
  EXPECT_EQ(campaigns_->answer(c.id, "nothing", Answer::kYes, "", "tanaka").error().code, "inspect.no-item");
  EXPECT_EQ(campaigns_->answer(c.id, "training", Answer::kYes, "a\x1b[2Jb", "tanaka").error().code, "inspect.bad-text");
  ASSERT_TRUE(campaigns_->answer(c.id, "training", Answer::kNo, "未実施", "Tanaka"));
  ASSERT_TRUE(campaigns_->answer(c.id, "training", Answer::kYes, "12月に実施", "tanaka"));  // changed while open
  auto answers = campaigns_->answers(c.id);
  ASSERT_TRUE(answers);
  ASSERT_EQ(answers->size(), 1u);
  EXPECT_EQ(answers->front().answer, Answer::kYes);
  EXPECT_EQ(answers->front().note, "12月に実施");
}

// One assignee per item: an item assigned to someone is answered by them (or an inspector), not
// by the campaign's assignee; assigning needs a [[users]] name and the campaign's assignee, its
// creator or an inspector; every assignment is recorded; the report's 点検表 row names who answers.
TEST_P(CampaignTest, AnItemAssignedToSomeoneIsAnsweredByThemOrAnInspectorOnly) {
  const Campaign c = create("mayor", "2026-11");
  const std::vector<std::string> people = {"tanaka", "suzuki", "sato", "kato"};
  auto by_stranger = campaigns_->assign(c.id, "training", "sato", people, "sato");
  ASSERT_FALSE(by_stranger);
  EXPECT_EQ(by_stranger.error().code, "inspect.not-assignee");
  auto unknown = campaigns_->assign(c.id, "training", "nobody", people, "tanaka");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "inspect.unknown-person");
  auto automatic = campaigns_->assign(c.id, "releases", "sato", people, "tanaka");
  ASSERT_FALSE(automatic);
  EXPECT_EQ(automatic.error().code, "inspect.automatic-item");
  const auto logged = entries();
  ASSERT_TRUE(campaigns_->assign(c.id, "training", "SATO", people, "tanaka"));
  EXPECT_EQ(entries(), logged + 1);
  EXPECT_EQ(actions_logged().back(), "inspect.assign");
  EXPECT_EQ((*campaigns_->item_assignees(c.id)).at("training"), "sato");  // as [[users]] spells it

  // The campaign's assignee no longer answers that item; sato does; the other item stays tanaka's.
  auto not_theirs = campaigns_->answer(c.id, "training", Answer::kYes, "", "tanaka");
  ASSERT_FALSE(not_theirs);
  EXPECT_EQ(not_theirs.error().code, "inspect.not-assignee");
  EXPECT_NE(not_theirs.error().message.find("sato"), std::string::npos) << not_theirs.error().message;
  ASSERT_TRUE(campaigns_->answer(c.id, "training", Answer::kYes, "", "sato"));
  EXPECT_EQ(campaigns_->answer(c.id, "physical", Answer::kYes, "", "sato").error().code, "inspect.not-assignee");
  ASSERT_TRUE(campaigns_->answer(c.id, "physical", Answer::kYes, "", "tanaka"));
  // An inspector answers anyone's item.
  ASSERT_TRUE(campaigns_->answer(c.id, "training", Answer::kNo, "再確認", "kato", "", true));

  // Given back to the campaign's assignee.
  ASSERT_TRUE(campaigns_->assign(c.id, "training", "", people, "admin"));  // the creator
  EXPECT_TRUE(campaigns_->item_assignees(c.id)->empty());
  ASSERT_TRUE(campaigns_->answer(c.id, "training", Answer::kYes, "", "tanaka"));
}

TEST_P(CampaignTest, EvidenceIsKeptWholeAndCheckedAgainstItsHash) {
  const Campaign c = create("mayor", "2026-11");
  const std::string content = std::string("研修出席簿\n") + std::string(1000, '\0') + "end";
  auto e = campaigns_->add_evidence(c.id, "training", "出席簿.pdf", content, "tanaka");
  ASSERT_TRUE(e) << e.error().to_string();
  EXPECT_EQ(e->size, static_cast<std::int64_t>(content.size()));
  auto back = campaigns_->evidence_content(c.id, e->id);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(*back, content);
  // Bidirectional overrides and invisible characters would make the name read as another in the
  // report ("出席簿\u202Efdp.exe" shows as "出席簿exe.pdf").
  for (const char* name : {"../../etc/passwd", "a/b.pdf", "", "..", "a\nb.pdf", "c:\\x.pdf", "出席簿\u202Efdp.exe", "出席\u200B簿.pdf",
                           "a\u2066b.pdf", "x\u3164.pdf"}) {
    auto r = campaigns_->add_evidence(c.id, "training", name, "x", "tanaka");
    ASSERT_FALSE(r) << name;
    EXPECT_EQ(r.error().code, "inspect.bad-file-name") << name;
  }
  auto big = campaigns_->add_evidence(c.id, "training", "big.bin", std::string(kMaxEvidenceBytes + 1, 'x'), "tanaka");
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, "inspect.too-large");
  // Someone with database access swaps the file: the read refuses it.
  ASSERT_TRUE(db_->execute("UPDATE inspect_evidence SET content = ? WHERE id = ?", {store::Bytes{"forged"}, e->id}));
  auto forged = campaigns_->evidence_content(c.id, e->id);
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().code, "inspect.evidence-damaged");
  EXPECT_FALSE(campaigns_->evidence_content("t-monthly:education:2026-11", e->id));  // another campaign's id
}

TEST_P(CampaignTest, SignOffNeedsSomeoneElseAndEveryItemAndAnActionPerFinding) {
  const Campaign c = create("mayor", "2026-11");
  EXPECT_EQ(campaigns_->sign_off(c.id, "", "suzuki").error().code, "inspect.incomplete");
  ASSERT_TRUE(campaigns_->answer(c.id, "training", Answer::kYes, "", "tanaka"));
  ASSERT_TRUE(campaigns_->answer(c.id, "physical", Answer::kNo, "鍵が壊れている", "tanaka"));
  auto unevaluated = campaigns_->sign_off(c.id, "", "suzuki");
  ASSERT_FALSE(unevaluated);
  EXPECT_EQ(unevaluated.error().code, "inspect.incomplete");
  EXPECT_NE(unevaluated.error().message.find("releases"), std::string::npos);
  ASSERT_TRUE(results(c.id, true));
  auto no_action = campaigns_->sign_off(c.id, "", "suzuki");
  ASSERT_FALSE(no_action);
  EXPECT_EQ(no_action.error().code, "inspect.finding-without-action");
  EXPECT_NE(no_action.error().message.find("physical"), std::string::npos);

  EXPECT_EQ(campaigns_->add_action(c.id, "training", "再研修", "sato", Date{2027, 1, 31}, "tanaka").error().code, "inspect.no-finding");
  EXPECT_EQ(campaigns_->add_action(c.id, "physical", "鍵を交換", "sato", Date{2026, 11, 30}, "tanaka").error().code, "inspect.bad-due");
  EXPECT_EQ(campaigns_->add_action(c.id, "physical", " ", "sato", Date{2027, 1, 31}, "tanaka").error().code, "inspect.note-required");
  auto action = campaigns_->add_action(c.id, "physical", "鍵を交換する", "sato", Date{2027, 1, 31}, "tanaka");
  ASSERT_TRUE(action) << action.error().to_string();
  EXPECT_NE(action->finding.find("鍵が壊れている"), std::string::npos) << action->finding;

  EXPECT_EQ(campaigns_->sign_off(c.id, "", "tanaka").error().code, "inspect.same-person");  // the assignee
  EXPECT_EQ(campaigns_->sign_off(c.id, "", "TANAKA").error().code, "inspect.same-person");
  ASSERT_TRUE(campaigns_->sign_off(c.id, "確認しました", "suzuki"));
  auto signed_off = campaigns_->get(c.id);
  ASSERT_TRUE(signed_off);
  EXPECT_EQ(signed_off->state, CampaignState::kSignedOff);
  EXPECT_EQ(signed_off->signed_by, "suzuki");
}

// `--as` is a claim: whoever answered as the assignee must not sign off by claiming to be
// someone else from the same operating-system account.
TEST_P(CampaignTest, SignOffIsRefusedFromTheAccountThatAnsweredUnderAnyName) {
  const Campaign c = create("mayor", "2026-11");
  ASSERT_TRUE(campaigns_->answer(c.id, "training", Answer::kYes, "", "tanaka", "uid 1000"));
  ASSERT_TRUE(campaigns_->answer(c.id, "physical", Answer::kYes, "", "tanaka", "uid 1000"));
  ASSERT_TRUE(results(c.id, true));
  auto answers = campaigns_->answers(c.id);
  ASSERT_TRUE(answers);
  ASSERT_EQ(answers->size(), 2u);
  EXPECT_EQ((*answers)[0].answered_account, "uid 1000");

  auto same_account = campaigns_->sign_off(c.id, "", "suzuki", "uid 1000");
  ASSERT_FALSE(same_account) << "signed off from the account that answered";
  EXPECT_EQ(same_account.error().code, "inspect.same-person");
  EXPECT_NE(same_account.error().message.find("uid 1000"), std::string::npos) << same_account.error().message;
  ASSERT_TRUE(campaigns_->get(c.id));
  EXPECT_EQ(campaigns_->get(c.id)->state, CampaignState::kOpen);

  ASSERT_TRUE(campaigns_->sign_off(c.id, "確認しました", "suzuki", "uid 1001"));
  auto rows = db_->query("SELECT record FROM audit_entries WHERE action IN ('inspect.answer', 'inspect.signoff') ORDER BY idx");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_NE(rows->back().text(0).find("uid 1001"), std::string::npos) << "the sign-off records its account";
  EXPECT_NE(rows->front().text(0).find("uid 1000"), std::string::npos) << "each answer records its account";
}

TEST_P(CampaignTest, TheNamedReviewerSignsOff) {
  const Campaign c = create("mayor", "2026-11", "yamada");
  complete(c.id);
  auto other = campaigns_->sign_off(c.id, "", "suzuki");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, "inspect.not-reviewer");
  EXPECT_TRUE(campaigns_->sign_off(c.id, "", "yamada"));
}

// Evidence is part of what the reviewer checks: a reviewer who supplied some would check their own.
TEST_P(CampaignTest, WhoeverAddedEvidenceDoesNotSignItOff) {
  const Campaign c = create("mayor", "2026-11", "yamada");
  complete(c.id);
  auto added = campaigns_->add_evidence(c.id, "training", "出席簿.pdf", "%PDF-1.4 attendance", "yamada");
  ASSERT_TRUE(added) << added.error().to_string();
  auto own = campaigns_->sign_off(c.id, "", "Yamada");
  ASSERT_FALSE(own) << "the reviewer signed off evidence they added themselves";
  EXPECT_EQ(own.error().code, "inspect.same-person");
  EXPECT_NE(own.error().message.find("出席簿.pdf"), std::string::npos) << own.error().message;
  EXPECT_EQ(campaigns_->get(c.id)->state, CampaignState::kOpen);
}

TEST_P(CampaignTest, SignedOffCampaignIsLockedAndARefusedChangeLeavesNoRecord) {
  const Campaign c = create("mayor", "2026-11");
  complete(c.id);
  auto e = campaigns_->add_evidence(c.id, "training", "a.txt", "a", "tanaka");
  ASSERT_TRUE(e);
  ASSERT_TRUE(campaigns_->sign_off(c.id, "", "suzuki"));
  const std::uint64_t before = entries();
  const auto expect_locked = [&](const auto& r, const char* what) {
    ASSERT_FALSE(r) << what;
    EXPECT_EQ(r.error().code, "inspect.locked") << what;
    EXPECT_NE(r.error().message.find("suzuki"), std::string::npos) << r.error().message;
  };
  expect_locked(campaigns_->answer(c.id, "training", Answer::kNo, "", "tanaka"), "answer");
  expect_locked(campaigns_->sign_off(c.id, "", "yamada"), "second sign-off");
  expect_locked(results(c.id, false), "results");
  auto evidence = campaigns_->add_evidence(c.id, "training", "b.txt", "b", "tanaka");
  ASSERT_FALSE(evidence);
  EXPECT_EQ(evidence.error().code, "inspect.locked");
  EXPECT_EQ(entries(), before);
  auto answers = campaigns_->answers(c.id);
  ASSERT_TRUE(answers);
  EXPECT_EQ(answers->front().answer, Answer::kYes);
  auto results = campaigns_->results(c.id);
  ASSERT_TRUE(results);
  EXPECT_TRUE(results->front().passed);
  const auto logged = actions_logged();
  for (const char* action : {"inspect.campaign.create", "inspect.answer", "inspect.evidence.add", "inspect.signoff"}) {
    EXPECT_NE(std::find(logged.begin(), logged.end(), action), logged.end()) << action;
  }
}

TEST_P(CampaignTest, OpenActionsAreCarriedIntoTheBodysNextCampaignAndClosedThere) {
  const Campaign november = create("mayor", "2026-11");
  ASSERT_TRUE(campaigns_->answer(november.id, "training", Answer::kYes, "", "tanaka"));
  ASSERT_TRUE(campaigns_->answer(november.id, "physical", Answer::kNo, "鍵が壊れている", "tanaka"));
  ASSERT_TRUE(results(november.id, false, "二名でない解除 1件", {7}));
  auto lock = campaigns_->add_action(november.id, "physical", "鍵を交換する", "sato", Date{2027, 1, 31}, "tanaka");
  auto release = campaigns_->add_action(november.id, "releases", "手順を再周知", "suzuki", Date{2027, 1, 15}, "tanaka");
  ASSERT_TRUE(lock && release);
  EXPECT_EQ(release->finding, "二名でない解除 1件");
  EXPECT_EQ(campaigns_->close_action(lock->id, november.id, "", "sato").error().code, "inspect.same-campaign");
  ASSERT_TRUE(campaigns_->sign_off(november.id, "", "suzuki"));

  const Campaign december = create("mayor", "2026-12");
  const Campaign education = create("education", "2026-12");
  auto carried = campaigns_->carried_actions(december.id);
  ASSERT_TRUE(carried);
  ASSERT_EQ(carried->size(), 2u);
  EXPECT_EQ(carried->front().campaign, november.id);
  EXPECT_EQ(carried->front().owner, "sato");
  EXPECT_EQ(carried->front().due, (Date{2027, 1, 31}));
  EXPECT_TRUE(campaigns_->carried_actions(education.id)->empty());
  EXPECT_EQ(campaigns_->close_action(lock->id, education.id, "", "sato").error().code, "inspect.other-body");

  ASSERT_TRUE(campaigns_->close_action(lock->id, december.id, "交換済み", "sato"));
  EXPECT_EQ(campaigns_->close_action(lock->id, december.id, "", "sato").error().code, "inspect.action-closed");
  carried = campaigns_->carried_actions(december.id);
  ASSERT_EQ(carried->size(), 2u);  // the one it closed stays on its report
  EXPECT_EQ(carried->front().state, ActionState::kClosed);
  EXPECT_EQ(carried->front().closed_in, december.id);
  const Campaign january = create("mayor", "2027-01");
  carried = campaigns_->carried_actions(january.id);
  ASSERT_EQ(carried->size(), 1u);  // only the one still open
  EXPECT_EQ(carried->front().id, release->id);
}

// Two sections (課/係) of one body answer the same template for the same month side by side; the
// section is checked like any typed text, and kept with the campaign.
TEST_P(CampaignTest, TwoSectionsOfOneBodyHaveTheirOwnCampaignForTheSamePeriod) {
  auto policy_section = campaigns_->create(template_, policy_, {"mayor", "2026-11", "tanaka", "", "総務課情報政策係"}, "admin");
  ASSERT_TRUE(policy_section) << policy_section.error().to_string();
  auto tax_section = campaigns_->create(template_, policy_, {"mayor", "2026-11", "tanaka", "", "税務課市民税係"}, "admin");
  ASSERT_TRUE(tax_section) << tax_section.error().to_string();
  const Campaign whole = create("mayor", "2026-11");
  EXPECT_EQ(whole.id, "t-monthly:mayor:2026-11");
  EXPECT_EQ(policy_section->id, "t-monthly:mayor:2026-11:" + section_key("総務課情報政策係"));
  EXPECT_NE(policy_section->id, tax_section->id);
  EXPECT_EQ(policy_section->section, "総務課情報政策係");
  auto again = campaigns_->create(template_, policy_, {"mayor", "2026-11", "suzuki", "", "総務課情報政策係"}, "admin");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "inspect.exists");
  EXPECT_NE(again.error().message.find("総務課情報政策係"), std::string::npos) << again.error().message;
  auto back = campaigns_->get(policy_section->id);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->section, "総務課情報政策係");
  auto listed = campaigns_->list("mayor");
  ASSERT_TRUE(listed);
  EXPECT_EQ(listed->size(), 3u);

  for (const std::string bad : {std::string("総務課\n情報政策係"), std::string("総務課\x1b[2J"), std::string("総務課\u202E係"),
                                std::string("総務課\u200B係"), std::string(" 総務課"), std::string("\xff\xfe"), std::string(200, 'a'),
                                std::string("情報政策係情報政策係情報政策係情報政策係情報政策係情報政策係情報政策係情報政策係情報政策係情報政策係情報政策係情報政策係情報政策係")}) {
    auto r = campaigns_->create(template_, policy_, {"mayor", "2026-12", "tanaka", "", bad}, "admin");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, "inspect.bad-section") << bad;
    EXPECT_FALSE(r.error().message.empty());
  }
  EXPECT_EQ(campaigns_->list()->size(), 3u) << "a refused section creates nothing";
}

// A corrective action follows its own template, body and section into the next campaign: not
// another section's campaign, not the whole body's, and it is closed only there.
TEST_P(CampaignTest, ActionsAreCarriedToTheNextCampaignOfTheSameSectionOnly) {
  auto november = campaigns_->create(template_, policy_, {"mayor", "2026-11", "tanaka", "", "総務課情報政策係"}, "admin");
  ASSERT_TRUE(november) << november.error().to_string();
  ASSERT_TRUE(campaigns_->answer(november->id, "training", Answer::kYes, "", "tanaka"));
  ASSERT_TRUE(campaigns_->answer(november->id, "physical", Answer::kNo, "鍵が壊れている", "tanaka"));
  ASSERT_TRUE(results(november->id, true));
  auto lock = campaigns_->add_action(november->id, "physical", "鍵を交換する", "sato", Date{2027, 1, 31}, "tanaka");
  ASSERT_TRUE(lock) << lock.error().to_string();
  EXPECT_EQ(lock->section, "総務課情報政策係");
  ASSERT_TRUE(campaigns_->sign_off(november->id, "", "suzuki"));

  auto december = campaigns_->create(template_, policy_, {"mayor", "2026-12", "tanaka", "", "総務課情報政策係"}, "admin");
  auto other_section = campaigns_->create(template_, policy_, {"mayor", "2026-12", "tanaka", "", "税務課市民税係"}, "admin");
  ASSERT_TRUE(december && other_section);
  const Campaign whole_body = create("mayor", "2026-12");
  auto carried = campaigns_->carried_actions(december->id);
  ASSERT_TRUE(carried);
  ASSERT_EQ(carried->size(), 1u);
  EXPECT_EQ(carried->front().id, lock->id);
  EXPECT_TRUE(campaigns_->carried_actions(other_section->id)->empty()) << "another section's action is not this section's";
  EXPECT_TRUE(campaigns_->carried_actions(whole_body.id)->empty()) << "a section's action is not the whole body's";
  EXPECT_EQ(campaigns_->close_action(lock->id, other_section->id, "", "sato").error().code, "inspect.other-section");
  EXPECT_EQ(campaigns_->close_action(lock->id, whole_body.id, "", "sato").error().code, "inspect.other-section");
  ASSERT_TRUE(campaigns_->close_action(lock->id, december->id, "交換済み", "sato"));
}

// The carry-over follows the template too: a finding of the monthly checklist is not closed by
// another template's campaign of the same body.
TEST_P(CampaignTest, ActionsAreNotCarriedToAnotherTemplatesCampaign) {
  const Campaign november = create("mayor", "2026-11");
  ASSERT_TRUE(campaigns_->answer(november.id, "training", Answer::kYes, "", "tanaka"));
  ASSERT_TRUE(campaigns_->answer(november.id, "physical", Answer::kNo, "鍵が壊れている", "tanaka"));
  ASSERT_TRUE(results(november.id, true));
  auto lock = campaigns_->add_action(november.id, "physical", "鍵を交換する", "sato", Date{2027, 1, 31}, "tanaka");
  ASSERT_TRUE(lock) << lock.error().to_string();
  Template other = template_;
  other.id = "t-other";
  auto foreign = campaigns_->create(other, policy_, {"mayor", "2026-12", "tanaka", "", ""}, "admin");
  ASSERT_TRUE(foreign) << foreign.error().to_string();
  EXPECT_TRUE(campaigns_->carried_actions(foreign->id)->empty());
  EXPECT_EQ(campaigns_->close_action(lock->id, foreign->id, "", "sato").error().code, "inspect.other-section");
}

SANSO_ON_EVERY_BACKEND(CampaignTest);

}  // namespace
}  // namespace sanso::inspect
