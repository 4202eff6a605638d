// Findings kept in the store (table monitor_findings, schema version 10; 16 adds the key table
// monitor_finding_keys that serializes collectors opening the same finding) by a long-running
// collector: a finding is written, with its audit record, in one transaction when it opens; a
// collector that restarts adopts the stored finding of the same rule, addresses, port and
// protocol whose window is still open instead of raising it again; counts are brought up to date
// when the window closes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/log.h"
#include "core/result.h"
#include "monitor/detector.h"
#include "store/database.h"

namespace sanso::monitor {

class FindingStore {
 public:
  FindingStore(store::Database& db, audit::AuditLog& log, const AddressPlan& plan, std::string node, std::string actor, std::int64_t window_seconds);

  // Persists a finding that just opened (or adopts the stored one); `source` names where it was
  // seen ("udp 192.0.2.1:514"). `f.store_id` and `f.stored_count` are set.
  Result<void> opened(Finding& f, const std::string& source, std::int64_t now);
  // Brings the stored count and last_seen up to date.
  Result<void> closed(const Finding& f);
  // How many findings this run adopted from an earlier run rather than raising them anew.
  std::uint64_t adopted() const { return adopted_; }

 private:
  store::Database& db_;
  audit::AuditLog& log_;
  const AddressPlan& plan_;
  std::string node_;
  std::string actor_;
  std::int64_t window_;
  std::uint64_t adopted_ = 0;
};

// A finding as the store keeps it, for the console's findings page.
struct StoredFinding {
  std::int64_t id = 0;
  std::string rule, clause, src, dst, proto, src_zone, dst_zone;
  std::int64_t dport = 0;
  std::int64_t first_seen = 0, last_seen = 0, count = 0;
  std::string source;  // where it was first seen ("udp 192.0.2.1:514", "conn.log:12"): text from the network
  std::string detail;  // the indicator list, the volume against the baseline
  std::string node;    // the collector that raised it
  std::string state;   // "open" or "acknowledged"
  std::string acknowledged_by, acknowledged_reason;
  std::int64_t acknowledged_at = 0;
};

struct FindingFilter {
  std::string state;        // "open", "acknowledged"; "" for both
  std::string zone;         // either side in this zone; "" for any
  std::string src_zone;     // exactly this source zone (an edge of the zone map); "" for any
  std::string dst_zone;     // exactly this destination zone; "" for any
  std::int64_t from = 0;    // seen at or after (last_seen >= from); 0: no bound
  std::int64_t until = 0;   // seen before (first_seen < until); 0: no bound
  std::int64_t before_id = 0;  // paging: only ids below this; 0: the newest
  std::int64_t limit = 100;
};

// Newest first.
Result<std::vector<StoredFinding>> list_findings(store::Database& db, const FindingFilter& filter);
Result<std::optional<StoredFinding>> get_finding(store::Database& db, std::int64_t id);
// The zones that appear in stored findings, for the page's filter.
Result<std::vector<std::string>> finding_zones(store::Database& db);

// The open findings of one rule between two zones: an edge of the console's zone map.
struct OpenEdge {
  std::string src_zone, dst_zone, rule;
  std::int64_t findings = 0;     // open findings
  std::int64_t occurrences = 0;  // flows they counted
};
// Every (source zone, destination zone, rule) with open findings, in that order.
Result<std::vector<OpenEdge>> open_finding_edges(store::Database& db);

// Who acknowledges a finding, as the console's session knows them.
struct Acknowledger {
  std::string name;
  std::vector<std::string> roles;
  std::string via;  // "console session 1a2b… from 10.20.0.7"
};

// Marks an open finding acknowledged with the person's reason, and records it (audit action
// "monitor.acknowledge", the finding's rule and clause) in the same transaction. Only a holder of
// one of `allowed_roles` may; a refusal is an error "monitor.forbidden" and is recorded too
// ("monitor.acknowledge", outcome "refused"). A finding already acknowledged: "monitor.state";
// an empty reason or one over 2000 bytes: "monitor.input"; no such finding: "monitor.not-found".
Result<void> acknowledge_finding(store::Database& db, audit::AuditLog& log, std::int64_t id, const Acknowledger& who,
                                 const std::string& reason, const std::vector<std::string>& allowed_roles, std::int64_t now);

// The audit event of a finding (action "monitor.finding", docs/audit-format.md).
store::AuditEvent finding_event(const Finding& f, const AddressPlan& plan, const std::string& source, const std::string& actor, std::int64_t now);

}  // namespace sanso::monitor
