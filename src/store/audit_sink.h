// AuditSink: how every service records what it did, inside the same transaction as the deed.
//
// The audit log (src/audit) implements it on the store; a quarantine action and its audit record
// commit together or not at all, so the log can never miss an action that happened.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "store/database.h"

namespace sanso::store {

// One auditable event. `details` are extra string fields, kept in the order given.
struct AuditEvent {
  std::int64_t time = 0;       // Unix seconds, UTC
  std::string actor;           // a person ("tanaka"), or a service ("milter@gw1")
  std::string action;          // e.g. "quarantine.store", "policy.decide"
  std::string subject;         // what it acted on, e.g. a quarantine id or a message id
  std::string outcome;         // e.g. "ok", "denied", the verdict or the policy action
  std::string rule_id;
  std::string clause;
  std::string input_sha256;    // hex
  std::string output_sha256;   // hex
  std::vector<std::pair<std::string, std::string>> details;
};

// Appends events within the caller's open transaction on `db`.
class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual Result<void> append(Database& db, const AuditEvent& event) = 0;
};

}  // namespace sanso::store
