#include "inspect/reminders.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "core/text.h"
#include "register/register.h"

namespace sanso::inspect {
namespace {

using registers::Entry;
using registers::Kind;

std::string text_of(const Entry& e, std::string_view key) {
  auto it = e.fields.find(key);
  return it != e.fields.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<Date> date_of(const Entry& e, std::string_view key) { return Date::parse(text_of(e, key)); }

// "あと 5 日" / "3 日超過", and the English beside it.
std::pair<std::string, std::string> when(Date due, Date today) {
  const std::int64_t left = registers::day_number(due) - registers::day_number(today);
  if (left > 0) return {"あと " + std::to_string(left) + " 日", "in " + std::to_string(left) + " days"};
  if (left == 0) return {"本日", "today"};
  return {std::to_string(-left) + " 日超過", std::to_string(-left) + " days overdue"};
}

std::string name_of(const Entry& e) {
  for (const char* key : {"name", "title", "rule"}) {
    if (const std::string v = text_of(e, key); !v.empty()) return e.key + "（" + v + "）";
  }
  return e.key;
}

void add_if_set(std::vector<std::string>& out, const std::string& value) {
  if (!value.empty()) out.push_back(value);
}

}  // namespace

Result<std::vector<Reminder>> due_reminders(store::Database& db, const policy::Policy& policy, Date today, std::int64_t days) {
  std::vector<Reminder> out;
  const std::int64_t horizon = registers::day_number(today) + days;
  const auto within = [&](Date d) { return registers::day_number(d) <= horizon; };
  const auto dated = [&](const std::string& item, Date due, const std::string& what_ja, const std::string& what_en, std::vector<std::string> people,
                         std::vector<std::string> roles) {
    const auto [ja, en] = when(due, today);
    out.push_back({item + "@" + due.to_string(), what_ja + "の期限 " + due.to_string() + "（" + ja + "）",
                   what_en + " due " + due.to_string() + " (" + en + ")", due.to_string(), std::move(people), std::move(roles)});
  };

  // Clause 8: the newest approved review's next review date.
  const auto reviews = SANSO_TRY(registers::list_entries(db, Kind::kReviews));
  if (const Entry* latest = registers::latest_approved_review(reviews)) {
    if (auto due = date_of(*latest, "next_review"); due && within(*due)) {
      std::vector<std::string> people;
      add_if_set(people, text_of(*latest, "reviewer"));
      add_if_set(people, text_of(*latest, "approved_by"));
      dated("reviews/" + latest->key, *due, "ポリシーの見直し（8）", "Policy review (8)", people, {});
    }
  }

  // 6(8): contractors — each required clause by its latest check (else the entry's next check).
  const auto latest_checks = registers::latest_per_clause(SANSO_TRY(registers::contract_checks(db)));
  for (const auto& e : SANSO_TRY(registers::list_entries(db, Kind::kContractors))) {
    std::vector<std::string> people;
    add_if_set(people, text_of(e, "responsible"));
    const auto standings = registers::clause_standings(e, today, latest_checks);
    for (const auto& s : standings) {
      if (s.due && within(*s.due)) {
        dated("contractors/" + e.key + "/" + s.clause, *s.due, "委託事業者 " + name_of(e) + " の契約条項「" + s.clause + "」の確認",
              "Check of contract clause \"" + s.clause + "\" of contractor " + e.key, people, {});
      }
    }
    const auto entry_next = date_of(e, "next_check");
    if (standings.empty() && entry_next && within(*entry_next)) {
      dated("contractors/" + e.key, *entry_next, "委託事業者 " + name_of(e) + " の確認", "Check of contractor " + e.key, people, {});
    }
  }

  for (const auto& e : SANSO_TRY(registers::list_entries(db, Kind::kCloud))) {
    if (auto due = date_of(e, "review_date"); due && within(*due)) {
      std::vector<std::string> roles;
      add_if_set(roles, text_of(e, "responsible_role"));
      dated("cloud/" + e.key, *due, "クラウドサービス " + name_of(e) + " の見直し", "Review of cloud service " + e.key, {}, roles);
    }
  }

  for (const auto& e : SANSO_TRY(registers::list_entries(db, Kind::kExceptions))) {
    if (text_of(e, "state") != "approved") continue;
    if (auto due = date_of(e, "expires"); due && within(*due)) {
      std::vector<std::string> people, roles;
      add_if_set(people, text_of(e, "requested_by"));
      add_if_set(people, text_of(e, "approved_by"));
      add_if_set(roles, text_of(e, "approver_role"));
      dated("exceptions/" + e.key, *due, "例外措置 " + name_of(e) + " の有効期限", "Expiry of exception " + e.key, people, roles);
    }
  }

  // Dormant accounts: dormant now, not by a date to come (the register's own alarm).
  for (const auto& e : SANSO_TRY(registers::list_entries(db, Kind::kSocialMedia))) {
    for (const auto& alarm : registers::Registers::alarms(e, today)) {
      if (alarm.code != "dormant") continue;
      std::vector<std::string> people, roles;
      add_if_set(people, text_of(e, "responsible_person"));
      add_if_set(roles, text_of(e, "responsible_role"));
      out.push_back({"sns/" + e.key + "/dormant@" + today.to_string(), "休眠アカウント " + name_of(e) + ": " + alarm.message,
                     "Dormant social-media account " + e.key + " (last post " + text_of(e, "last_post") + ")", text_of(e, "last_post"), people, roles});
    }
  }

  // Open corrective actions past their due date, to their owner.
  auto actions = SANSO_TRY(db.query("SELECT id, body, item, description, owner, due FROM inspect_actions WHERE state = 'open' ORDER BY id"));
  for (const auto& row : actions) {
    const auto due = Date::parse(row.text(5));
    if (!due || !(*due < today)) continue;
    const policy::Body* body = policy.find_body(row.text(1));
    const std::string body_name = body != nullptr ? body->name.ja : row.text(1);
    const auto [ja, en] = when(*due, today);
    out.push_back({"actions/" + std::to_string(row.integer(0)) + "@" + due->to_string(),
                   "是正処置 #" + std::to_string(row.integer(0)) + "（" + body_name + "、項目 " + row.text(2) + "）: " + row.text(3) + " — 期限 " +
                       due->to_string() + "（" + ja + "）",
                   "Corrective action #" + std::to_string(row.integer(0)) + " (item " + row.text(2) + ") due " + due->to_string() + " (" + en + ")",
                   due->to_string(), {row.text(4)}, {}});
  }
  return out;
}

Result<RemindOutcome> send_reminders(store::Database& db, audit::AuditLog& audit, const Clock& clock, const policy::Policy& policy,
                                     const std::vector<config::Operator>& users, const std::vector<std::string>& fallback_roles,
                                     const RemindOptions& options, const SendDigest& send) {
  const Date today = clock.today();
  const std::string day = today.to_string();
  const auto items = SANSO_TRY(due_reminders(db, policy, today, options.days));
  RemindOutcome outcome;

  // Recipients by name, each item once per person.
  std::map<std::string, Digest> digests;
  const auto holders = [&](const std::vector<std::string>& roles) {
    std::vector<const config::Operator*> out;
    for (const auto& u : users) {
      if (!u.mail.empty() && std::any_of(u.roles.begin(), u.roles.end(), [&](const std::string& r) { return std::count(roles.begin(), roles.end(), r) > 0; })) {
        out.push_back(&u);
      }
    }
    return out;
  };
  for (const auto& item : items) {
    std::vector<const config::Operator*> to = holders(item.roles);
    for (const auto& name : item.people) {
      for (const auto& u : users) {
        if (!u.mail.empty() && ascii_lower(u.name) == ascii_lower(name)) to.push_back(&u);
      }
    }
    if (to.empty()) to = holders(fallback_roles);
    if (to.empty()) {
      outcome.unaddressed.push_back(item);
      continue;
    }
    // One digest per address, not per person: people who share a mailbox (a section's) get one
    // mail, and what is recorded as sent is keyed by the address.
    std::set<std::string> seen;
    for (const auto* u : to) {
      const std::string address = ascii_lower(u->mail);
      if (!seen.insert(address).second) continue;
      auto& d = digests[address];
      if (d.mail.empty()) {
        d.name = u->name;
        d.mail = u->mail;
      }
      d.items.push_back(item);
    }
  }

  // What was sent today already is not sent again.
  auto sent_rows = SANSO_TRY(db.query("SELECT recipient, item FROM register_reminders WHERE day = ?", {day}));
  std::set<std::pair<std::string, std::string>> sent_today;
  for (const auto& row : sent_rows) sent_today.emplace(row.text(0), row.text(1));
  std::vector<std::string> failed;
  for (auto& entry : digests) {
    Digest& d = entry.second;  // not a structured binding: the lambda below captures it (clang-14)
    const auto before = d.items.size();
    std::erase_if(d.items, [&](const Reminder& r) { return sent_today.count({d.mail, r.item}) > 0; });
    outcome.already_sent += before - d.items.size();
    if (d.items.empty()) continue;
    d.subject = "【Sanso】期限の近い項目 " + std::to_string(d.items.size()) + " 件 / Reminders: " + std::to_string(d.items.size()) + " item(s) due";
    d.body = d.name + " さん\n\n期限が近い、または過ぎている項目があります（" + day + " 現在、" + std::to_string(options.days) + " 日以内）。\n\n";
    for (const auto& r : d.items) d.body += "・" + visible_text(r.ja) + "\n";
    d.body += "\n台帳（/registers）と自己点検（/inspect）で対応を記録してください。\n\n----\n\nItems due within " + std::to_string(options.days) +
              " days or overdue as of " + day + ":\n\n";
    for (const auto& r : d.items) d.body += "- " + visible_text(r.en) + "\n";
    d.body += "\nRecord what was done in the registers (/registers) and the self-inspection (/inspect).\n";
    if (options.dry_run) {
      outcome.sent.push_back(d);
      continue;
    }
    auto reply = send(d.mail, d.subject, d.body);
    if (!reply) {
      // One address the relay refuses stops no one else's digest; the run still fails.
      failed.push_back(d.mail);
      if (!outcome.failure) {
        outcome.failure = make_error("register.remind-failed", d.mail,
                                     "the reminder digest to " + d.name + " could not be sent (" + reply.error().message + "); it is not recorded as sent");
      }
      continue;
    }
    outcome.sent.push_back(d);
  }
  if (options.dry_run || outcome.sent.empty()) return outcome;

  // One record for the run, committed with what it sent.
  std::string recipients, unaddressed;
  std::size_t count = 0;
  for (const auto& d : outcome.sent) {
    recipients += (recipients.empty() ? "" : ", ") + d.mail;
    count += d.items.size();
  }
  for (const auto& r : outcome.unaddressed) unaddressed += (unaddressed.empty() ? "" : ", ") + r.item;
  store::AuditEvent event;
  event.time = std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
  event.actor = options.actor;
  event.action = "register.remind";
  event.subject = "reminders " + day;
  event.outcome = outcome.failure ? "partial" : "ok";
  event.clause = "8";
  event.details = {{"day", day},
                   {"days", std::to_string(options.days)},
                   {"recipients", recipients},
                   {"items", std::to_string(count)},
                   {"unaddressed", unaddressed}};
  if (outcome.failure) {
    std::string all;
    for (const auto& f : failed) all += (all.empty() ? "" : ", ") + f;
    event.details.emplace_back("failed", all);
  }
  auto tx = SANSO_TRY(store::Transaction::begin(db));
  const std::uint64_t index = SANSO_TRY(audit.append_batch(db, std::span<const store::AuditEvent>(&event, 1)));
  for (const auto& d : outcome.sent) {
    for (const auto& r : d.items) {
      // A run beside this one (the timer and a person) may have recorded the same: kept once.
      SANSO_TRY(db.execute("INSERT INTO register_reminders (day, recipient, item, sent_at, audit_index) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                           {day, d.mail, r.item, event.time, static_cast<std::int64_t>(index)}));
    }
  }
  SANSO_TRY(tx.commit());
  outcome.audit_index = index;
  return outcome;
}

}  // namespace sanso::inspect
