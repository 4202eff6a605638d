// register: the registers (台帳) the policy asks the city to keep — information assets (6(2), in
// the forms of 4(2)), contractors, cloud services and social-media accounts (6(8)), incidents and
// exceptions (6(7)), risks for the policy review (8), training and attestations (6(5)) — in the
// store, with every add, change and import committed together with its audit record.
//
// Items the policy file declares (assets, contractors, cloud services, social-media accounts)
// are seeded from it: their policy fields (name, zone, classification, responsible role...) are
// the policy's and are changed in the policy file only; the register adds the fields the policy
// does not hold (form, owner, handling, checks, reviews, MFA...).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "audit/log.h"
#include "core/clock.h"
#include "core/result.h"
#include "register/kinds.h"
#include "register/table.h"
#include "store/database.h"

namespace sanso::policy {
struct Policy;
}

namespace sanso::registers {

struct Entry {
  Kind kind = Kind::kAssets;
  std::string key;
  nlohmann::json fields = nlohmann::json::object();  // typed values of the kind's fields; absent: no value
  bool from_policy = false;  // declared in the policy file
  std::int64_t version = 0;  // 1 when added, +1 per change
  std::string created_by;
  std::int64_t created_at = 0;
  std::string changed_by;
  std::int64_t changed_at = 0;
};

// One past version of an entry, as the history keeps it.
struct Change {
  std::int64_t version = 0;
  std::string change;  // "add", "change", "import", "seed", "approve", "deny" (an exception decided)
  nlohmann::json fields;
  std::string changed_by;
  std::int64_t changed_at = 0;
  std::uint64_t audit_index = 0;
};

// Something an entry says needs attention today (a check or review past due, a dormant account,
// an expired exception still approved). Japanese, one line.
struct Alarm {
  std::string key;
  std::string code;     // "check-overdue", "review-overdue", "dormant", "expired", "no-mfa", ...
  std::string message;
};

// One check of one required contract clause of a contractor (委託事業者, 6(8)): appended by
// Registers::add_contract_check or an import of checks, never changed or removed afterwards.
struct ContractCheck {
  std::string contractor;   // the contractors register's entry key
  std::int64_t number = 0;  // 1, 2, … per contractor, in the order recorded
  std::string clause;       // one of the entry's required_clauses
  std::string checked_on;   // YYYY-MM-DD
  std::string result;       // "pass", "partial", "fail" (the register's check results)
  std::string checked_by;   // who checked
  std::string note;
  std::string next_check;   // YYYY-MM-DD when the clause is next due, or empty
  std::string recorded_by;
  std::int64_t recorded_at = 0;
  std::uint64_t audit_index = 0;
};

// Every check of `contractor` (all contractors when empty), oldest first.
Result<std::vector<ContractCheck>> contract_checks(store::Database& db, const std::string& contractor = {});
// The latest check of each clause (by its date, then the order recorded), in clause order.
std::vector<ContractCheck> latest_per_clause(const std::vector<ContractCheck>& checks);
// How one required contract clause of a contractor stands on a day, judged from the latest check
// of it: the one judgement the register's alarms, the automatic inspection item contract-check and
// the reminders all read, so that they cannot disagree on whether a clause is due.
struct ClauseStanding {
  std::string clause;
  // The latest check of the clause (an element of the `latest_checks` given), or null when the
  // clause was never checked — nothing shows that it is kept.
  const ContractCheck* latest = nullptr;
  // The latest check found the clause not kept ("fail"). 一部不適合 ("partial") is a finding for
  // the corrective actions, not a failed clause.
  bool failed = false;
  // When the clause is next due: the latest check's next date, else the entry's own next_check
  // (then `due_from_entry`); nullopt when neither says.
  std::optional<Date> due;
  bool due_from_entry = false;
  bool overdue = false;  // `due` is before the day judged
};
// One standing per required clause of `contractor` (its required_clauses, in their order), from
// `latest_checks` (latest_per_clause of any contractors' checks; the result points into it, so it
// must outlive the result). Empty when the entry requires no clause: then its own next_check and
// check_result are what is due.
std::vector<ClauseStanding> clause_standings(const Entry& contractor, Date today, const std::vector<ContractCheck>& latest_checks);
// The check's fields as a table's columns (import and export of checks): contractor, clause,
// checked_on, result, checked_by, note, next_check, with Japanese labels.
std::span<const FieldSpec> contract_check_fields();
// One of them by key ("result": its choices are the check results); the first for an unknown key.
const FieldSpec& contract_check_field(std::string_view key);
// All checks as a table (the Japanese labels as header), oldest first per contractor.
std::pair<std::vector<std::string>, std::vector<std::vector<std::string>>> contract_check_table(const std::vector<ContractCheck>& checks);

struct ImportSummary {
  std::size_t rows = 0;
  std::size_t added = 0;
  std::size_t changed = 0;
  std::size_t unchanged = 0;
  std::uint64_t audit_index = 0;
  std::string encoding;
};

// The entries of one register, read without writing (for readers such as src/inspect).
Result<std::vector<Entry>> list_entries(store::Database& db, Kind kind);
// The audit-log index of the record that wrote an entry's current version.
Result<std::uint64_t> current_audit_index(store::Database& db, Kind kind, const std::string& key);

// An import lists at most this many problems in its error; the first line gives the count.
inline constexpr std::size_t kMaxImportProblems = 20;
// An approved policy review (register "reviews") reminds this many days before its next review.
inline constexpr std::int64_t kReviewReminderDays = 30;

class Registers {
 public:
  // `policy` may be null: then nothing is seeded and references into it are not checked.
  Registers(store::Database& db, audit::AuditLog& audit, const Clock& clock, const policy::Policy* policy)
      : db_(db), audit_(audit), clock_(clock), policy_(policy) {}

  // Adds what the policy declares and the register lacks, and brings policy fields up to date;
  // one transaction, one register.seed record per kind changed. Returns the entries changed.
  Result<std::size_t> seed_from_policy(const std::string& actor);

  Result<std::vector<Entry>> list(Kind kind);
  Result<std::optional<Entry>> get(Kind kind, const std::string& key);
  Result<std::vector<Change>> history(Kind kind, const std::string& key);

  // Adds an entry from key=value texts (keys are field keys or labels). With `update`, changes
  // an existing entry instead: the fields given replace theirs, an empty value clears one.
  Result<Entry> put(Kind kind, const std::vector<std::pair<std::string, std::string>>& values, bool update, const std::string& actor);

  // Adds and changes entries from a table (a parsed CSV/XLSX), all of them or none: any problem
  // (unknown or missing column, bad value, duplicate key, a policy field that differs from the
  // policy) is an error naming the file, row and column, and the store is left as it was.
  Result<ImportSummary> import(Kind kind, const Table& table, const std::string& file_name, const std::string& file_sha256,
                               const std::string& actor);

  // An exception (例外措置, 6(7)) requested in the register is decided by a holder of the approver
  // role it names, never by who requested it, and never one the policy file declares (the policy
  // decides those). `decision_allowed` answers what `decide_exception` enforces, for a console to
  // offer; it is the one place that rule lives.
  struct Decider {
    std::string name;
    std::vector<std::string> roles;
    // The second factor the decider proved with, for the record ("totp (console)", "totp
    // (command line)"); empty when none was asked.
    std::string second_factor = {};
  };
  static bool decision_allowed(const Entry& exception, const Decider& decider);
  // Approves (state "approved", approved_by, approved_on today, `expires` when given: an approval
  // needs one) or rejects the requested exception `key`, with `note` (the decider's reason) in its
  // register.exception audit record, committed with the entry's new version.
  Result<Entry> decide_exception(const std::string& key, bool approve, const Decider& decider, const std::string& note,
                                 const std::string& expires);

  // Appends a check of one required clause of the contractor `contractor` from key=value texts
  // (clause, checked_on, result, checked_by, note, next_check — keys or labels), committed with
  // its register.contract-check audit record. The clause must be one of the entry's
  // required_clauses. Earlier checks are kept as they were.
  Result<ContractCheck> add_contract_check(const std::string& contractor, const std::vector<std::pair<std::string, std::string>>& values,
                                           const std::string& actor);
  // Appends the checks of a table (one per row, the contractor named in each), all or none, with
  // one register.contract-check.import record; any problem is an error naming the row and column.
  Result<ImportSummary> import_contract_checks(const Table& table, const std::string& file_name, const std::string& file_sha256,
                                               const std::string& actor);

  // The register as a table: the Japanese labels as header, one row per entry.
  Result<std::pair<std::vector<std::string>, std::vector<std::vector<std::string>>>> table(Kind kind);

  // What needs attention as of `today`. `same_register` is the entry's whole register (or empty):
  // a policy review superseded by a later approved one no longer reminds of its next date.
  // `latest_checks`: latest_per_clause of the contract checks (any contractors'; those of `entry`
  // are read): a contractor's alarms come from them as well as from its own check fields.
  static std::vector<Alarm> alarms(const Entry& entry, Date today, const std::vector<Entry>& same_register = {},
                                   const std::vector<ContractCheck>& latest_checks = {});

 private:
  struct Write {
    std::string key;
    nlohmann::json fields;
    bool from_policy = false;
    std::string change;  // "add", "change", "import", "seed", "approve", "deny" (an exception decided)
  };
  // Writes entries (insert or new version) and their history, citing `audit_index`.
  Result<void> write(Kind kind, const std::vector<Write>& writes, const std::string& actor, std::uint64_t audit_index);
  Result<std::uint64_t> record(const std::string& actor, const std::string& action, const std::string& subject, Kind kind,
                               std::vector<std::pair<std::string, std::string>> details);
  // The policy's values for the entry `key` of `kind`, or nullopt when the policy does not declare it.
  std::optional<nlohmann::json> policy_fields(Kind kind, const std::string& key) const;
  // A review's policy (policy_sha256: "v3", a hash prefix or the whole SHA-256) must be a kept
  // version of the policy (audit/log.h, `sanso policy versions`); it is stored as its SHA-256.
  Result<void> link_policy_version(Kind kind, nlohmann::json& fields, const std::string& where);
  // An incident's links (6(7)) name what exists: each audit entry it cites is in the audit log,
  // each monitor finding given by number ("#7" or "7") is in the store; other text in the findings
  // is a description and stays text. Only links that differ from `before` (the entry's current
  // fields, or null) are looked up.
  Result<void> check_incident_links(const nlohmann::json* before, const nlohmann::json& after, const std::string& where);
  // Merges policy fields into `fields`; an error when a given policy field differs from the policy.
  Result<void> apply_policy_fields(Kind kind, const std::string& key, nlohmann::json& fields, const std::string& where) const;
  std::int64_t now() const;
  // Who writes must be named: UTF-8, no control characters, at most 128 bytes.
  static Result<void> check_actor(const std::string& actor);
  // An import's refusal: the count of problems, then the first kMaxImportProblems of them.
  static std::string problem_list(const std::vector<Error>& problems, std::size_t total);

  store::Database& db_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  const policy::Policy* policy_;
};

// Training attendance (6(5)) against who must attend — the audience the directory gives
// (directory::members_of over [directory] training_groups): of `audience` (names), those with a
// training-register entry (its person, compared without regard to ASCII case) for `course` (any
// course when empty) dated on or after `since` (any date when nullopt), and those without.
struct Attendance {
  std::vector<std::string> attended;
  std::vector<std::string> missing;
};
Attendance attendance(const std::vector<Entry>& training, const std::vector<std::string>& audience, std::string_view course,
                      std::optional<Date> since);

// The day's number counted from 1970-01-01 (day 0), so that a difference of two is a count of
// days: the registers' reminders and the automatic items' "in N days".
std::int64_t day_number(const Date& date);

// The newest approved review (register "reviews", clause 8) by its review date, and that date:
// the one that supersedes every other (the automatic item and the reminders read only it).
const Entry* latest_approved_review(const std::vector<Entry>& reviews, Date* reviewed_on = nullptr);

}  // namespace sanso::registers
