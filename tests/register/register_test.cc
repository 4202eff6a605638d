// The registers in the store, on both backends: entries seeded from the policy with their policy
// fields fixed, typed adds and changes with history and audit records, imports that change all
// or nothing, and the alarms the registers raise.
#include "register/register.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "audit/versions.h"
#include "core/digest.h"
#include "support/audited_store.h"

namespace sanso::registers {
namespace {


Table csv_table(const std::string& text) {
  auto t = parse_table(text, TableFormat::kCsv, {}, "in.csv");
  EXPECT_TRUE(t) << t.error().to_string();
  return t ? *t : Table{};
}

class RegisterTest : public sanso::testing::AuditedStoreTest {
 protected:
  void SetUp() override {
    AuditedStoreTest::SetUp();
    regs_ = std::make_unique<Registers>(*db_, *log_, clock_, &policy_);
  }

  std::string snapshot() {
    std::string out;
    auto rows = db_->query("SELECT kind, entry_key, fields, version FROM register_entries ORDER BY kind, entry_key");
    EXPECT_TRUE(rows);
    for (const auto& row : *rows) {
      out += row.text(0) + "/" + row.text(1) + " " + row.text(2) + " v" + std::to_string(row.integer(3)) + "\n";
    }
    return out + "history " + std::to_string((*db_->query("SELECT version FROM register_history")).size());
  }

  std::unique_ptr<Registers> regs_;
};

TEST_P(RegisterTest, PolicyItemsAreSeededOnceWithTheirPolicyFields) {
  auto n = regs_->seed_from_policy("node1");
  ASSERT_TRUE(n) << n.error().to_string();
  const auto exceptions = std::count_if(policy_.rules.begin(), policy_.rules.end(), [](const policy::Rule& r) { return r.exception.has_value(); });
  ASSERT_GT(exceptions, 0);
  EXPECT_EQ(*n, policy_.assets.size() + policy_.contractors.size() + policy_.services.size() + static_cast<std::size_t>(exceptions));
  auto again = regs_->seed_from_policy("node1");
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0u);  // nothing changed, nothing written, nothing recorded
  EXPECT_EQ(actions_logged(), (std::vector<std::string>{"register.seed", "register.seed", "register.seed", "register.seed", "register.seed"}));

  // The policy's exception is in the exceptions register, in force as the policy says.
  auto eltax = regs_->get(Kind::kExceptions, "city.eltax-import");
  ASSERT_TRUE(eltax && *eltax);
  EXPECT_TRUE((*eltax)->from_policy);
  EXPECT_EQ((*eltax)->fields["rule"], "city.eltax-import");
  EXPECT_EQ((*eltax)->fields["state"], "approved");
  EXPECT_EQ((*eltax)->fields["approver_role"], "ciso");
  EXPECT_EQ((*eltax)->fields["expires"], "2027-03-31");
  auto withdrawn = regs_->put(Kind::kExceptions, {{"id", "city.eltax-import"}, {"state", "withdrawn"}}, true, "tanaka");
  ASSERT_FALSE(withdrawn);
  EXPECT_EQ(withdrawn.error().code, "register.policy-field");  // in force until the policy file says otherwise

  auto sns = regs_->get(Kind::kSocialMedia, "official_x");
  ASSERT_TRUE(sns && *sns);
  EXPECT_TRUE((*sns)->from_policy);
  EXPECT_EQ((*sns)->fields["responsible_person"], "広報係長");
  auto juki = regs_->get(Kind::kContractors, "juki_vendor");
  ASSERT_TRUE(juki && *juki);
  EXPECT_EQ((*juki)->fields["contract_until"], "2029-03-31");
  EXPECT_EQ((*juki)->fields["systems"], nlohmann::json::array({"juki"}));
  // Seeded entries lack what only the register knows, and say so.
  const auto alarms = Registers::alarms(**sns, clock_.today());
  ASSERT_FALSE(alarms.empty());
  EXPECT_EQ(alarms[0].code, "incomplete");

  // A policy edit reaches the register's copy at the next seed.
  policy_.services[0].name.ja = "電子申請（新）";
  ASSERT_EQ(*regs_->seed_from_policy("node1"), 1u);
  EXPECT_EQ((*regs_->get(Kind::kCloud, policy_.services[0].id))->fields["name"], "電子申請（新）");
}

TEST_P(RegisterTest, ExtraFieldsOfPolicyItemsAreEditedHerePolicyFieldsAreNot) {
  ASSERT_TRUE(regs_->seed_from_policy("node1"));
  auto e = regs_->put(Kind::kSocialMedia, {{"id", "official_x"}, {"mfa", "はい"}, {"last_post", "2026-11-20"}, {"service", "X"}}, true, "tanaka");
  ASSERT_TRUE(e) << e.error().to_string();
  EXPECT_EQ(e->version, 2);
  EXPECT_EQ(e->fields["mfa"], true);
  EXPECT_EQ(e->fields["responsible_person"], "広報係長");
  EXPECT_TRUE(Registers::alarms(*e, clock_.today()).empty());

  const auto before = snapshot();
  const auto logged = entries();
  auto refused = regs_->put(Kind::kSocialMedia, {{"id", "official_x"}, {"責任者", "誰か"}}, true, "tanaka");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "register.policy-field");
  EXPECT_NE(refused.error().message.find("広報係長"), std::string::npos);
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(entries(), logged);

  auto history = regs_->history(Kind::kSocialMedia, "official_x");
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].change, "seed");
  EXPECT_EQ((*history)[1].change, "change");
  EXPECT_EQ((*history)[1].changed_by, "tanaka");
  EXPECT_EQ(actions_logged().back(), "register.change");
}

TEST_P(RegisterTest, AddChecksTypesRequiredFieldsAndDuplicates) {
  auto added = regs_->put(Kind::kAssets, {{"id", "network-map"}, {"name", "庁内ネットワーク構成図"}, {"form", "ネットワーク構成図"}, {"owner", "情報政策係"}},
                          false, "tanaka");
  ASSERT_TRUE(added) << added.error().to_string();
  EXPECT_EQ(added->fields["form"], "network_diagram");
  EXPECT_EQ(actions_logged().back(), "register.add");

  auto again = regs_->put(Kind::kAssets, {{"id", "network-map"}, {"owner", "x"}}, false, "tanaka");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "register.exists");
  auto other_case = regs_->put(Kind::kAssets, {{"id", "Network-Map"}, {"name", "x"}, {"form", "paper"}, {"owner", "x"}}, false, "tanaka");
  ASSERT_FALSE(other_case);
  EXPECT_EQ(other_case.error().code, "register.duplicate-key");
  auto missing = regs_->put(Kind::kAssets, {{"id", "usb-1"}, {"name", "USBメモリ"}}, false, "tanaka");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "register.missing-value");
  auto unknown = regs_->put(Kind::kAssets, {{"id", "usb-1"}, {"colour", "red"}}, false, "tanaka");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "register.unknown-field");
  auto formula = regs_->put(Kind::kAssets, {{"id", "usb-1"}, {"name", "=HYPERLINK(\"x\")"}, {"form", "media"}, {"owner", "x"}}, false, "tanaka");
  ASSERT_FALSE(formula);
  EXPECT_EQ(formula.error().code, "register.bad-value");
}

TEST_P(RegisterTest, ExceptionsNameAPolicyRuleAndAreApprovedBySomeoneElse) {
  const std::string rule = policy_.rules.front().id;
  const std::string role = policy_.roles.front().id;
  std::vector<std::pair<std::string, std::string>> request = {{"id", "EX-1"}, {"rule", rule}, {"requested_by", "sato"}, {"requested_on", "2026-11-01"},
                                                               {"reason", "業務上必要"}, {"approver_role", role}, {"state", "requested"}};
  ASSERT_TRUE(regs_->put(Kind::kExceptions, request, false, "sato"));
  auto self = regs_->put(Kind::kExceptions, {{"id", "EX-1"}, {"state", "approved"}, {"approved_by", "Sato"}, {"approved_on", "2026-11-02"}, {"expires", "2026-11-30"}},
                         true, "sato");
  ASSERT_FALSE(self);
  EXPECT_EQ(self.error().code, "register.forbidden");
  // Typing one's own approval (not the requester, but without the approver role) is no way around
  // the approver role either: the register refuses every decision not made by decide_exception,
  // and says which command makes it.
  auto typed = regs_->put(Kind::kExceptions, {{"id", "EX-1"}, {"state", "approved"}, {"approved_by", "kato"}, {"approved_on", "2026-11-02"}, {"expires", "2026-11-30"}},
                          true, "kato");
  ASSERT_FALSE(typed);
  EXPECT_EQ(typed.error().code, "register.forbidden");
  EXPECT_NE(typed.error().message.find("sanso register decide exceptions EX-1 approve|deny"), std::string::npos) << typed.error().message;
  EXPECT_EQ(regs_->put(Kind::kExceptions, {{"id", "EX-1"}, {"approved_by", "kato"}}, true, "kato").error().code, "register.forbidden");
  EXPECT_EQ(regs_->put(Kind::kExceptions, {{"id", "EX-1"}, {"state", "rejected"}}, true, "kato").error().code, "register.forbidden");
  auto added_approved = request;
  added_approved[0].second = "EX-9";
  added_approved.back().second = "approved";
  added_approved.insert(added_approved.end(), {{"approved_by", "suzuki"}, {"approved_on", "2026-11-02"}, {"expires", "2026-11-30"}});
  EXPECT_EQ(regs_->put(Kind::kExceptions, added_approved, false, "suzuki").error().code, "register.forbidden") << "a new entry is a request";
  EXPECT_EQ(regs_->get(Kind::kExceptions, "EX-1")->value().fields["state"], "requested");

  // The approver role's holder, not the requester, decides it.
  EXPECT_EQ(regs_->decide_exception("EX-1", true, {"sato", {role}}, "自分で", "2026-11-30").error().code, "register.forbidden");
  EXPECT_EQ(regs_->decide_exception("EX-1", true, {"kato", {"someone-else"}}, "役割なし", "2026-11-30").error().code, "register.forbidden");
  clock_ = FixedClock(Date{2026, 11, 2});
  auto approved = regs_->decide_exception("EX-1", true, {"suzuki", {role}}, "期間を限って認める", "2026-11-30");
  ASSERT_TRUE(approved) << approved.error().to_string();
  clock_ = FixedClock(Date{2026, 12, 1});
  EXPECT_EQ(approved->fields["approved_by"], "suzuki");
  // Nobody records a decision as someone else's, nor changes what was approved.
  auto forged = regs_->put(Kind::kExceptions, {{"id", "EX-1"}, {"state", "approved"}, {"approved_by", "tanaka"}}, true, "kato");
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().code, "register.forbidden");
  auto extended = regs_->put(Kind::kExceptions, {{"id", "EX-1"}, {"expires", "2027-11-30"}}, true, "sato");
  ASSERT_FALSE(extended);
  EXPECT_EQ(extended.error().code, "register.forbidden");
  EXPECT_EQ(regs_->get(Kind::kExceptions, "EX-1")->value().fields["approved_by"], "suzuki");
  EXPECT_EQ(regs_->get(Kind::kExceptions, "EX-1")->value().fields["expires"], "2026-11-30");
  // Expired yesterday and still approved.
  const auto alarms = Registers::alarms(*approved, clock_.today());
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].code, "expired");

  request[0].second = "EX-2";
  request[1].second = "no-such-rule";
  auto bad_rule = regs_->put(Kind::kExceptions, request, false, "sato");
  ASSERT_FALSE(bad_rule);
  EXPECT_NE(bad_rule.error().message.find("no-such-rule"), std::string::npos);
}

// An import writes requests, never decisions: a file that approves an exception (its requester's
// own, or anyone's) is refused whole, naming the row and the command that decides, and the
// register is as it was.
TEST_P(RegisterTest, AnImportDoesNotApproveAnException) {
  const std::string rule = policy_.rules.front().id;
  const std::string role = policy_.roles.front().id;
  ASSERT_TRUE(regs_->put(Kind::kExceptions, {{"id", "EX-1"}, {"rule", rule}, {"requested_by", "sato"}, {"requested_on", "2026-11-01"},
                                             {"reason", "業務上必要"}, {"approver_role", role}, {"state", "requested"}},
                         false, "sato"));
  const auto logged = entries();
  const Table t = csv_table(
      "識別子,対象の規則,申請者,申請日,理由,承認する役割,状態,承認者,承認日,有効期限\r\n"
      "EX-1," + rule + ",sato,2026-11-01,業務上必要," + role + ",approved,kato,2026-11-02,2027-03-31\r\n");
  auto imported = regs_->import(Kind::kExceptions, t, "exceptions.csv", "ab12", "kato");
  ASSERT_FALSE(imported);
  EXPECT_EQ(imported.error().code, "register.forbidden");
  EXPECT_NE(imported.error().message.find("row 2"), std::string::npos) << imported.error().message;
  EXPECT_NE(imported.error().message.find("sanso register decide exceptions EX-1"), std::string::npos) << imported.error().message;
  EXPECT_EQ(regs_->get(Kind::kExceptions, "EX-1")->value().fields["state"], "requested");
  EXPECT_EQ(entries(), logged) << "a refused import records nothing";
  const Table self = csv_table(
      "識別子,対象の規則,申請者,申請日,理由,承認する役割,状態,承認者,承認日,有効期限\r\n"
      "EX-2," + rule + ",sato,2026-11-01,業務上必要," + role + ",approved,suzuki,2026-11-02,2027-03-31\r\n");
  EXPECT_EQ(regs_->import(Kind::kExceptions, self, "new.csv", "cd34", "sato").error().code, "register.forbidden");
  EXPECT_FALSE(regs_->get(Kind::kExceptions, "EX-2")->has_value());
}

// An incident (6(7)) links audit entries and monitor findings that exist — on add, change and
// import; a finding given as text that is no number stays a description.
TEST_P(RegisterTest, AnIncidentLinksOnlyAuditEntriesAndFindingsThatExist) {
  ASSERT_TRUE(regs_->seed_from_policy("node1"));  // a few audit entries to cite
  const std::uint64_t last = entries();
  ASSERT_GE(last, 1u);
  ASSERT_TRUE(db_->execute("INSERT INTO monitor_findings (rule, clause, src, dst, dport, proto, src_zone, dst_zone, first_seen, last_seen, count, node) "
                           "VALUES ('r', '6(3)', '10.0.0.1', '10.0.0.2', 445, 'tcp', 'lgwan', 'internet', 1, 1, 1, 'n1')"));
  auto finding = db_->query_one("SELECT MAX(id) FROM monitor_findings");
  ASSERT_TRUE(finding && *finding);
  const std::string finding_id = std::to_string((*finding)->integer(0));
  const std::vector<std::pair<std::string, std::string>> base = {{"id", "inc-1"}, {"title", "USBメモリの紛失"}, {"occurred_on", "2026-11-02"},
                                                                 {"severity", "high"}, {"state", "open"}};
  auto with = [&](std::string entries_text, std::string findings_text) {
    auto values = base;
    values.emplace_back("audit_entries", std::move(entries_text));
    values.emplace_back("monitor_findings", std::move(findings_text));
    return values;
  };
  auto no_entry = regs_->put(Kind::kIncidents, with("#1; #" + std::to_string(last + 100), "#" + finding_id), false, "tanaka");
  ASSERT_FALSE(no_entry);
  EXPECT_EQ(no_entry.error().code, "register.no-such-link");
  EXPECT_NE(no_entry.error().message.find("#" + std::to_string(last + 100)), std::string::npos) << no_entry.error().message;
  auto no_finding = regs_->put(Kind::kIncidents, with("#1", "#" + finding_id + "; 99999"), false, "tanaka");
  ASSERT_FALSE(no_finding);
  EXPECT_EQ(no_finding.error().code, "register.no-such-link");
  EXPECT_NE(no_finding.error().message.find("99999"), std::string::npos) << no_finding.error().message;
  EXPECT_FALSE(regs_->get(Kind::kIncidents, "inc-1")->has_value());
  EXPECT_EQ(entries(), last) << "a refused link records nothing";

  // Entries are numbered from 0; the last is tree size - 1.
  auto added = regs_->put(Kind::kIncidents, with("#1; " + std::to_string(last - 1), finding_id + "; 外部からの通報"), false, "tanaka");
  ASSERT_TRUE(added) << added.error().to_string();
  auto changed = regs_->put(Kind::kIncidents, {{"id", "inc-1"}, {"audit_entries", "#1; #" + std::to_string(last + 5)}}, true, "tanaka");
  ASSERT_FALSE(changed);
  EXPECT_EQ(changed.error().code, "register.no-such-link");

  const std::uint64_t before_import = entries();
  const Table t = csv_table(
      "識別子,件名,発生日,重大度,状態,監査ログの記録,監視の検知\r\n"
      "inc-2,標的型メール,2026-11-03,high,open,#1,#424242\r\n");
  auto imported = regs_->import(Kind::kIncidents, t, "incidents.csv", "ef56", "tanaka");
  ASSERT_FALSE(imported);
  EXPECT_EQ(imported.error().code, "register.no-such-link");
  EXPECT_NE(imported.error().message.find("row 2"), std::string::npos) << imported.error().message;
  EXPECT_FALSE(regs_->get(Kind::kIncidents, "inc-2")->has_value());
  EXPECT_EQ(entries(), before_import);
}

TEST_P(RegisterTest, AcceptedRisksNeedAnApproverAndExpiry) {
  auto r = regs_->put(Kind::kRisks, {{"id", "R1"}, {"threat", "標的型メール"}, {"likelihood", "4"}, {"impact", "5"}, {"treatment", "accept"}}, false, "tanaka");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "register.inconsistent");
  r = regs_->put(Kind::kRisks, {{"id", "R1"}, {"threat", "標的型メール"}, {"likelihood", "4"}, {"impact", "5"}, {"treatment", "受容"}, {"accepted_by", "ciso"},
                                {"acceptance_expires", "2027-03-31"}},
                 false, "tanaka");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->fields["likelihood"], 4);
}

TEST_P(RegisterTest, ImportAddsAndChangesAndRecordsOnce) {
  ASSERT_TRUE(regs_->seed_from_policy("node1"));
  const auto logged = entries();
  const Table t = csv_table(
      "識別子,事業者名,必要な契約条項,直近の確認日,確認結果,次回確認期限\r\n"
      "juki_vendor,,再委託の制限; 秘密保持; 監査権,2026-10-01,適合,2026-11-15\r\n"
      "cleaning,清掃委託,秘密保持,,,2027-04-01\r\n");
  auto s = regs_->import(Kind::kContractors, t, "in.csv", "ab12", "tanaka");
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(s->added, 1u);
  EXPECT_EQ(s->changed, 1u);
  EXPECT_EQ(entries(), logged + 1);
  EXPECT_EQ(actions_logged().back(), "register.import");
  auto juki = *regs_->get(Kind::kContractors, "juki_vendor");
  ASSERT_TRUE(juki);
  EXPECT_EQ(juki->fields["required_clauses"].size(), 3u);
  EXPECT_EQ(juki->fields["name"], "住民記録システム保守事業者");  // the policy's, not overwritten by the empty cell
  const auto alarms = Registers::alarms(*juki, clock_.today());
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].code, "check-overdue");

  // The same file again changes nothing and is still recorded.
  auto same = regs_->import(Kind::kContractors, t, "in.csv", "ab12", "tanaka");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->unchanged, 2u);
  EXPECT_EQ(same->added + same->changed, 0u);
}

TEST_P(RegisterTest, AHostileImportChangesNothing) {
  ASSERT_TRUE(regs_->seed_from_policy("node1"));
  ASSERT_TRUE(regs_->put(Kind::kAssets, {{"id", "p1"}, {"name", "紙台帳"}, {"form", "paper"}, {"owner", "税務課"}}, false, "tanaka"));
  const auto before = snapshot();
  const auto logged = entries();
  const auto refused = [&](const std::string& csv, const std::string& code, const std::string& where) {
    auto s = regs_->import(Kind::kAssets, csv_table(csv), "in.csv", "00", "tanaka");
    ASSERT_FALSE(s) << csv;
    EXPECT_EQ(s.error().code, code) << s.error().to_string();
    EXPECT_NE(s.error().to_string().find(where), std::string::npos) << s.error().to_string();
    EXPECT_EQ(snapshot(), before);
    EXPECT_EQ(entries(), logged);
  };
  // Good rows first, then one formula: the good rows are not kept either.
  refused("id,名称,形態,管理者\nnew1,a,paper,x\np1,b,paper,y\nnew2,\"=cmd|'/C calc'!A0\",paper,z\n", "register.bad-value", "in.csv row 4 column B");
  refused("id,名称,形態,管理者\nnew1,a,paper,x\nNEW1,b,paper,y\n", "register.duplicate-key", "already on row 2");
  refused("id,名称,形態,色\nnew1,a,paper,red\n", "register.unknown-column", "row 1 column D");
  refused("id,名称,形態\nnew1,a,paper\n", "register.missing-column", "管理者 (owner)");
  refused("id,名称,形態,管理者\nnew1,a,papyrus,x\n", "register.bad-value", "column C");
  refused("id,名称,形態,管理者,機密性\nresident_register,a,data,x,1\n", "register.policy-field", "comes from the policy file");
  refused("id,名称,形態,管理者,名称\nnew1,a,paper,x,b\n", "register.duplicate-column", "column E");
  refused("id,名称,形態,管理者\nnew1,a,paper,x\nnew2,,paper,y\nnew3,c,bad,z\n", "register.import-refused", "2 problems");
}

TEST_P(RegisterTest, ExportedTableReadsBackUnchanged) {
  ASSERT_TRUE(regs_->seed_from_policy("node1"));
  ASSERT_TRUE(regs_->put(Kind::kSocialMedia, {{"id", "official_x"}, {"mfa", "no"}, {"last_post", "2026-06-01"}, {"dormant_days", "30"}}, true, "tanaka"));
  auto table = regs_->table(Kind::kSocialMedia);
  ASSERT_TRUE(table);
  EXPECT_EQ(table->first.front(), "識別子");
  Table back;
  back.header = table->first;
  std::int64_t line = 2;
  for (const auto& r : table->second) {
    TableRow row{line++, {}};
    for (const auto& v : r) row.cells.push_back({v});
    back.rows.push_back(row);
  }
  auto s = regs_->import(Kind::kSocialMedia, back, "back.csv", "00", "tanaka");
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(s->changed + s->added, 0u);
  const auto e = *regs_->get(Kind::kSocialMedia, "official_x");
  std::vector<std::string> codes;
  for (const auto& a : Registers::alarms(*e, clock_.today())) codes.push_back(a.code);
  EXPECT_EQ(codes, (std::vector<std::string>{"no-mfa", "dormant"}));
}

// The newest approved review supersedes the older ones: only its next date reminds; a review
// names the policy it reviewed as a kept version.
TEST_P(RegisterTest, TheNewestApprovedReviewSupersedesOlderRemindersAndLinksAKeptPolicyVersion) {
  auto old = regs_->put(Kind::kReviews, {{"id", "R2025"}, {"reviewed_on", "2025-12-10"}, {"reviewer", "kato"}, {"decision", "approved"},
                                         {"approved_by", "ciso"}, {"next_review", "2026-11-30"}},
                        false, "kato");
  ASSERT_TRUE(old) << old.error().to_string();
  auto listed = regs_->list(Kind::kReviews);
  ASSERT_TRUE(listed);
  auto alarms = Registers::alarms(*old, clock_.today(), *listed);
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].code, "review-overdue") << "alone, the older review is the newest and past its date";

  auto newer = regs_->put(Kind::kReviews, {{"id", "R2026"}, {"reviewed_on", "2026-11-20"}, {"reviewer", "kato"}, {"decision", "approved"},
                                           {"approved_by", "ciso"}, {"next_review", "2027-11-01"}},
                          false, "kato");
  ASSERT_TRUE(newer) << newer.error().to_string();
  listed = regs_->list(Kind::kReviews);
  ASSERT_TRUE(listed);
  EXPECT_TRUE(Registers::alarms(*old, clock_.today(), *listed).empty()) << "superseded by R2026";
  EXPECT_TRUE(Registers::alarms(*newer, clock_.today(), *listed).empty());
  const Entry* latest = latest_approved_review(*listed);
  ASSERT_NE(latest, nullptr);
  EXPECT_EQ(latest->key, "R2026");
  // A review asking for changes supersedes nothing.
  ASSERT_TRUE(regs_->put(Kind::kReviews, {{"id", "R2026b"}, {"reviewed_on", "2026-11-28"}, {"reviewer", "kato"}, {"decision", "changes-required"}},
                         false, "kato"));
  listed = regs_->list(Kind::kReviews);
  ASSERT_TRUE(listed);
  EXPECT_EQ(latest_approved_review(*listed)->key, "R2026");

  // The reviewed policy must be a kept version; it is stored as its SHA-256.
  const std::string before = snapshot();
  auto unknown = regs_->put(Kind::kReviews, {{"id", "R2026"}, {"policy_sha256", "v1"}}, true, "kato");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "register.inconsistent");
  EXPECT_NE(unknown.error().message.find("kept policy version"), std::string::npos) << unknown.error().to_string();
  EXPECT_EQ(snapshot(), before);
  const std::string text = "[municipality]\nname = \"水俣市\"\n";
  auto kept = audit::keep_file_version(*db_, *log_, "policy", "/etc/sanso/policy.toml", sha256_hex(text), text, "gw1");
  ASSERT_TRUE(kept) << kept.error().to_string();
  for (const std::string& reference : {std::string("v1"), kept->sha256.substr(0, 10), kept->sha256}) {
    auto linked = regs_->put(Kind::kReviews, {{"id", "R2026"}, {"policy_sha256", reference}}, true, "kato");
    ASSERT_TRUE(linked) << reference << ": " << linked.error().to_string();
    EXPECT_EQ(linked->fields["policy_sha256"], kept->sha256) << reference;
  }
}

// Attendance counted against the audience: a person's entry under another case still counts; a
// course or a date filter leaves out what does not match.
TEST_P(RegisterTest, TrainingAttendanceIsCountedAgainstTheAudience) {
  ASSERT_TRUE(regs_->put(Kind::kTraining, {{"id", "t1"}, {"person", "Tanaka"}, {"course", "情報セキュリティ研修"}, {"kind", "training"}, {"date", "2026-06-01"}},
                         false, "kato"));
  ASSERT_TRUE(regs_->put(Kind::kTraining, {{"id", "t2"}, {"person", "suzuki"}, {"course", "遵守誓約"}, {"kind", "attestation"}, {"date", "2026-04-02"}},
                         false, "kato"));
  auto entries = regs_->list(Kind::kTraining);
  ASSERT_TRUE(entries);
  const std::vector<std::string> audience{"both", "suzuki", "tanaka"};
  auto any = attendance(*entries, audience, "", std::nullopt);
  EXPECT_EQ(any.attended, (std::vector<std::string>{"suzuki", "tanaka"}));
  EXPECT_EQ(any.missing, std::vector<std::string>{"both"});
  auto course = attendance(*entries, audience, "情報セキュリティ研修", std::nullopt);
  EXPECT_EQ(course.attended, std::vector<std::string>{"tanaka"});
  EXPECT_EQ(course.missing, (std::vector<std::string>{"both", "suzuki"}));
  auto recent = attendance(*entries, audience, "", Date{2026, 5, 1});
  EXPECT_EQ(recent.attended, std::vector<std::string>{"tanaka"});
}

TEST(RegisterDays, DayNumbersCountCalendarDays) {
  EXPECT_EQ(day_number(Date{1970, 1, 1}), 0);
  EXPECT_EQ(day_number(Date{1969, 12, 31}), -1);
  EXPECT_EQ(day_number(Date{2024, 3, 1}) - day_number(Date{2024, 2, 28}), 2);  // a leap year
  EXPECT_EQ(day_number(Date{2026, 3, 1}) - day_number(Date{2026, 2, 28}), 1);
  EXPECT_EQ(day_number(Date{2000, 3, 1}) - day_number(Date{2000, 2, 28}), 2);  // divisible by 400
  EXPECT_EQ(day_number(Date{2100, 3, 1}) - day_number(Date{2100, 2, 28}), 1);  // by 100, not 400
  EXPECT_EQ(day_number(Date{2027, 1, 1}) - day_number(Date{2026, 1, 1}), 365);
}

// 6(8): each check of each required contract clause is kept — a second check is appended beside
// the first, never over it — with its audit record; the latest per clause is the one by date.
TEST_P(RegisterTest, ContractorChecksAreAppendedPerClauseAndAudited) {
  ASSERT_TRUE(regs_->seed_from_policy("node1"));
  ASSERT_TRUE(regs_->put(Kind::kContractors, {{"id", "juki_vendor"}, {"required_clauses", "秘密保持; 再委託の制限"}}, true, "tanaka"));
  const auto logged = entries();
  auto first = regs_->add_contract_check("juki_vendor", {{"clause", "秘密保持"}, {"checked_on", "2026-04-01"}, {"result", "pass"},
                                                         {"checked_by", "suzuki"}, {"next_check", "2026-10-01"}},
                                         "tanaka");
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_EQ(first->number, 1);
  EXPECT_EQ(first->audit_index, logged);
  // Labels work as keys, as in an import's header.
  auto second = regs_->add_contract_check("juki_vendor", {{"契約条項", "秘密保持"}, {"確認日", "2026/10/02"}, {"確認結果", "一部不適合"},
                                                          {"確認者", "sato"}, {"確認の内容", "返却手順が未記載"}, {"次回確認期限", "2027-01-31"}},
                                          "tanaka");
  ASSERT_TRUE(second) << second.error().to_string();
  // Entered late, for an earlier date: kept, but not the latest.
  auto late = regs_->add_contract_check("juki_vendor", {{"clause", "秘密保持"}, {"checked_on", "2026-07-01"}, {"result", "fail"}, {"checked_by", "kato"}},
                                        "tanaka");
  ASSERT_TRUE(late) << late.error().to_string();

  auto all = contract_checks(*db_, "juki_vendor");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].checked_on, "2026-04-01");
  EXPECT_EQ((*all)[0].result, "pass");
  EXPECT_EQ((*all)[0].checked_by, "suzuki");
  EXPECT_EQ((*all)[1].result, "partial");
  EXPECT_EQ((*all)[1].note, "返却手順が未記載");
  EXPECT_EQ((*all)[1].recorded_by, "tanaka");
  const auto latest = latest_per_clause(*all);
  ASSERT_EQ(latest.size(), 1u);
  EXPECT_EQ(latest[0].number, 2);
  EXPECT_EQ(latest[0].next_check, "2027-01-31");
  const auto actions = actions_logged();
  EXPECT_EQ(std::count(actions.begin(), actions.end(), "register.contract-check"), 3);
  EXPECT_EQ(entries(), logged + 3);

  // Refused, nothing written: a clause the contract does not require, a broken date, a formula,
  // a contractor the register lacks, a missing result.
  const auto refused = [&](const std::string& contractor, std::vector<std::pair<std::string, std::string>> values, const std::string& code,
                           const std::string& says) {
    auto r = regs_->add_contract_check(contractor, values, "tanaka");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, code) << r.error().to_string();
    EXPECT_NE(r.error().to_string().find(says), std::string::npos) << r.error().to_string();
  };
  refused("juki_vendor", {{"clause", "監査権"}, {"checked_on", "2026-11-01"}, {"result", "pass"}, {"checked_by", "x"}}, "register.inconsistent",
          "is not a required contract clause");
  refused("juki_vendor", {{"clause", "秘密保持"}, {"checked_on", "2026-13-45"}, {"result", "pass"}, {"checked_by", "x"}}, "register.bad-value",
          "is not a date");
  refused("juki_vendor", {{"clause", "秘密保持"}, {"checked_on", "2026-11-01"}, {"result", "pass"}, {"checked_by", "=HYPERLINK(\"x\")"}},
          "register.bad-value", "spreadsheet formula");
  refused("nobody", {{"clause", "秘密保持"}, {"checked_on", "2026-11-01"}, {"result", "pass"}, {"checked_by", "x"}}, "register.not-found", "nobody");
  refused("juki_vendor", {{"clause", "秘密保持"}, {"checked_on", "2026-11-01"}, {"checked_by", "x"}}, "register.missing-value", "result");
  refused("juki_vendor", {{"clause", "秘密保持"}, {"checked_on", "2026-11-01"}, {"result", "pass"}, {"checked_by", "x"}, {"colour", "red"}},
          "register.unknown-field", "colour");
  EXPECT_EQ(contract_checks(*db_)->size(), 3u);
  EXPECT_EQ(entries(), logged + 3);
}

// A contractor's alarms follow the latest check of each clause, not only the entry's own check
// fields: a clause whose latest check failed, or whose latest check's next date has passed.
TEST_P(RegisterTest, AContractorsAlarmsFollowTheLatestCheckOfEachClause) {
  ASSERT_TRUE(regs_->seed_from_policy("node1"));
  ASSERT_TRUE(regs_->put(Kind::kContractors, {{"id", "juki_vendor"}, {"required_clauses", "秘密保持; 再委託の制限"}}, true, "tanaka"));
  const auto codes = [&](Date today) {
    auto entry = regs_->get(Kind::kContractors, "juki_vendor");
    EXPECT_TRUE(entry && *entry);
    std::multiset<std::string> out;
    for (const auto& a : Registers::alarms(**entry, today, {}, latest_per_clause(*contract_checks(*db_)))) out.insert(a.code);
    return out;
  };
  const Date day = *Date::parse("2026-11-01");
  ASSERT_TRUE(regs_->add_contract_check("juki_vendor", {{"clause", "秘密保持"}, {"checked_on", "2026-04-01"}, {"result", "fail"}, {"checked_by", "suzuki"},
                                                        {"next_check", "2027-04-01"}}, "tanaka"));
  EXPECT_EQ(codes(day).count("check-failed"), 1u);
  // Checked again and passed: the failure is history, no longer an alarm.
  ASSERT_TRUE(regs_->add_contract_check("juki_vendor", {{"clause", "秘密保持"}, {"checked_on", "2026-05-01"}, {"result", "pass"}, {"checked_by", "suzuki"},
                                                        {"next_check", "2026-10-01"}}, "tanaka"));
  EXPECT_EQ(codes(day).count("check-failed"), 0u);
  // ...but that check's next date has passed by 2026-11-01, not by 2026-09-30.
  EXPECT_EQ(codes(day).count("check-overdue"), 1u);
  EXPECT_EQ(codes(*Date::parse("2026-09-30")).count("check-overdue"), 0u);
  // Another clause's failure is its own alarm.
  ASSERT_TRUE(regs_->add_contract_check("juki_vendor", {{"clause", "再委託の制限"}, {"checked_on", "2026-06-01"}, {"result", "fail"}, {"checked_by", "sato"}},
                                        "tanaka"));
  EXPECT_EQ(codes(*Date::parse("2026-09-30")).count("check-failed"), 1u);
}

// clause_standings is the one judgement of a required clause (the alarms above, contract-check and
// the reminders read it): never checked, failed, due by the latest check's date or else by the
// entry's, overdue. A clause the contract no longer requires is not judged, its old checks kept.
TEST_P(RegisterTest, ClauseStandingsJudgeEachRequiredClauseOnce) {
  ASSERT_TRUE(regs_->seed_from_policy("node1"));
  ASSERT_TRUE(regs_->put(Kind::kContractors, {{"id", "juki_vendor"}, {"required_clauses", "秘密保持; 再委託の制限; 監査権"}, {"next_check", "2026-10-15"}},
                         true, "tanaka"));
  ASSERT_TRUE(regs_->add_contract_check("juki_vendor", {{"clause", "秘密保持"}, {"checked_on", "2026-04-01"}, {"result", "fail"}, {"checked_by", "suzuki"},
                                                        {"next_check", "2027-04-01"}}, "tanaka"));
  ASSERT_TRUE(regs_->add_contract_check("juki_vendor", {{"clause", "再委託の制限"}, {"checked_on", "2026-05-01"}, {"result", "partial"}, {"checked_by", "sato"}},
                                        "tanaka"));
  const auto latest = latest_per_clause(*contract_checks(*db_));
  auto entry = *regs_->get(Kind::kContractors, "juki_vendor");
  ASSERT_TRUE(entry);
  const auto s = clause_standings(*entry, *Date::parse("2026-11-01"), latest);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].clause, "秘密保持");
  ASSERT_NE(s[0].latest, nullptr);
  EXPECT_TRUE(s[0].failed);
  EXPECT_EQ(s[0].due, Date::parse("2027-04-01"));
  EXPECT_FALSE(s[0].due_from_entry);
  EXPECT_FALSE(s[0].overdue);
  ASSERT_NE(s[1].latest, nullptr);
  EXPECT_FALSE(s[1].failed) << "一部不適合 is a finding, not a failed clause";
  EXPECT_EQ(s[1].due, Date::parse("2026-10-15"));
  EXPECT_TRUE(s[1].due_from_entry);
  EXPECT_TRUE(s[1].overdue);
  EXPECT_EQ(s[2].clause, "監査権");
  EXPECT_EQ(s[2].latest, nullptr) << "never checked";
  EXPECT_FALSE(clause_standings(*entry, *Date::parse("2026-10-15"), latest)[1].overdue) << "due on the day is not past it";

  // The contract no longer requires 秘密保持: its failed check is history, no longer an alarm.
  std::multiset<std::string> codes;
  for (const auto& a : Registers::alarms(*entry, *Date::parse("2026-10-01"), {}, latest)) codes.insert(a.code);
  EXPECT_EQ(codes.count("check-failed"), 1u);
  ASSERT_TRUE(regs_->put(Kind::kContractors, {{"id", "juki_vendor"}, {"required_clauses", "再委託の制限; 監査権"}}, true, "tanaka"));
  entry = *regs_->get(Kind::kContractors, "juki_vendor");
  codes.clear();
  for (const auto& a : Registers::alarms(*entry, *Date::parse("2026-10-01"), {}, latest)) codes.insert(a.code);
  EXPECT_EQ(codes.count("check-failed"), 0u);
  EXPECT_EQ(contract_checks(*db_, "juki_vendor")->size(), 2u);
  // A contractor requiring no clause has no standings: its own next_check is what is due.
  ASSERT_TRUE(regs_->put(Kind::kContractors, {{"id", "cleaning"}, {"name", "清掃委託"}, {"next_check", "2026-11-30"}}, false, "tanaka"));
  EXPECT_TRUE(clause_standings(**regs_->get(Kind::kContractors, "cleaning"), *Date::parse("2026-12-01"), latest).empty());
}

// An import of a check history appends every row or none: formula cells, broken dates, unknown
// contractors and clauses are refused with the row and column, and nothing changes.
TEST_P(RegisterTest, AContractCheckImportAppendsAllRowsOrNone) {
  ASSERT_TRUE(regs_->seed_from_policy("node1"));
  ASSERT_TRUE(regs_->put(Kind::kContractors, {{"id", "juki_vendor"}, {"required_clauses", "秘密保持; 再委託の制限"}}, true, "tanaka"));
  ASSERT_TRUE(regs_->add_contract_check("juki_vendor", {{"clause", "秘密保持"}, {"checked_on", "2026-04-01"}, {"result", "pass"}, {"checked_by", "suzuki"}},
                                        "tanaka"));
  const auto logged = entries();
  const auto refused = [&](const std::string& csv, const std::string& code, const std::string& where) {
    auto s = regs_->import_contract_checks(csv_table(csv), "checks.csv", "00", "tanaka");
    ASSERT_FALSE(s) << csv;
    EXPECT_EQ(s.error().code, code) << s.error().to_string();
    EXPECT_NE(s.error().to_string().find(where), std::string::npos) << s.error().to_string();
    EXPECT_EQ(contract_checks(*db_)->size(), 1u);
    EXPECT_EQ(entries(), logged);
  };
  const std::string header = "委託事業者,契約条項,確認日,確認結果,確認者\n";
  refused(header + "juki_vendor,秘密保持,2026-05-01,適合,a\njuki_vendor,秘密保持,2026-06-01,適合,\"=cmd|'/C calc'!A0\"\n", "register.bad-value",
          "checks.csv row 3 column E");
  refused(header + "juki_vendor,秘密保持,2026-02-30,適合,a\n", "register.bad-value", "row 2 column C");
  refused(header + "juki_vendor,監査権,2026-05-01,適合,a\n", "register.inconsistent", "row 2");
  refused(header + "other,秘密保持,2026-05-01,適合,a\n", "register.not-found", "row 2");
  refused("委託事業者,契約条項,確認日,確認者\njuki_vendor,秘密保持,2026-05-01,a\n", "register.missing-column", "確認結果");
  refused("委託事業者,契約条項,確認日,確認結果,確認者,色\njuki_vendor,秘密保持,2026-05-01,適合,a,red\n", "register.unknown-column", "column F");
  refused(header + "juki_vendor,秘密保持,2026-05-01,適合,a\nother,x,bad,bad,b\n", "register.import-refused", "problems");

  auto s = regs_->import_contract_checks(csv_table(header + "juki_vendor,秘密保持,2026-05-01,適合,a\njuki_vendor,再委託の制限,2026-05-02,不適合,b\n"),
                                         "checks.csv", "ab", "tanaka");
  ASSERT_TRUE(s) << s.error().to_string();
  EXPECT_EQ(s->added, 2u);
  const auto all = *contract_checks(*db_, "juki_vendor");
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].checked_on, "2026-04-01");  // the earlier check is still there
  EXPECT_EQ(all[2].number, 3);
  EXPECT_EQ(all[2].result, "fail");
  EXPECT_EQ(all[2].audit_index, s->audit_index);
  EXPECT_EQ(actions_logged().back(), "register.contract-check.import");
  // The exported history reads back as the same checks (another import appends them again).
  const auto [head, rows] = contract_check_table(all);
  EXPECT_EQ(head.front(), "委託事業者");
  EXPECT_EQ(rows[2][3], "不適合");
}

SANSO_ON_EVERY_BACKEND(RegisterTest);

}  // namespace
}  // namespace sanso::registers
