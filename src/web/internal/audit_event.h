// The audit events of the console's access control: the accounts (sign-ins, sessions, refused
// requests) and the API's tokens record alike, each under its own rule and clause, at the second
// of its own clock (a test's hand clock, or the machine's). Private to src/web.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/clock.h"
#include "store/audit_sink.h"

namespace sanso::web::internal {

// The rule and the clause of the security policy a component's records fall under.
struct AuditRule {
  const char* rule_id;
  const char* clause;
};

inline std::int64_t unix_seconds(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
}

inline store::AuditEvent audit_event(const Clock& clock, const AuditRule& rule, const std::string& actor, const char* action,
                                     const std::string& subject, const char* outcome) {
  store::AuditEvent e;
  e.time = unix_seconds(clock);
  e.actor = actor;
  e.action = action;
  e.subject = subject;
  e.outcome = outcome;
  e.rule_id = rule.rule_id;
  e.clause = rule.clause;
  return e;
}

}  // namespace sanso::web::internal
