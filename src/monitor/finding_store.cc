#include "monitor/finding_store.h"

#include "core/clock.h"

namespace sanso::monitor {

store::AuditEvent finding_event(const Finding& f, const AddressPlan& plan, const std::string& source, const std::string& actor, std::int64_t now) {
  const RuleInfo& r = info(f.rule);
  char proto_buf[4];
  const std::string proto(protocol_name(f.proto, proto_buf));
  store::AuditEvent e;
  e.time = now;
  e.actor = actor;
  e.action = "monitor.finding";
  e.subject = policy::format_ip(f.src) + " -> " + policy::format_ip(f.dst) + ":" + std::to_string(f.dport) + "/" + proto;
  e.outcome = r.deny ? "breach" : "warning";
  e.rule_id = std::string(r.id);
  e.clause = std::string(r.clause);
  e.details = {{"kind", std::string(r.kind)},
               {"src_zone", std::string(plan.name(f.src_zone))},
               {"dst_zone", std::string(plan.name(f.dst_zone))},
               {"first_seen", iso_utc(f.first_seen)},
               {"last_seen", iso_utc(f.last_seen)},
               {"count", std::to_string(f.count)},
               {"source", source}};
  if (!f.detail.empty()) e.details.emplace_back("detail", f.detail);
  return e;
}

FindingStore::FindingStore(store::Database& db, audit::AuditLog& log, const AddressPlan& plan, std::string node, std::string actor,
                           std::int64_t window_seconds)
    : db_(db), log_(log), plan_(plan), node_(std::move(node)), actor_(std::move(actor)), window_(window_seconds) {}

Result<void> FindingStore::opened(Finding& f, const std::string& source, std::int64_t now) {
  const RuleInfo& r = info(f.rule);
  char proto_buf[4];
  const std::string proto(protocol_name(f.proto, proto_buf));
  const std::string src = policy::format_ip(f.src), dst = policy::format_ip(f.dst);
  // Unknown devices and volume findings are keyed on fewer fields (detector.cc): match alike.
  const bool by_address = f.rule == Rule::kUnzonedAddress || f.rule == Rule::kVolume;
  auto tx = SANSO_TRY(store::Transaction::begin(db_));
  auto row = by_address ? SANSO_TRY(db_.query_one("SELECT id, count FROM monitor_findings WHERE rule = ? AND src = ? AND last_seen >= ? "
                                                  "ORDER BY id DESC LIMIT 1",
                                                  {std::string(r.id), src, f.first_seen - window_}))
                        : SANSO_TRY(db_.query_one("SELECT id, count FROM monitor_findings WHERE rule = ? AND src = ? AND dst = ? AND dport = ? "
                                                  "AND proto = ? AND last_seen >= ? ORDER BY id DESC LIMIT 1",
                                                  {std::string(r.id), src, dst, std::int64_t{f.dport}, proto, f.first_seen - window_}));
  if (row) {
    // Raised before (by an earlier run, or another collector): the same finding, counted on.
    f.store_id = row->integer(0);
    f.stored_count = static_cast<std::uint64_t>(row->integer(1));
    SANSO_TRY(db_.execute("UPDATE monitor_findings SET count = count + 1, last_seen = CASE WHEN last_seen < ? THEN ? ELSE last_seen END WHERE id = ?",
                          {f.last_seen, f.last_seen, f.store_id}));
    SANSO_TRY(tx.commit());
    f.stored_count += 1;
    f.count = 0;
    ++adopted_;
    return ok();
  }
  SANSO_TRY(db_.execute("INSERT INTO monitor_findings (rule, clause, src, dst, dport, proto, src_zone, dst_zone, first_seen, last_seen, count, source, "
                        "detail, node) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        {std::string(r.id), std::string(r.clause), src, dst, std::int64_t{f.dport}, proto, std::string(plan_.name(f.src_zone)),
                         std::string(plan_.name(f.dst_zone)), f.first_seen, f.last_seen, static_cast<std::int64_t>(f.count), source, f.detail, node_}));
  auto id = SANSO_TRY(db_.query_one("SELECT MAX(id) FROM monitor_findings WHERE node = ? AND rule = ? AND src = ? AND dst = ? AND first_seen = ?",
                                    {node_, std::string(r.id), src, dst, f.first_seen}));
  SANSO_TRY(log_.append(db_, finding_event(f, plan_, source, actor_, now)));
  SANSO_TRY(tx.commit());
  f.store_id = id ? id->integer(0) : 0;
  f.stored_count = f.count;
  f.count = 0;  // counted in stored_count from here on
  return ok();
}

Result<void> FindingStore::closed(const Finding& f) {
  if (f.store_id == 0 || f.count == 0) return ok();
  SANSO_TRY(db_.execute("UPDATE monitor_findings SET count = count + ?, last_seen = CASE WHEN last_seen < ? THEN ? ELSE last_seen END WHERE id = ?",
                        {static_cast<std::int64_t>(f.count), f.last_seen, f.last_seen, f.store_id}));
  return ok();
}

}  // namespace sanso::monitor
