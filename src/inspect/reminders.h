// Reminders pushed by mail (clause 8's "reminders before the review falls due", and the other
// dated registers): what falls due within N days or is past due — the policy review, contractor
// checks (each required clause's latest check), cloud service reviews, approved exceptions
// expiring, dormant social-media accounts, open corrective actions past their due date — gathered
// per person responsible and sent as one digest each (Japanese first, English below).
//
// Idempotent per day: every (day, recipient, item) sent is kept in `register_reminders` with the
// run's `register.remind` audit record, and a second run the same day sends only what was not
// sent yet. Sending goes through a function the caller gives (the CLI: [quarantine] smtp_relay);
// what it fails to send is not recorded as sent.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "audit/log.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/result.h"
#include "policy/policy.h"
#include "store/database.h"

namespace sanso::inspect {

struct Reminder {
  std::string item;  // what it is about, stable for a day: "contractors/juki_vendor/秘密保持@2026-12-10"
  std::string ja;    // one line each
  std::string en;
  std::string due;   // YYYY-MM-DD
  std::vector<std::string> people;  // names of those responsible ([[users]] name)
  std::vector<std::string> roles;   // roles responsible (their [[users]] holders)
};

// Everything due on or before today + `days`, or past due, as of `today`.
Result<std::vector<Reminder>> due_reminders(store::Database& db, const policy::Policy& policy, Date today, std::int64_t days);

struct Digest {
  std::string name;  // the [[users]] name
  std::string mail;
  std::vector<Reminder> items;  // only those not yet sent to them today
  std::string subject;
  std::string body;  // Japanese, then English
};

struct RemindOutcome {
  std::vector<Digest> sent;           // with --dry-run: what would be sent
  std::vector<Reminder> unaddressed;  // nobody responsible (nor an inspector) has a mail address
  std::size_t already_sent = 0;       // items skipped: sent to that person earlier today
  std::optional<std::uint64_t> audit_index;  // the register.remind record, when something was sent
  std::optional<Error> failure;       // a digest that could not be sent (the others are recorded)
};

struct RemindOptions {
  std::int64_t days = 30;
  bool dry_run = false;
  std::string actor = "sanso";
};

// Sends one digest: to, subject, body → the relay's answer, or an error.
using SendDigest = std::function<Result<std::string>(const std::string& to, const std::string& subject, const std::string& body)>;

// Who receives an item: the people it names and the holders of the roles it names, by their
// [[users]] mail; when none of them has one, the holders of `fallback_roles` ([quarantine]
// inspector_roles) with a mail; else it is unaddressed (listed in the outcome and the record).
Result<RemindOutcome> send_reminders(store::Database& db, audit::AuditLog& audit, const Clock& clock, const policy::Policy& policy,
                                     const std::vector<config::Operator>& users, const std::vector<std::string>& fallback_roles,
                                     const RemindOptions& options, const SendDigest& send);

}  // namespace sanso::inspect
