#include "inspect/evaluate.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "audit/versions.h"
#include "core/text.h"
#include "inspect/checks.h"
#include "quarantine/verdict.h"
#include "register/register.h"

namespace sanso::inspect {
namespace {

// Entries of one action the checks read in one go. Releases, approvals and sign-ins are the work
// of people, far below this; a log beyond it is refused rather than half read.
constexpr std::size_t kMaxEntriesRead = 1'000'000;
constexpr std::int64_t kDay = 86400;
// A session is signed in at most this long before the approval it made (the console's maximum
// session is hours; a week leaves room for any configuration).
constexpr std::int64_t kSignInLookBack = 7 * kDay;

struct Logged {
  std::uint64_t index = 0;
  std::int64_t time = 0;
  nlohmann::json record;
  std::string text(std::string_view key) const {
    auto it = record.find(key);
    return it != record.end() && it->is_string() ? it->get<std::string>() : std::string();
  }
  std::string detail(std::string_view key) const {
    auto d = record.find("details");
    if (d == record.end() || !d->is_object()) return {};
    auto it = d->find(key);
    return it != d->end() && it->is_string() ? it->get<std::string>() : std::string();
  }
};

// Reads the audit log's own table: the checks need entries by action and time, which the log's
// query API (newest first, by prefix) does not answer. Read only.
Result<std::vector<Logged>> logged(store::Database& db, std::string_view action, std::int64_t from, std::int64_t to,
                                   std::string_view record_contains = {}) {
  const std::string limit = " LIMIT " + std::to_string(kMaxEntriesRead + 1);
  auto rows = SANSO_TRY(record_contains.empty()
                            ? db.query("SELECT idx, time, record FROM audit_entries WHERE action = ? AND time >= ? AND time < ? ORDER BY idx" + limit,
                                       {std::string(action), from, to})
                            : db.query("SELECT idx, time, record FROM audit_entries WHERE action = ? AND time >= ? AND time < ? AND record LIKE ? "
                                       "ORDER BY idx" + limit,
                                       {std::string(action), from, to, "%" + std::string(record_contains) + "%"}));
  if (rows.size() > kMaxEntriesRead) {
    return make_error("inspect.too-many-entries", std::string(action),
                      "more than " + std::to_string(kMaxEntriesRead) + " audit entries of this action in the period; evaluate a shorter period");
  }
  std::vector<Logged> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    Logged l{static_cast<std::uint64_t>(row.integer(0)), row.integer(1), nlohmann::json::parse(row.text(2), nullptr, false)};
    if (l.record.is_discarded() || !l.record.is_object()) {
      return make_error("inspect.corrupt-log", "audit entry " + std::to_string(l.index),
                        "the audit record does not parse as JSON; run `sanso audit verify`");
    }
    out.push_back(std::move(l));
  }
  return out;
}

bool same_person(std::string_view a, std::string_view b) { return ascii_lower(a) == ascii_lower(b); }

void add_evidence(CheckOutcome& out, std::uint64_t index) {
  if (out.evidence.size() < kMaxEvidenceEntries) out.evidence.push_back(index);
}

void finish(CheckOutcome& out) {
  std::sort(out.evidence.begin(), out.evidence.end());
  out.evidence.erase(std::unique(out.evidence.begin(), out.evidence.end()), out.evidence.end());
}

// The policy.change entry that recorded the policy now in force, if the log has it.
Result<std::optional<std::uint64_t>> policy_entry(store::Database& db, const EvaluationInputs& in) {
  if (in.policy_sha256.empty()) return std::optional<std::uint64_t>();
  auto rows = SANSO_TRY(logged(db, "policy.change", 0, INT64_MAX, "\"output_sha256\":\"" + in.policy_sha256 + "\""));
  if (rows.empty()) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(rows.back().index);
}

std::string policy_note(const std::optional<std::uint64_t>& entry) {
  return entry ? "" : "（施行中のポリシーの記録が監査ログにない: サービスの起動時に記録される）";
}

Result<CheckOutcome> mynumber_egress(store::Database& db, std::int64_t from, std::int64_t to) {
  CheckOutcome out;
  std::size_t found = 0;
  std::string example;
  for (const auto& f : SANSO_TRY(logged(db, "monitor.finding", from, to))) {
    if (f.detail("src_zone") != policy::kZoneMynumber || f.detail("dst_zone") == policy::kZoneMynumber) continue;
    ++found;
    add_evidence(out, f.index);
    if (example.empty()) example = f.text("subject");
  }
  // A finding opened before the period and still seen in it was recorded when it opened.
  auto continuing = SANSO_TRY(db.query(
      "SELECT src, dst, dport, proto FROM monitor_findings WHERE src_zone = ? AND dst_zone <> ? AND first_seen < ? AND last_seen >= ?",
      {std::string(policy::kZoneMynumber), std::string(policy::kZoneMynumber), from, from}));
  for (const auto& row : continuing) {
    const std::string subject = row.text(0) + " -> " + row.text(1) + ":" + std::to_string(row.integer(2)) + "/" + row.text(3);
    ++found;
    if (example.empty()) example = subject;
    for (const auto& f : SANSO_TRY(logged(db, "monitor.finding", 0, from, "\"subject\":\"" + subject + "\""))) {
      if (f.text("subject") == subject) add_evidence(out, f.index);
    }
  }
  out.passed = found == 0;
  out.summary = out.passed ? "期間中、フロー監視はマイナンバー利用事務系から他の領域への通信を検知していない"
                           : "マイナンバー利用事務系から他の領域への通信を " + std::to_string(found) + " 件検知（例: " + example + "）";
  return out;
}

// Approvals and requests by quarantine item, from the start of the log to `to`.
using ByItem = std::map<std::string, std::vector<Logged>>;
Result<ByItem> by_item(store::Database& db, std::string_view action, std::int64_t to) {
  ByItem out;
  for (auto& l : SANSO_TRY(logged(db, action, 0, to))) out[l.text("subject")].push_back(std::move(l));
  return out;
}

Result<CheckOutcome> release_two_person(store::Database& db, std::int64_t from, std::int64_t to) {
  CheckOutcome out;
  const ByItem approvals = SANSO_TRY(by_item(db, "quarantine.approve", to));
  std::size_t releases = 0;
  std::vector<std::string> bad;
  CheckOutcome failing;
  for (const auto& release : SANSO_TRY(logged(db, "quarantine.release", from, to))) {
    if (release.text("outcome") != "released") continue;
    ++releases;
    add_evidence(out, release.index);
    const std::string item = release.text("subject");
    // The approval this release acted on: the last one for the item before it.
    const Logged* approval = nullptr;
    if (auto it = approvals.find(item); it != approvals.end()) {
      for (const auto& a : it->second) {
        if (a.index < release.index && a.text("outcome") == "approved") approval = &a;
      }
    }
    std::string why;
    if (!approval) {
      why = item + ": 承認の記録がない";
    } else {
      add_evidence(out, approval->index);
      const std::string requester = approval->detail("requested_by");
      if (requester.empty()) {
        why = item + ": 申請者の記録がない";
      } else if (same_person(requester, approval->text("actor"))) {
        why = item + ": 申請者と承認者が同じ（" + requester + "）";
      }
    }
    if (!why.empty()) {
      bad.push_back(why);
      add_evidence(failing, release.index);
      if (approval) add_evidence(failing, approval->index);
    }
  }
  if (!bad.empty()) {
    failing.summary = "二名によらない解除が " + std::to_string(bad.size()) + " 件（" + bad.front() + (bad.size() > 1 ? " ほか" : "") + "）";
    return failing;
  }
  out.passed = true;
  out.summary = releases == 0 ? "期間中の解除はない" : "期間中の解除 " + std::to_string(releases) + " 件はすべて申請者と別の承認者による";
  return out;
}

Result<CheckOutcome> approver_second_factor(store::Database& db, std::int64_t from, std::int64_t to) {
  std::map<std::string, const Logged*> sign_ins;  // session → its sign-in record
  const auto sign_in_records = SANSO_TRY(logged(db, "console.sign-in", from - kSignInLookBack, to));
  for (const auto& s : sign_in_records) {
    if (const std::string session = s.detail("session"); !session.empty()) sign_ins[session] = &s;
  }
  CheckOutcome out, failing;
  std::size_t decisions = 0;
  std::vector<std::string> bad;
  for (std::string_view action : {"quarantine.approve", "quarantine.deny"}) {
    for (const auto& d : SANSO_TRY(logged(db, action, from, to))) {
      const std::string outcome = d.text("outcome");
      if (outcome != "approved" && outcome != "denied") continue;  // refused attempts decided nothing
      ++decisions;
      add_evidence(out, d.index);
      const std::string via = d.detail("via");
      const std::string actor = d.text("actor");
      constexpr std::string_view kConsole = "console session ";
      std::string why;
      if (via.starts_with(kConsole)) {
        const std::string session = via.substr(kConsole.size(), via.find(' ', kConsole.size()) - kConsole.size());
        auto it = sign_ins.find(session);
        if (it == sign_ins.end() || it->second->index > d.index) {
          why = actor + ": セッション " + session + " のサインインの記録がない";
        } else if (it->second->detail("factors").find("totp") == std::string::npos) {
          why = actor + ": パスワードのみでサインイン（第二要素なし）";
          add_evidence(failing, it->second->index);
        } else {
          add_evidence(out, it->second->index);
        }
      } else {
        // The command line proves an operating-system account, not a second factor.
        why = actor + ": " + (via.empty() ? std::string("認証経路の記録がない") : "コマンドラインからの判断で第二要素の記録がない（" + via + "）");
      }
      if (!why.empty()) {
        bad.push_back(why);
        add_evidence(failing, d.index);
      }
    }
  }
  if (!bad.empty()) {
    failing.summary = "第二要素を確認できない承認・却下が " + std::to_string(bad.size()) + " 件（" + bad.front() + (bad.size() > 1 ? " ほか" : "") + "）";
    return failing;
  }
  out.passed = true;
  out.summary = decisions == 0 ? "期間中の承認・却下はない"
                               : "期間中の承認・却下 " + std::to_string(decisions) + " 件はすべて第二要素で認証したセッションによる";
  return out;
}

Result<CheckOutcome> quarantine_retention(store::Database& db, const config::QuarantineSettings& settings, std::int64_t now) {
  auto rows = SANSO_TRY(db.query("SELECT id, verdict, received_at, expires_at, state FROM quarantine_items ORDER BY received_at, id"));
  CheckOutcome out;
  std::vector<std::string> bad;
  for (const auto& row : rows) {
    const std::string id = row.text(0);
    // A word Sanso never wrote reads as held, as the quarantine itself reads it.
    auto verdict = quarantine::parse_verdict(row.text(1), "quarantine_items.verdict");
    const std::int64_t limit = std::int64_t{settings.retention.days_for(verdict ? *verdict : quarantine::Verdict::kHeld)} * kDay;
    std::string why;
    if (row.integer(3) - row.integer(2) > limit + 60) {
      why = id + ": 保存期限が設定（" + std::to_string(limit / kDay) + "日）を超える";
    } else if (row.text(4) != "releasing" && row.integer(3) + kDay < now) {
      // The purge runs at least daily; an item a day past its expiry is kept beyond the limit.
      why = id + ": 保存期限 " + iso_utc(row.integer(3)) + " を過ぎても削除されていない";
    }
    if (why.empty()) continue;
    bad.push_back(why);
    if (out.evidence.size() < kMaxEvidenceEntries) {
      for (const auto& s : SANSO_TRY(logged(db, "quarantine.store", 0, INT64_MAX, "\"subject\":\"" + id + "\""))) {
        if (s.text("subject") == id) add_evidence(out, s.index);
      }
    }
  }
  out.passed = bad.empty();
  out.summary = out.passed ? "保存中の " + std::to_string(rows.size()) + " 件はすべて設定の保存期間内"
                           : "保存期間を超える隔離が " + std::to_string(bad.size()) + " 件（" + bad.front() + (bad.size() > 1 ? " ほか" : "") + "）";
  return out;
}

Date one_year_before(Date d) {
  Date out{d.year - 1, d.month, d.day};
  if (out.month == 2 && out.day == 29) out.day = 28;
  return out;
}

// The review records (register "reviews", clause 8) decide: the latest approved review must be
// within 12 months, and its next review not past. Without any approved record, the policy's own
// [municipality] reviewed_on is read, and the summary says that no review record backs it.
Result<CheckOutcome> policy_review(store::Database& db, const policy::Policy& p, Date today, const std::optional<std::uint64_t>& entry) {
  CheckOutcome out;
  Date latest_on;
  const auto reviews = SANSO_TRY(registers::list_entries(db, registers::Kind::kReviews));
  const registers::Entry* latest = registers::latest_approved_review(reviews, &latest_on);
  if (latest) {
    out.evidence.push_back(SANSO_TRY(registers::current_audit_index(db, registers::Kind::kReviews, latest->key)));
    // The reviewed policy as its kept version (`sanso policy versions`), when the record names one.
    std::string reviewed_policy;
    if (const std::string sha = latest->fields.value("policy_sha256", ""); !sha.empty()) {
      auto version = audit::find_file_version(db, "policy", "@" + sha);
      reviewed_policy = version ? "、ポリシー @" + std::to_string(version->number) : "、ポリシー " + sha.substr(0, 12) + "（保管された版にない）";
    }
    const std::string record =
        "見直し記録 " + latest->key + "（" + latest_on.to_string() + "、承認 " + latest->fields.value("approved_by", "") + reviewed_policy + "）";
    std::optional<Date> next;
    if (auto n = latest->fields.find("next_review"); n != latest->fields.end() && n->is_string()) next = Date::parse(n->get<std::string>());
    if (latest_on < one_year_before(today)) {
      out.summary = "最後の" + record + "から12か月を超えている";
    } else if (today < latest_on) {
      out.summary = record + "の見直し日が未来の日付";
    } else if (next && *next < today) {
      out.summary = record + "の次回見直し期限 " + next->to_string() + " を過ぎている";
    } else {
      out.passed = true;
      out.summary = "最後の" + record + "は12か月以内";
      if (next && registers::day_number(*next) - registers::day_number(today) <= registers::kReviewReminderDays) {
        out.summary += "。次回見直し期限 " + next->to_string() + " まで " + std::to_string(registers::day_number(*next) - registers::day_number(today)) + " 日";
      }
    }
    return out;
  }
  if (entry) out.evidence.push_back(*entry);
  const auto& reviewed = p.municipality.reviewed_on;
  if (!reviewed) {
    out.summary = "ポリシーに見直し日（[municipality] reviewed_on）の記載がなく、承認された見直し記録（台帳 reviews）もない";
  } else if (*reviewed < one_year_before(today)) {
    out.summary = "最後の見直し（" + reviewed->to_string() + "）から12か月を超えている";
  } else if (today < *reviewed) {
    out.summary = "見直し日 " + reviewed->to_string() + " が未来の日付";
  } else {
    out.passed = true;
    out.summary = "最後の見直しは " + reviewed->to_string() + "（12か月以内; ポリシーの記載による。承認された見直し記録は台帳 reviews にない）";
  }
  out.summary += policy_note(entry);
  return out;
}

CheckOutcome sns_responsible(const policy::Policy& p, const std::optional<std::uint64_t>& entry) {
  CheckOutcome out;
  if (entry) out.evidence.push_back(*entry);
  std::size_t accounts = 0;
  std::vector<std::string> bad;
  for (const auto& s : p.services) {
    if (s.kind != policy::ExternalService::Kind::kSocialMedia) continue;
    ++accounts;
    if (s.responsible_person.find_first_not_of(" \t") == std::string::npos) {
      bad.push_back(s.id + "（" + s.name.ja + "）");
    }
  }
  out.passed = bad.empty();
  std::string list;
  for (const auto& b : bad) list += (list.empty() ? "" : "、") + b;
  out.summary = out.passed ? "ソーシャルメディアのアカウント " + std::to_string(accounts) + " 件すべてに責任者がいる"
                           : "責任者の定めのないアカウント: " + list;
  out.summary += policy_note(entry);
  return out;
}

// The exceptions register (例外措置台帳, seeded from the policy's [rules.exception]) says which
// exceptions are in force: none approved may be past its expiry. An exception the policy declares
// that the register lacks fails too (nothing shows it was registered), as for contract-check.
Result<CheckOutcome> exception_expiry(store::Database& db, const policy::Policy& p, Date today, std::int64_t from, std::int64_t to,
                                      const std::optional<std::uint64_t>& entry) {
  CheckOutcome out;
  const auto entries = SANSO_TRY(registers::list_entries(db, registers::Kind::kExceptions));
  std::vector<std::string> bad;
  std::vector<std::uint64_t> shown_ok, shown_bad;
  if (entry) shown_bad.push_back(*entry);
  for (const auto& rule : p.rules) {
    if (!rule.exception) continue;
    const bool listed = std::any_of(entries.begin(), entries.end(), [&](const registers::Entry& e) { return e.key == rule.id; });
    if (!listed) bad.push_back(rule.id + "（例外措置台帳に記載がない）");
  }
  for (const auto& e : entries) {
    const auto text = [&](const char* key) { return e.fields.contains(key) && e.fields[key].is_string() ? e.fields[key].get<std::string>() : std::string(); };
    if (text("state") != "approved") continue;
    const std::uint64_t index = SANSO_TRY(registers::current_audit_index(db, registers::Kind::kExceptions, e.key));
    const auto expires = Date::parse(text("expires"));
    if (expires && !(*expires < today)) {
      shown_ok.push_back(index);
      continue;
    }
    const std::string rule = text("rule");
    bad.push_back(e.key + (expires ? "（規則 " + rule + "、期限 " + expires->to_string() + "）" : "（規則 " + rule + "、有効期限の記載がない）"));
    shown_bad.push_back(index);
    // Decisions that cited the rule in the period: what the stale exception touched.
    auto cited = SANSO_TRY(db.query("SELECT idx, record FROM audit_entries WHERE time >= ? AND time < ? AND record LIKE ? ORDER BY idx LIMIT ?",
                                    {from, to, "%\"rule\":\"" + rule + "\"%", std::int64_t{kMaxEvidenceEntries}}));
    for (const auto& row : cited) {
      auto r = nlohmann::json::parse(row.text(1), nullptr, false);
      if (r.is_object() && r.value("rule", "") == rule) shown_bad.push_back(static_cast<std::uint64_t>(row.integer(0)));
    }
  }
  out.passed = bad.empty();
  for (auto index : out.passed ? shown_ok : shown_bad) add_evidence(out, index);
  if (out.passed && entry) add_evidence(out, *entry);
  std::string list;
  for (const auto& b : bad) list += (list.empty() ? "" : "、") + b;
  out.summary = out.passed ? "承認された例外措置 " + std::to_string(shown_ok.size()) + " 件はすべて有効期限内（例外措置台帳）"
                           : "期限切れ、または台帳で確認できない例外措置: " + list;
  out.summary += policy_note(entry);
  return out;
}

// Every contractor, the policy's and the register's own, has its checks due in the future and a
// contract that has not ended. A contractor with required contract clauses is judged by the latest
// check of each clause (contractor_checks): a clause never checked, or whose latest check's next
// date (else the entry's next_check) has passed, fails. Without required clauses the entry's own
// next_check is read. A contractor the policy declares but the register lacks, or one without a
// next check date, fails: the check cannot be shown to be done.
Result<CheckOutcome> contract_check(store::Database& db, const policy::Policy& p, Date today) {
  CheckOutcome out;
  const auto entries = SANSO_TRY(registers::list_entries(db, registers::Kind::kContractors));
  const auto latest = registers::latest_per_clause(SANSO_TRY(registers::contract_checks(db)));
  std::vector<std::string> bad;
  std::vector<std::uint64_t> shown_ok, shown_bad;
  for (const auto& c : p.contractors) {
    const bool listed = std::any_of(entries.begin(), entries.end(), [&](const registers::Entry& e) { return e.key == c.id; });
    if (!listed) bad.push_back(c.id + "（委託事業者台帳に記載がない）");
  }
  for (const auto& e : entries) {
    const auto text = [&](const char* key) { return e.fields.contains(key) && e.fields[key].is_string() ? e.fields[key].get<std::string>() : std::string(); };
    const auto entry_next = Date::parse(text("next_check"));
    const auto until = Date::parse(text("contract_until"));
    std::vector<std::string> whys;
    std::vector<std::uint64_t> cited;
    const auto standings = registers::clause_standings(e, today, latest);
    for (const auto& s : standings) {
      const std::string clause = "条項「" + s.clause + "」";
      if (!s.latest) {
        whys.push_back(clause + "の確認の記録がない");
        continue;
      }
      cited.push_back(s.latest->audit_index);
      if (s.failed) whys.push_back(clause + "の直近の確認（" + s.latest->checked_on + "）が不適合");
      if (!s.due) whys.push_back(clause + "の次回確認期限の記載がない");
      else if (s.overdue) whys.push_back(clause + "の次回確認期限 " + s.due->to_string() + " を過ぎている（直近の確認 " + s.latest->checked_on + "）");
    }
    if (standings.empty()) {
      if (!entry_next) whys.push_back("次回確認期限の記載がない");
      else if (*entry_next < today) whys.push_back("次回確認期限 " + entry_next->to_string() + " を過ぎている");
    }
    if (until && *until < today) whys.push_back("契約期限 " + until->to_string() + " を過ぎている");
    // The record that wrote the entry's current version, and those of the latest check of each
    // clause: what the outcome rests on.
    cited.insert(cited.begin(), SANSO_TRY(registers::current_audit_index(db, registers::Kind::kContractors, e.key)));
    if (whys.empty()) {
      shown_ok.insert(shown_ok.end(), cited.begin(), cited.end());
    } else {
      std::string why;
      for (const auto& w : whys) why += (why.empty() ? "" : "、") + w;
      bad.push_back(e.key + "（" + why + "）");
      shown_bad.insert(shown_bad.end(), cited.begin(), cited.end());
    }
  }
  out.passed = bad.empty();
  for (auto index : out.passed ? shown_ok : shown_bad) add_evidence(out, index);
  std::string list;
  for (const auto& b : bad) list += (list.empty() ? "" : "、") + b;
  out.summary = out.passed ? "委託事業者 " + std::to_string(entries.size()) + " 件すべての確認期限が到来していない"
                           : "確認期限を過ぎた、または確認の記録がない委託契約: " + list;
  return out;
}

std::int64_t unix_now(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
}

// The flow monitor watched the whole period: its heartbeats (monitor/heartbeat.h: at start,
// hourly, at stop) and findings leave no silence longer than kMonitorSilence — from the period's
// start to the first record, between two, or from the last to the period's end (or now). Passing
// cites the first and last record; failing cites the records on either side of the longest
// silence (none when the period has none at all).
constexpr std::int64_t kMonitorSilence = 3 * 3600;

Result<CheckOutcome> monitor_heartbeat(store::Database& db, std::int64_t from, std::int64_t to) {
  CheckOutcome out;
  auto records = SANSO_TRY(logged(db, "monitor.heartbeat", from, to));
  for (auto& f : SANSO_TRY(logged(db, "monitor.finding", from, to))) records.push_back(std::move(f));
  std::sort(records.begin(), records.end(), [](const Logged& a, const Logged& b) { return a.time != b.time ? a.time < b.time : a.index < b.index; });
  if (records.empty()) {
    out.summary = "期間中、フロー監視のハートビートも検知の記録もない（sanso monitor listen が動いていない）";
    return out;
  }
  // The longest silence and the records around it (nullptr: the period's edge).
  std::int64_t longest = records.front().time - from;
  const Logged* before = nullptr;
  const Logged* after = &records.front();
  for (std::size_t i = 1; i < records.size(); ++i) {
    if (records[i].time - records[i - 1].time > longest) {
      longest = records[i].time - records[i - 1].time;
      before = &records[i - 1];
      after = &records[i];
    }
  }
  if (to - records.back().time > longest) {
    longest = to - records.back().time;
    before = &records.back();
    after = nullptr;
  }
  std::uint64_t flows = 0;
  for (const auto& r : records) {
    if (r.text("action") != "monitor.heartbeat") continue;
    const std::string n = r.detail("flows");
    if (!n.empty() && n.size() < 19 && std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; })) flows += std::stoull(n);
  }
  const auto when = [](const Logged* r, std::int64_t edge) { return local_time(r ? r->time : edge); };
  if (longest > kMonitorSilence) {
    if (before) add_evidence(out, before->index);
    if (after) add_evidence(out, after->index);
    out.summary = "フロー監視の記録が " + std::to_string(longest / 3600) + " 時間 " + std::to_string(longest % 3600 / 60) + " 分途切れた（" +
                  when(before, from) + " から " + when(after, to) + " まで; 許容 " + std::to_string(kMonitorSilence / 3600) + " 時間）";
    return out;
  }
  add_evidence(out, records.front().index);
  add_evidence(out, records.back().index);
  out.passed = true;
  out.summary = "フロー監視は期間中動いていた（記録 " + std::to_string(records.size()) + " 件、途切れは最長 " + std::to_string(longest / 60) +
                " 分、受信したフロー " + std::to_string(flows) + " 件）";
  return out;
}

}  // namespace

Result<CheckOutcome> run_check(std::string_view check, store::Database& db, std::int64_t from, std::int64_t to,
                               const EvaluationInputs& inputs, const Clock& clock) {
  if (!find_automatic_check(check)) return make_error("inspect.unknown-check", std::string(check), "Sanso has no automatic check by this id");
  CheckOutcome out;
  if (check == "mynumber-egress") {
    out = SANSO_TRY(mynumber_egress(db, from, to));
  } else if (check == "release-two-person") {
    out = SANSO_TRY(release_two_person(db, from, to));
  } else if (check == "monitor-heartbeat") {
    out = SANSO_TRY(monitor_heartbeat(db, from, to));
  } else if (check == "approver-second-factor") {
    out = SANSO_TRY(approver_second_factor(db, from, to));
  } else if (check == "quarantine-retention") {
    if (!inputs.quarantine) return make_error("inspect.no-config", std::string(check), "the quarantine's settings are needed for this check");
    out = SANSO_TRY(quarantine_retention(db, *inputs.quarantine, unix_now(clock)));
  } else {
    if (!inputs.policy) return make_error("inspect.no-policy", std::string(check), "the policy in force is needed for this check");
    const auto entry = SANSO_TRY(policy_entry(db, inputs));
    if (check == "policy-review") {
      out = SANSO_TRY(policy_review(db, *inputs.policy, clock.today(), entry));
    } else if (check == "sns-responsible") {
      out = sns_responsible(*inputs.policy, entry);
    } else if (check == "contract-check") {
      out = SANSO_TRY(contract_check(db, *inputs.policy, clock.today()));
    } else {
      out = SANSO_TRY(exception_expiry(db, *inputs.policy, clock.today(), from, to, entry));
    }
  }
  finish(out);
  return out;
}

Result<std::vector<AutomaticResult>> evaluate_campaign(store::Database& db, Campaigns& campaigns, const std::string& campaign_id,
                                                       const EvaluationInputs& inputs, const Clock& clock, const std::string& actor) {
  const Campaign c = SANSO_TRY(campaigns.get(campaign_id));
  const std::int64_t now = unix_now(clock);
  // A period still running is evaluated up to now; the result says so by its time.
  const std::int64_t to = std::min(c.period_end, now + 1);
  std::vector<AutomaticResult> results;
  store::AuditEvent event;
  event.time = now;
  event.actor = actor;
  event.action = "inspect.evaluate";
  event.subject = campaign_id;
  event.clause = "7";
  event.details = {{"period_from", iso_utc(c.period_start)}, {"period_to", iso_utc(to)}};
  bool all_passed = true;
  for (const auto& item : c.items) {
    if (item.kind != ItemKind::kAutomatic) continue;
    const CheckOutcome o = SANSO_TRY(run_check(item.check, db, c.period_start, to, inputs, clock));
    results.push_back({item.id, item.check, o.passed, o.summary, o.evidence, 0, now});
    all_passed = all_passed && o.passed;
    std::string entries;
    for (auto i : o.evidence) entries += (entries.empty() ? "" : ",") + std::to_string(i);
    event.details.emplace_back("item." + item.id, std::string(o.passed ? "pass" : "fail") + " [" + entries + "] " + o.summary);
  }
  event.outcome = results.empty() ? "no-automatic-items" : all_passed ? "pass" : "fail";
  SANSO_TRY(campaigns.store_results(campaign_id, results, event));
  return results;
}

Result<std::vector<EvaluationProof>> prove_evaluations(store::Database& db, Campaigns& campaigns, const std::string& campaign_id,
                                                       const audit::VerifierKey& key) {
  std::map<std::uint64_t, std::vector<std::uint64_t>> cited;  // inspect.evaluate record → the entries to prove
  for (const auto& r : SANSO_TRY(campaigns.results(campaign_id))) {
    auto& entries = cited[r.audit_index];
    entries.push_back(r.audit_index);
    entries.insert(entries.end(), r.evidence.begin(), r.evidence.end());
  }
  std::vector<EvaluationProof> out;
  for (auto& [index, entries] : cited) {
    EvaluationProof p;
    p.audit_index = index;
    std::sort(entries.begin(), entries.end());
    entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
    auto covering = SANSO_TRY(db.query_one("SELECT tree_size FROM audit_checkpoints WHERE tree_size > ? ORDER BY tree_size LIMIT 1",
                                           {static_cast<std::int64_t>(index)}));
    auto checkpoint = covering ? SANSO_TRY(audit::checkpoint_at(db, static_cast<std::uint64_t>(covering->integer(0))))
                               : std::optional<audit::SignedCheckpoint>();
    if (!checkpoint) {
      p.problem = "評価の記録 #" + std::to_string(index) + " の後に署名されたチェックポイントがない";
      out.push_back(std::move(p));
      continue;
    }
    p.tree_size = checkpoint->checkpoint.size;
    p.signed_at = checkpoint->signed_at;
    // The signed note is the proof: its own root, not the one stored beside it.
    auto text = audit::open_note(checkpoint->note, key);
    auto signed_body = text ? audit::parse_checkpoint(*text) : Result<audit::Checkpoint>(text.error());
    if (!signed_body) {
      p.problem = "チェックポイント（" + std::to_string(p.tree_size) + " 件）の署名を検証できない: " + signed_body.error().message;
    } else if (signed_body->size != p.tree_size) {
      p.problem = "チェックポイントの署名された件数 " + std::to_string(signed_body->size) + " が保存された件数と違う";
    } else {
      p.root = audit::to_base64(signed_body->root);
      for (auto e : entries) {
        auto row = SANSO_TRY(db.query_one("SELECT record FROM audit_entries WHERE idx = ?", {static_cast<std::int64_t>(e)}));
        if (!row || e >= p.tree_size) {
          p.problem = "記録 #" + std::to_string(e) + " が署名された木にない";
          break;
        }
        const auto proof = SANSO_TRY(audit::prove_inclusion(db, e, p.tree_size));
        if (!audit::verify_inclusion(e, p.tree_size, audit::leaf_hash(row->text(0)), proof.proof, signed_body->root)) {
          p.problem = "記録 #" + std::to_string(e) + " の内容が署名されたルートと一致しない（改ざん）";
          break;
        }
        ++p.entries;
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace sanso::inspect
