// Automatic items on a seeded log: a pass and a fail for each check, the fail citing the entries
// that prove it. Records are written in the shapes the quarantine, the console and the monitor
// write them (docs/audit-format.md).
#include "inspect/evaluate.h"

#include "register/register.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "support/audited_store.h"

namespace sanso::inspect {
namespace {

const std::string kDir = sanso::testing::kExampleCityDir;
// 2026-11 in Japan.
constexpr std::int64_t kFrom = 1793458800;
constexpr std::int64_t kTo = 1796050800;
constexpr std::int64_t kMid = kFrom + 10 * 86400;

class EvaluateTest : public sanso::testing::AuditedStoreTest {
 protected:
  void SetUp() override {
    AuditedStoreTest::SetUp();
    settings_.retention.default_days = 180;
    settings_.retention.days_by_verdict[quarantine::Verdict::kBlocked] = 30;
    inputs_ = {&policy_, std::string(64, 'b'), &settings_};
  }

  // What the quarantine records for a release that one person asked for and another approved.
  std::pair<std::uint64_t, std::uint64_t> release(const std::string& item, const std::string& requester, const std::string& approver,
                                                  const std::string& via, std::int64_t time) {
    append(time - 100, requester, "quarantine.request-release", item, "requested", {{"reason", "業務で必要"}});
    const auto approve = append(time - 50, approver, "quarantine.approve", item, "approved",
                                {{"via", via}, {"role", "security_officer"}, {"requested_by", requester}, {"note", ""}});
    const auto released = append(time, approver, "quarantine.release", item, "released", {{"to", "relay"}, {"approved_by", approver}});
    return {approve, released};
  }

  CheckOutcome check(std::string_view id) {
    auto r = run_check(id, *db_, kFrom, kTo, inputs_, clock_);
    EXPECT_TRUE(r) << r.error().to_string();
    return r ? *r : CheckOutcome{};
  }

  config::QuarantineSettings settings_;
  EvaluationInputs inputs_;
};

TEST_P(EvaluateTest, MynumberEgressPassesWithoutFindingsFromTheZone) {
  append(kMid, "monitor@gw1", "monitor.finding", "10.20.0.5 -> 203.0.113.9:443/tcp", "breach", {{"src_zone", "lgwan"}, {"dst_zone", "internet"}});
  append(kFrom - 10, "monitor@gw1", "monitor.finding", "10.10.0.5 -> 203.0.113.9:443/tcp", "breach", {{"src_zone", "mynumber"}, {"dst_zone", "internet"}});
  const auto o = check("mynumber-egress");
  EXPECT_TRUE(o.passed) << o.summary;
  EXPECT_TRUE(o.evidence.empty());
}

TEST_P(EvaluateTest, MynumberEgressFailsOnAFindingAndCitesIt) {
  const auto finding = append(kMid, "monitor@gw1", "monitor.finding", "10.10.0.5 -> 203.0.113.9:443/tcp", "breach",
                              {{"src_zone", "mynumber"}, {"dst_zone", "internet"}});
  const auto o = check("mynumber-egress");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.evidence, std::vector<std::uint64_t>{finding});
  EXPECT_NE(o.summary.find("10.10.0.5"), std::string::npos) << o.summary;
}

TEST_P(EvaluateTest, MynumberEgressCountsAFindingOpenedBeforeThePeriodAndStillSeen) {
  const auto opened = append(kFrom - 3600, "monitor@gw1", "monitor.finding", "10.10.0.5 -> 203.0.113.9:443/tcp", "breach",
                             {{"src_zone", "mynumber"}, {"dst_zone", "internet"}});
  ASSERT_TRUE(db_->execute("INSERT INTO monitor_findings (rule, clause, src, dst, dport, proto, src_zone, dst_zone, first_seen, last_seen, count, node) "
                           "VALUES ('mynumber-egress', '6(3)①', '10.10.0.5', '203.0.113.9', 443, 'tcp', 'mynumber', 'internet', ?, ?, 40, 'gw1')",
                           {kFrom - 3600, kFrom + 600}));
  const auto o = check("mynumber-egress");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.evidence, std::vector<std::uint64_t>{opened});
}

// The collector's hourly heartbeats over [from, to), in one transaction; the index of the first.
std::uint64_t heartbeats(store::Database& db, audit::AuditLog& log, std::int64_t from, std::int64_t to) {
  std::vector<store::AuditEvent> events;
  for (std::int64_t t = from; t < to; t += 3600) {
    store::AuditEvent e;
    e.time = t;
    e.actor = "monitor@gw1";
    e.action = "monitor.heartbeat";
    e.subject = "collector";
    e.outcome = events.empty() ? "started" : "alive";
    e.details = {{"flows", "12"}, {"since", ""}};
    events.push_back(std::move(e));
  }
  auto tx = store::Transaction::begin(db);
  EXPECT_TRUE(tx);
  auto first = log.append_batch(db, events);
  EXPECT_TRUE(first) << first.error().to_string();
  EXPECT_TRUE(tx->commit());
  return first ? *first : 0;
}

TEST_P(EvaluateTest, MonitorHeartbeatFailsWithoutRecordsAndOnASilenceCitingTheRecordsAroundIt) {
  auto o = check("monitor-heartbeat");
  EXPECT_FALSE(o.passed);
  EXPECT_TRUE(o.evidence.empty());
  EXPECT_NE(o.summary.find("sanso monitor listen が動いていない"), std::string::npos) << o.summary;

  // Ten days of heartbeats, five silent hours, then the rest of the month.
  const std::uint64_t first = heartbeats(*db_, *log_, kFrom, kMid);
  const std::uint64_t last_before = first + (kMid - kFrom) / 3600 - 1;
  const std::uint64_t after = heartbeats(*db_, *log_, kMid + 5 * 3600, kTo);
  o = check("monitor-heartbeat");
  EXPECT_FALSE(o.passed) << o.summary;
  EXPECT_EQ(o.evidence, (std::vector<std::uint64_t>{last_before, after}));
  EXPECT_NE(o.summary.find("6 時間 0 分途切れた"), std::string::npos) << o.summary;

  // A finding in the silent hours shows the monitor was there (findings count as its records):
  // the longest silence is now three hours, within the limit.
  append(kMid + 2 * 3600, "monitor@gw1", "monitor.finding", "10.20.0.5 -> 203.0.113.9:443/tcp", "warning", {{"src_zone", "lgwan"}, {"dst_zone", "internet"}});
  o = check("monitor-heartbeat");
  EXPECT_TRUE(o.passed) << o.summary;
  EXPECT_EQ(o.evidence.front(), first);
  EXPECT_NE(o.summary.find("途切れは最長 180 分"), std::string::npos) << o.summary;
}

TEST_P(EvaluateTest, ReleaseTwoPersonPassesWhenRequesterAndApproverDiffer) {
  const auto [approve, released] = release("q1", "tanaka", "suzuki", "console session aaaa from 192.0.2.1", kMid);
  const auto o = check("release-two-person");
  EXPECT_TRUE(o.passed) << o.summary;
  EXPECT_EQ(o.evidence, (std::vector<std::uint64_t>{approve, released}));
}

TEST_P(EvaluateTest, ReleaseTwoPersonFailsOnOnePersonAndOnAReleaseWithoutApproval) {
  release("q1", "tanaka", "suzuki", "console session aaaa from 192.0.2.1", kMid);
  const auto [approve, released] = release("q2", "sato", "SATO", "console session bbbb from 192.0.2.1", kMid + 100);
  auto o = check("release-two-person");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.evidence, (std::vector<std::uint64_t>{approve, released}));
  EXPECT_NE(o.summary.find("q2"), std::string::npos) << o.summary;
  const auto orphan = append(kMid + 200, "root", "quarantine.release", "q3", "released", {{"to", "relay"}});
  o = check("release-two-person");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.evidence, (std::vector<std::uint64_t>{approve, released, orphan}));
}

TEST_P(EvaluateTest, ApproverSecondFactorPassesForATotpSession) {
  const auto sign_in = append(kMid - 600, "suzuki", "console.sign-in", "suzuki", "ok", {{"session", "aaaa"}, {"factors", "password+totp"}});
  const auto [approve, released] = release("q1", "tanaka", "suzuki", "console session aaaa from 192.0.2.1", kMid);
  const auto o = check("approver-second-factor");
  EXPECT_TRUE(o.passed) << o.summary;
  EXPECT_EQ(o.evidence, (std::vector<std::uint64_t>{sign_in, approve}));
}

TEST_P(EvaluateTest, ApproverSecondFactorFailsForPasswordOnlyAndForTheCommandLine) {
  append(kMid - 600, "suzuki", "console.sign-in", "suzuki", "ok", {{"session", "aaaa"}, {"factors", "password+totp"}});
  release("q1", "tanaka", "suzuki", "console session aaaa from 192.0.2.1", kMid);
  const auto weak = append(kMid - 500, "sato", "console.sign-in", "sato", "ok", {{"session", "bbbb"}, {"factors", "password"}});
  const auto [approve, released] = release("q2", "tanaka", "sato", "console session bbbb from 192.0.2.1", kMid + 10);
  auto o = check("approver-second-factor");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.evidence, (std::vector<std::uint64_t>{weak, approve}));
  EXPECT_NE(o.summary.find("sato"), std::string::npos) << o.summary;

  sanso::testing::TestStore other(GetParam());
  db_ = other.open();
  ASSERT_TRUE(store::migrate(*db_));
  const auto [cli_approve, cli_release] = release("q3", "tanaka", "kato", "os user kato (uid 1003)", kMid);
  o = check("approver-second-factor");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.evidence, std::vector<std::uint64_t>{cli_approve});
  EXPECT_NE(o.summary.find("コマンドライン"), std::string::npos) << o.summary;
}

TEST_P(EvaluateTest, QuarantineRetentionPassesWithinTheLimitsAndFailsBeyondThem) {
  const auto put = [&](const std::string& id, const std::string& verdict, std::int64_t received, int days) {
    ASSERT_TRUE(db_->execute("INSERT INTO quarantine_items (id, sha256, size, origin_kind, verdict, received_at, expires_at, state, state_changed_at) "
                             "VALUES (?, ?, 1, 'mail', ?, ?, ?, 'held', ?)",
                             {id, std::string(64, 'a'), verdict, received, received + std::int64_t{days} * 86400, received}));
    append(received, "milter@gw1", "quarantine.store", id, verdict);
  };
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
  put("ok1", "held", now - 86400, 180);
  auto o = check("quarantine-retention");
  EXPECT_TRUE(o.passed) << o.summary;
  put("long", "blocked", now - 86400, 90);  // blocked items are kept 30 days
  o = check("quarantine-retention");
  EXPECT_FALSE(o.passed);
  ASSERT_EQ(o.evidence.size(), 1u);
  EXPECT_NE(o.summary.find("long"), std::string::npos) << o.summary;
  put("stale", "held", now - 200 * 86400, 180);  // expired 20 days ago, never purged
  o = check("quarantine-retention");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.evidence.size(), 2u);
}

TEST_P(EvaluateTest, PolicyReviewPassesWithinTwelveMonthsAndFailsAfterOrWithoutADate) {
  const auto entry = append(kFrom - 86400, "sanso", "policy.change", kDir + "policy.toml", "first-seen");
  auto o = check("policy-review");  // reviewed 2026-03-25, today 2026-12-01; the entry's hash is not the policy's
  EXPECT_TRUE(o.passed) << o.summary;
  EXPECT_NE(o.summary.find("記録が監査ログにない"), std::string::npos) << o.summary;
  store::AuditEvent e;
  e.time = kFrom;
  e.actor = "sanso";
  e.action = "policy.change";
  e.subject = "policy.toml";
  e.outcome = "changed";
  e.output_sha256 = inputs_.policy_sha256;
  auto in_force = log_->append_now(*db_, e);
  ASSERT_TRUE(in_force);
  o = check("policy-review");
  EXPECT_TRUE(o.passed);
  EXPECT_EQ(o.evidence, std::vector<std::uint64_t>{*in_force});
  EXPECT_NE(*in_force, entry);
  clock_ = FixedClock(Date{2027, 3, 26});
  o = check("policy-review");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.evidence, std::vector<std::uint64_t>{*in_force});
  EXPECT_NE(o.summary.find("2026-03-25"), std::string::npos) << o.summary;
  policy_.municipality.reviewed_on.reset();
  clock_ = FixedClock(Date{2026, 12, 1});
  o = check("policy-review");
  EXPECT_FALSE(o.passed);
  EXPECT_NE(o.summary.find("reviewed_on"), std::string::npos) << o.summary;
}

// The review records decide once one is approved: its date, its next review (a reminder within
// 30 days, a failure after), its register entry cited; a self-approved review is refused.
TEST_P(EvaluateTest, PolicyReviewReadsTheLatestApprovedReviewRecord) {
  registers::Registers regs(*db_, *log_, clock_, &policy_);
  auto self = regs.put(registers::Kind::kReviews, {{"id", "R2026"}, {"reviewed_on", "2026-11-20"}, {"reviewer", "kato"}, {"decision", "approved"},
                                                   {"approved_by", "KATO"}},
                       false, "kato");
  ASSERT_FALSE(self);
  EXPECT_NE(self.error().message.find("someone other than the reviewer"), std::string::npos) << self.error().to_string();
  auto pending = regs.put(registers::Kind::kReviews, {{"id", "R2026"}, {"reviewed_on", "2026-11-20"}, {"reviewer", "kato"}, {"decision", "changes-required"}},
                          false, "kato");
  ASSERT_TRUE(pending) << pending.error().to_string();
  auto o = check("policy-review");  // not approved: the policy's reviewed_on (2026-03-25) is read
  EXPECT_TRUE(o.passed) << o.summary;
  EXPECT_NE(o.summary.find("見直し記録は台帳 reviews にない"), std::string::npos) << o.summary;

  auto old = regs.put(registers::Kind::kReviews, {{"id", "R2025"}, {"reviewed_on", "2025-10-01"}, {"reviewer", "kato"}, {"decision", "approved"},
                                                  {"approved_by", "ciso"}},
                      false, "kato");
  ASSERT_TRUE(old) << old.error().to_string();
  o = check("policy-review");
  EXPECT_FALSE(o.passed) << "the latest approved review is over 12 months old: " << o.summary;
  EXPECT_NE(o.summary.find("R2025"), std::string::npos) << o.summary;
  const auto old_index = registers::current_audit_index(*db_, registers::Kind::kReviews, "R2025");
  ASSERT_TRUE(old_index);
  EXPECT_EQ(o.evidence, std::vector<std::uint64_t>{*old_index});

  auto approved = regs.put(registers::Kind::kReviews, {{"id", "R2026"}, {"decision", "approved"}, {"approved_by", "ciso"}, {"next_review", "2026-12-20"},
                                                       {"risks", "R1; R2"}, {"findings", "minamata-monthly:mayor:2026-10/monthly-physical"}},
                           true, "kato");
  ASSERT_TRUE(approved) << approved.error().to_string();
  o = check("policy-review");
  EXPECT_TRUE(o.passed) << o.summary;
  EXPECT_NE(o.summary.find("R2026"), std::string::npos) << o.summary;
  EXPECT_NE(o.summary.find("次回見直し期限 2026-12-20 まで 19 日"), std::string::npos) << "the reminder: " << o.summary;
  const auto index = registers::current_audit_index(*db_, registers::Kind::kReviews, "R2026");
  ASSERT_TRUE(index);
  EXPECT_EQ(o.evidence, std::vector<std::uint64_t>{*index});
  auto entry = regs.get(registers::Kind::kReviews, "R2026");
  ASSERT_TRUE(entry && *entry);
  const auto alarms = registers::Registers::alarms(**entry, clock_.today());
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].code, "review-due");

  clock_ = FixedClock(Date{2026, 12, 21});
  o = check("policy-review");
  EXPECT_FALSE(o.passed);
  EXPECT_NE(o.summary.find("次回見直し期限 2026-12-20 を過ぎている"), std::string::npos) << o.summary;
  EXPECT_EQ(registers::Registers::alarms(**entry, clock_.today())[0].code, "review-overdue");
}

TEST_P(EvaluateTest, SnsResponsiblePassesForTheExampleAndFailsForAnAccountWithoutOne) {
  auto o = check("sns-responsible");
  EXPECT_TRUE(o.passed) << o.summary;
  for (auto& s : policy_.services) {
    if (s.id == "official_line") s.responsible_person = "  ";
  }
  o = check("sns-responsible");
  EXPECT_FALSE(o.passed);
  EXPECT_NE(o.summary.find("official_line"), std::string::npos) << o.summary;
}

TEST_P(EvaluateTest, ContractCheckPassesWithChecksDueAndFailsPastTheDateOrWithoutARecord) {
  // The policy's contractor, not yet in the register: no record of a check, so no pass.
  auto o = check("contract-check");
  EXPECT_FALSE(o.passed);
  EXPECT_NE(o.summary.find("juki_vendor"), std::string::npos) << o.summary;

  registers::Registers regs(*db_, *log_, clock_, &policy_);
  ASSERT_TRUE(regs.seed_from_policy("test"));
  o = check("contract-check");
  EXPECT_FALSE(o.passed);
  EXPECT_NE(o.summary.find("次回確認期限の記載がない"), std::string::npos) << o.summary;

  auto due = regs.put(registers::Kind::kContractors, {{"id", "juki_vendor"}, {"last_check", "2026-10-01"}, {"check_result", "pass"}, {"next_check", "2027-04-01"}},
                      true, "tanaka");
  ASSERT_TRUE(due) << due.error().to_string();
  const auto passing_entry = *registers::current_audit_index(*db_, registers::Kind::kContractors, "juki_vendor");
  o = check("contract-check");
  EXPECT_TRUE(o.passed) << o.summary;
  EXPECT_EQ(o.evidence, std::vector<std::uint64_t>{passing_entry});

  ASSERT_TRUE(regs.put(registers::Kind::kContractors, {{"id", "cleaning"}, {"name", "清掃委託"}, {"next_check", "2026-11-30"}}, false, "tanaka"));
  const auto failing_entry = *registers::current_audit_index(*db_, registers::Kind::kContractors, "cleaning");
  o = check("contract-check");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.evidence, std::vector<std::uint64_t>{failing_entry});
  EXPECT_NE(o.summary.find("cleaning（次回確認期限 2026-11-30 を過ぎている）"), std::string::npos) << o.summary;
}

// A contractor with required clauses is judged by the latest check of each clause: a clause
// never checked fails, a clause whose latest check's next date has passed fails (an earlier check
// with a later date does not hide it), and the latest checks' records are the evidence.
TEST_P(EvaluateTest, ContractCheckReadsTheLatestCheckOfEachRequiredClause) {
  registers::Registers regs(*db_, *log_, clock_, &policy_);
  ASSERT_TRUE(regs.seed_from_policy("test"));
  ASSERT_TRUE(regs.put(registers::Kind::kContractors, {{"id", "juki_vendor"}, {"required_clauses", "秘密保持;再委託の制限"}, {"next_check", "2027-06-01"}},
                       true, "tanaka"));
  auto o = check("contract-check");
  EXPECT_FALSE(o.passed);
  EXPECT_NE(o.summary.find("条項「秘密保持」の確認の記録がない"), std::string::npos) << o.summary;
  EXPECT_NE(o.summary.find("条項「再委託の制限」の確認の記録がない"), std::string::npos) << o.summary;

  const auto add = [&](const std::string& clause, const std::string& on, const std::string& next) {
    auto c = regs.add_contract_check("juki_vendor", {{"clause", clause}, {"checked_on", on}, {"result", "pass"}, {"checked_by", "suzuki"}, {"next_check", next}},
                                     "tanaka");
    EXPECT_TRUE(c) << c.error().to_string();
    return c ? c->audit_index : 0;
  };
  const auto secrecy = add("秘密保持", "2026-06-01", "2027-03-01");
  const auto subcontract = add("再委託の制限", "2026-06-01", "");  // due with the entry's next_check
  o = check("contract-check");
  EXPECT_TRUE(o.passed) << o.summary;
  EXPECT_NE(std::find(o.evidence.begin(), o.evidence.end(), secrecy), o.evidence.end());
  EXPECT_NE(std::find(o.evidence.begin(), o.evidence.end(), subcontract), o.evidence.end());

  // The latest check of 秘密保持 says it falls due on 2026-11-15 (past on 2026-12-01).
  const auto latest = add("秘密保持", "2026-08-01", "2026-11-15");
  o = check("contract-check");
  EXPECT_FALSE(o.passed);
  EXPECT_NE(o.summary.find("条項「秘密保持」の次回確認期限 2026-11-15 を過ぎている（直近の確認 2026-08-01）"), std::string::npos) << o.summary;
  EXPECT_NE(std::find(o.evidence.begin(), o.evidence.end(), latest), o.evidence.end());
  EXPECT_EQ(std::find(o.evidence.begin(), o.evidence.end(), secrecy), o.evidence.end());

  // A check entered late for an earlier date does not replace the latest one.
  add("秘密保持", "2026-07-01", "2027-12-01");
  o = check("contract-check");
  EXPECT_FALSE(o.passed) << o.summary;
  // A newer check of the clause passes it again; the older ones stay in the history.
  add("秘密保持", "2026-11-20", "2027-05-20");
  o = check("contract-check");
  EXPECT_TRUE(o.passed) << o.summary;
  EXPECT_EQ(registers::contract_checks(*db_, "juki_vendor")->size(), 5u);

  // The latest check found the clause not kept: failed, whatever its dates say.
  auto failed = regs.add_contract_check("juki_vendor", {{"clause", "再委託の制限"}, {"checked_on", "2026-11-25"}, {"result", "fail"}, {"checked_by", "sato"},
                                                        {"next_check", "2027-05-25"}}, "tanaka");
  ASSERT_TRUE(failed) << failed.error().to_string();
  o = check("contract-check");
  EXPECT_FALSE(o.passed) << o.summary;
  EXPECT_NE(o.summary.find("条項「再委託の制限」の直近の確認（2026-11-25）が不適合"), std::string::npos) << o.summary;
  // A check dated after today (2026-12-01) is refused: as the latest it would hide that failure.
  auto future = regs.add_contract_check("juki_vendor", {{"clause", "再委託の制限"}, {"checked_on", "2062-01-01"}, {"result", "pass"}, {"checked_by", "x"}},
                                        "tanaka");
  ASSERT_FALSE(future);
  EXPECT_EQ(future.error().code, "register.bad-value") << future.error().to_string();
  EXPECT_FALSE(check("contract-check").passed);
}

TEST_P(EvaluateTest, ExceptionExpiryReadsTheExceptionsRegisterAndCitesTheDecisionsAStaleOneTouched) {
  policy::Rule* with_exception = nullptr;
  for (auto& r : policy_.rules) {
    if (r.exception) with_exception = &r;
  }
  ASSERT_NE(with_exception, nullptr) << "the example policy has an exception";
  // The policy's exception, not yet in the register: nothing shows it was registered, so no pass.
  auto o = check("exception-expiry");
  EXPECT_FALSE(o.passed);
  EXPECT_NE(o.summary.find(with_exception->id + "（例外措置台帳に記載がない）"), std::string::npos) << o.summary;

  registers::Registers regs(*db_, *log_, clock_, &policy_);
  ASSERT_TRUE(regs.seed_from_policy("test"));
  const auto seeded = *registers::current_audit_index(*db_, registers::Kind::kExceptions, with_exception->id);
  o = check("exception-expiry");
  EXPECT_TRUE(o.passed) << o.summary;
  EXPECT_EQ(o.evidence, std::vector<std::uint64_t>{seeded});

  // The policy's exception has expired: the register's copy follows the policy and fails.
  with_exception->exception->expires = Date{2026, 11, 10};
  ASSERT_TRUE(regs.seed_from_policy("test"));
  const auto reseeded = *registers::current_audit_index(*db_, registers::Kind::kExceptions, with_exception->id);
  ASSERT_NE(reseeded, seeded);
  const auto decided = append(kMid + 86400, "milter@gw1", "mail.decide", "<m1@example.jp>", "allow", {}, with_exception->id);
  append(kMid, "milter@gw1", "mail.decide", "<m2@example.jp>", "allow", {}, with_exception->id + "-other");
  o = check("exception-expiry");
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.evidence, (std::vector<std::uint64_t>{reseeded, decided}));
  EXPECT_NE(o.summary.find(with_exception->id + "（規則 " + with_exception->id + "、期限 2026-11-10）"), std::string::npos) << o.summary;

  // An exception the register keeps itself (granted outside the policy file) is held to its expiry too.
  with_exception->exception->expires = Date{2027, 3, 31};
  ASSERT_TRUE(regs.seed_from_policy("test"));
  ASSERT_TRUE(check("exception-expiry").passed);
  auto requested = regs.put(registers::Kind::kExceptions,
                            {{"id", "usb-for-election"}, {"rule", policy_.rules.front().id}, {"requested_by", "sato"}, {"requested_on", "2026-01-05"},
                             {"reason", "選挙事務で USB メモリを使う"}, {"approver_role", "ciso"}, {"state", "requested"}},
                            false, "sato");
  ASSERT_TRUE(requested) << requested.error().to_string();
  const FixedClock today = clock_;
  clock_ = FixedClock(Date{2026, 1, 10});  // decided in January, for the first half of the year
  auto own = regs.decide_exception("usb-for-election", true, {"suzuki", {"ciso"}}, "選挙の期間に限る", "2026-06-30");
  clock_ = today;
  ASSERT_TRUE(own) << own.error().to_string();
  o = check("exception-expiry");
  EXPECT_FALSE(o.passed);
  EXPECT_NE(o.summary.find("usb-for-election"), std::string::npos) << o.summary;
  EXPECT_EQ(o.evidence.front(), *registers::current_audit_index(*db_, registers::Kind::kExceptions, "usb-for-election"));
}

TEST_P(EvaluateTest, EvaluatingACampaignStoresEachResultWithItsInspectEvaluateRecord) {
  auto set = load_template_dir(kDir + "inspection");
  ASSERT_TRUE(set) << set.error().to_string();
  Campaigns campaigns(*db_, *log_, clock_);
  auto c = campaigns.create(*set->find("minamata-monthly"), policy_, {"mayor", "2026-11", "tanaka", ""}, "admin");
  ASSERT_TRUE(c) << c.error().to_string();
  const auto [approve, released] = release("q2", "sato", "sato", "os user sato (uid 1004)", kMid);
  auto results = evaluate_campaign(*db_, campaigns, c->id, inputs_, clock_, "admin");
  ASSERT_TRUE(results) << results.error().to_string();
  std::size_t automatic = 0;
  for (const auto& item : c->items) automatic += item.kind == ItemKind::kAutomatic;
  ASSERT_EQ(results->size(), automatic);
  auto stored = campaigns.results(c->id);
  ASSERT_TRUE(stored);
  ASSERT_EQ(stored->size(), automatic);
  const auto two_person = std::find_if(stored->begin(), stored->end(), [](const AutomaticResult& r) { return r.item == "release-two-person"; });
  ASSERT_NE(two_person, stored->end());
  EXPECT_FALSE(two_person->passed);
  EXPECT_EQ(two_person->evidence, (std::vector<std::uint64_t>{approve, released}));
  auto record = db_->query_one("SELECT action, record FROM audit_entries WHERE idx = ?", {static_cast<std::int64_t>(two_person->audit_index)});
  ASSERT_TRUE(record && *record);
  EXPECT_EQ((*record)->text(0), "inspect.evaluate");
  const auto j = nlohmann::json::parse((*record)->text(1));
  EXPECT_EQ(j["outcome"], "fail");
  EXPECT_EQ(j["subject"], c->id);
  EXPECT_EQ(j["details"]["item.release-two-person"].get<std::string>().rfind("fail [" + std::to_string(approve) + "," + std::to_string(released) + "]", 0), 0u)
      << j.dump();
}

TEST_P(EvaluateTest, AnEvaluationIsProvedByTheCheckpointSignedAfterItAndATamperedRecordIsNot) {
  auto set = load_template_dir(kDir + "inspection");
  ASSERT_TRUE(set) << set.error().to_string();
  Campaigns campaigns(*db_, *log_, clock_);
  auto c = campaigns.create(*set->find("minamata-monthly"), policy_, {"mayor", "2026-11", "tanaka", ""}, "admin");
  ASSERT_TRUE(c) << c.error().to_string();
  const auto [approve, released] = release("q3", "sato", "suzuki", "console session s1 from 10.20.0.7", kMid);
  auto results = evaluate_campaign(*db_, campaigns, c->id, inputs_, clock_, "admin");
  ASSERT_TRUE(results) << results.error().to_string();
  const std::uint64_t evaluation = results->front().audit_index;
  auto key = audit::generate_signing_key("test/audit");
  ASSERT_TRUE(key);

  // Not signed yet: nothing proves it.
  auto proofs = prove_evaluations(*db_, campaigns, c->id, key->verifier);
  ASSERT_TRUE(proofs) << proofs.error().to_string();
  ASSERT_EQ(proofs->size(), 1u);
  EXPECT_NE((*proofs)[0].problem.find("署名されたチェックポイントがない"), std::string::npos) << (*proofs)[0].problem;

  ASSERT_TRUE(log_->checkpoint(*db_, *key));
  proofs = prove_evaluations(*db_, campaigns, c->id, key->verifier);
  ASSERT_TRUE(proofs);
  ASSERT_EQ(proofs->size(), 1u);
  EXPECT_EQ((*proofs)[0].problem, "");
  EXPECT_EQ((*proofs)[0].audit_index, evaluation);
  EXPECT_GT((*proofs)[0].tree_size, evaluation);
  EXPECT_GE((*proofs)[0].entries, 3u);  // the record, and the approval and release it cites

  // Another key did not sign it.
  auto stranger = audit::generate_signing_key("test/other");
  ASSERT_TRUE(stranger);
  proofs = prove_evaluations(*db_, campaigns, c->id, stranger->verifier);
  ASSERT_TRUE(proofs);
  EXPECT_NE((*proofs)[0].problem.find("署名を検証できない"), std::string::npos) << (*proofs)[0].problem;

  // A cited entry rewritten after the checkpoint no longer hashes to the signed root.
  ASSERT_TRUE(db_->execute("UPDATE audit_entries SET record = ? WHERE idx = ?",
                           {std::string("{\"action\":\"quarantine.release\",\"forged\":true}"), static_cast<std::int64_t>(released)}));
  proofs = prove_evaluations(*db_, campaigns, c->id, key->verifier);
  ASSERT_TRUE(proofs);
  EXPECT_NE((*proofs)[0].problem.find("#" + std::to_string(released)), std::string::npos) << (*proofs)[0].problem;
  EXPECT_NE((*proofs)[0].problem.find("改ざん"), std::string::npos) << (*proofs)[0].problem;
}

SANSO_ON_EVERY_BACKEND(EvaluateTest);

}  // namespace
}  // namespace sanso::inspect
