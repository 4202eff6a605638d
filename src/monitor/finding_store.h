// Findings kept in the store (table monitor_findings, schema version 10) by a long-running
// collector: a finding is written, with its audit record, in one transaction when it opens; a
// collector that restarts adopts the stored finding of the same rule, addresses, port and
// protocol whose window is still open instead of raising it again; counts are brought up to date
// when the window closes.
#pragma once

#include <cstdint>
#include <string>

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

// The audit event of a finding (action "monitor.finding", docs/audit-format.md).
store::AuditEvent finding_event(const Finding& f, const AddressPlan& plan, const std::string& source, const std::string& actor, std::int64_t now);

}  // namespace sanso::monitor
