#include "monitor/finding_store.h"

#include <algorithm>

#include "core/clock.h"
#include "core/text.h"

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
  // The finding's key row, inserted or updated first: a second collector opening the same
  // finding now waits here until this transaction ends, and then finds what it stored below.
  SANSO_TRY(db_.execute("INSERT INTO monitor_finding_keys (rule, src, dst, dport, proto) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT (rule, src, dst, dport, proto) DO UPDATE SET dport = excluded.dport",
                        {std::string(r.id), src, by_address ? std::string() : dst, by_address ? std::int64_t{0} : std::int64_t{f.dport},
                         by_address ? std::string() : proto}));
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

namespace {

constexpr const char* kFindingColumns =
    "id, rule, clause, src, dst, dport, proto, src_zone, dst_zone, first_seen, last_seen, count, source, detail, node, state, "
    "acknowledged_by, acknowledged_at, acknowledged_reason";

StoredFinding stored_from(const store::Row& row) {
  StoredFinding f;
  f.id = row.integer(0);
  f.rule = row.text(1);
  f.clause = row.text(2);
  f.src = row.text(3);
  f.dst = row.text(4);
  f.dport = row.integer(5);
  f.proto = row.text(6);
  f.src_zone = row.text(7);
  f.dst_zone = row.text(8);
  f.first_seen = row.integer(9);
  f.last_seen = row.integer(10);
  f.count = row.integer(11);
  f.source = row.text(12);
  f.detail = row.text(13);
  f.node = row.text(14);
  f.state = row.text(15);
  f.acknowledged_by = row.text(16);
  f.acknowledged_at = row.integer(17);
  f.acknowledged_reason = row.text(18);
  return f;
}

constexpr std::size_t kMaxReason = 2000;

}  // namespace

Result<std::vector<StoredFinding>> list_findings(store::Database& db, const FindingFilter& filter) {
  std::string sql = std::string("SELECT ") + kFindingColumns + " FROM monitor_findings WHERE 1 = 1";
  std::vector<store::Value> params;
  if (!filter.state.empty()) {
    sql += " AND state = ?";
    params.emplace_back(filter.state);
  }
  if (!filter.zone.empty()) {
    sql += " AND (src_zone = ? OR dst_zone = ?)";
    params.emplace_back(filter.zone);
    params.emplace_back(filter.zone);
  }
  if (!filter.src_zone.empty()) {
    sql += " AND src_zone = ?";
    params.emplace_back(filter.src_zone);
  }
  if (!filter.dst_zone.empty()) {
    sql += " AND dst_zone = ?";
    params.emplace_back(filter.dst_zone);
  }
  if (filter.from != 0) {
    sql += " AND last_seen >= ?";
    params.emplace_back(filter.from);
  }
  if (filter.until != 0) {
    sql += " AND first_seen < ?";
    params.emplace_back(filter.until);
  }
  if (filter.before_id > 0) {
    sql += " AND id < ?";
    params.emplace_back(filter.before_id);
  }
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(std::clamp<std::int64_t>(filter.limit, 1, 1000));
  auto rows = SANSO_TRY(db.query(sql, std::span<const store::Value>(params)));
  std::vector<StoredFinding> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(stored_from(row));
  return out;
}

Result<std::optional<StoredFinding>> get_finding(store::Database& db, std::int64_t id) {
  auto row = SANSO_TRY(db.query_one(std::string("SELECT ") + kFindingColumns + " FROM monitor_findings WHERE id = ?", {id}));
  if (!row) return std::optional<StoredFinding>{};
  return std::optional<StoredFinding>{stored_from(*row)};
}

Result<std::vector<OpenEdge>> open_finding_edges(store::Database& db) {
  auto rows = SANSO_TRY(db.query(
      "SELECT src_zone, dst_zone, rule, COUNT(*), CAST(SUM(count) AS BIGINT) FROM monitor_findings WHERE state = 'open' "
      "GROUP BY src_zone, dst_zone, rule ORDER BY src_zone, dst_zone, rule"));
  std::vector<OpenEdge> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back({row.text(0), row.text(1), row.text(2), row.integer(3), row.integer(4)});
  return out;
}

Result<std::vector<std::string>> finding_zones(store::Database& db) {
  auto rows = SANSO_TRY(db.query("SELECT src_zone FROM monitor_findings UNION SELECT dst_zone FROM monitor_findings ORDER BY 1"));
  std::vector<std::string> out;
  for (const auto& row : rows) out.push_back(row.text(0));
  return out;
}

Result<void> acknowledge_finding(store::Database& db, audit::AuditLog& log, std::int64_t id, const Acknowledger& who,
                                 const std::string& reason, const std::vector<std::string>& allowed_roles, std::int64_t now) {
  const std::string subject = "finding " + std::to_string(id);
  const bool allowed = std::any_of(who.roles.begin(), who.roles.end(), [&](const std::string& role) {
    return std::find(allowed_roles.begin(), allowed_roles.end(), role) != allowed_roles.end();
  });
  if (!allowed) {
    std::string roles;
    for (const auto& r : allowed_roles) roles += (roles.empty() ? "" : ", ") + r;
    return make_error("monitor.forbidden", subject, "'" + who.name + "' may not acknowledge monitor findings: that needs one of the roles " + roles);
  }
  std::string trimmed = reason;
  while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\n' || trimmed.back() == '\r' || trimmed.back() == '\t')) trimmed.pop_back();
  if (trimmed.empty() || !is_valid_utf8(trimmed)) return make_error("monitor.input", subject, "an acknowledgment needs a reason: what was found out, and what was done");
  if (trimmed.size() > kMaxReason) return make_error("monitor.input", subject, "the reason is longer than 2000 bytes");
  auto found = SANSO_TRY(get_finding(db, id));
  if (!found) return make_error("monitor.not-found", subject, "no such finding");
  if (found->state != "open") {
    return make_error("monitor.state", subject, "the finding was acknowledged already, by " + found->acknowledged_by);
  }
  // The state in the WHERE clause: two people acknowledging at once cannot both succeed.
  auto changed = SANSO_TRY(db.execute(
      "UPDATE monitor_findings SET state = 'acknowledged', acknowledged_by = ?, acknowledged_at = ?, acknowledged_reason = ? "
      "WHERE id = ? AND state = 'open'",
      {who.name, now, trimmed, id}));
  if (changed != 1) return make_error("monitor.state", subject, "the finding was acknowledged by someone else meanwhile");
  store::AuditEvent e;
  e.time = now;
  e.actor = who.name;
  e.action = "monitor.acknowledge";
  e.subject = subject;
  e.outcome = "acknowledged";
  e.rule_id = found->rule;
  e.clause = found->clause;
  e.details = {{"finding", found->src + " -> " + found->dst + ":" + std::to_string(found->dport) + "/" + found->proto},
               {"src_zone", found->src_zone},
               {"dst_zone", found->dst_zone},
               {"first_seen", iso_utc(found->first_seen)},
               {"count", std::to_string(found->count)},
               {"reason", trimmed},
               {"via", who.via}};
  SANSO_TRY(log.append(db, e));
  return ok();
}

}  // namespace sanso::monitor
