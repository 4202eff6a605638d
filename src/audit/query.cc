// Reading the log: checkpoints, its size, and entries for a period, the latest, or what a person
// browsing it asks for. Nothing here writes.
#include "audit/log.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "audit/internal/tree.h"

namespace sanso::audit {

using store::Database;

namespace internal {

Result<SignedCheckpoint> checkpoint_from(const store::Row& row) {
  SignedCheckpoint c;
  c.checkpoint.size = static_cast<std::uint64_t>(row.integer(0));
  c.checkpoint.root = SANSO_TRY(hash_of(row, 1, "checkpoint"));
  c.note = row.text(2);
  c.signed_at = row.integer(3);
  auto body = c.note.find("\n\n");
  if (body != std::string::npos) {
    auto parsed = parse_checkpoint(std::string_view(c.note).substr(0, body + 1));
    if (parsed) {
      c.checkpoint.origin = parsed->origin;
      c.checkpoint.extensions = parsed->extensions;
    }
  }
  return c;
}

}  // namespace internal

using internal::checkpoint_from;

Result<std::optional<SignedCheckpoint>> latest_checkpoint(Database& db) {
  auto row = SANSO_TRY(db.query_one("SELECT tree_size, root, note, signed_at FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1"));
  if (!row) return std::optional<SignedCheckpoint>{};
  return std::optional<SignedCheckpoint>{SANSO_TRY(checkpoint_from(*row))};
}

Result<std::optional<SignedCheckpoint>> checkpoint_at(Database& db, std::uint64_t size) {
  auto row = SANSO_TRY(db.query_one("SELECT tree_size, root, note, signed_at FROM audit_checkpoints WHERE tree_size = ?",
                                    {static_cast<std::int64_t>(size)}));
  if (!row) return std::optional<SignedCheckpoint>{};
  return std::optional<SignedCheckpoint>{SANSO_TRY(checkpoint_from(*row))};
}

Result<std::uint64_t> tree_size(Database& db) {
  auto row = SANSO_TRY(db.query_one("SELECT tree_size FROM audit_state WHERE id = 1"));
  return row ? static_cast<std::uint64_t>(row->integer(0)) : 0;
}

namespace {

Result<std::vector<Entry>> entries_from(const std::vector<store::Row>& rows) {
  std::vector<Entry> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back({static_cast<std::uint64_t>(r.integer(0)), r.integer(1), r.text(2), r.text(3)});
  return out;
}

}  // namespace

Result<std::vector<Entry>> read_entries(Database& db, std::int64_t from_time, std::int64_t to_time) {
  auto rows = SANSO_TRY(db.query("SELECT idx, time, action, record FROM audit_entries WHERE time >= ? AND time < ? ORDER BY idx",
                                 {from_time, to_time}));
  return entries_from(rows);
}

Result<std::vector<Entry>> last_entries(Database& db, std::uint64_t count) {
  auto rows = SANSO_TRY(db.query(
      "SELECT idx, time, action, record FROM (SELECT idx, time, action, record FROM audit_entries ORDER BY idx DESC LIMIT ?) t "
      "ORDER BY idx",
      {static_cast<std::int64_t>(count)}));
  return entries_from(rows);
}

Result<std::vector<Entry>> find_entries(Database& db, const EntryQuery& q) {
  // The actor lives inside the record, so rows are read in batches until enough match; the
  // scan is bounded so that a rare actor on a huge log still answers promptly.
  constexpr std::int64_t kBatch = 500;
  constexpr std::size_t kMaxScanned = 200'000;
  std::vector<Entry> out;
  std::uint64_t before = q.before;
  std::size_t scanned = 0;
  const auto prefix_len = static_cast<std::int64_t>(q.action_prefix.size());
  while (out.size() < q.limit && scanned < kMaxScanned) {
    auto upper = static_cast<std::int64_t>(std::min<std::uint64_t>(before, static_cast<std::uint64_t>(INT64_MAX)));
    auto rows = SANSO_TRY(db.query(
        "SELECT idx, time, action, record FROM audit_entries WHERE idx < ? AND substr(action, 1, ?) = ? ORDER BY idx DESC LIMIT ?",
        {upper, prefix_len, q.action_prefix, q.actor.empty() ? static_cast<std::int64_t>(q.limit - out.size()) : kBatch}));
    if (rows.empty()) break;
    for (auto& e : SANSO_TRY(entries_from(rows))) {
      before = e.index;
      if (!q.actor.empty()) {
        auto j = nlohmann::json::parse(e.record, nullptr, false);
        if (!j.is_object() || j.value("actor", "") != q.actor) continue;
      }
      out.push_back(std::move(e));
      if (out.size() == q.limit) break;
    }
    scanned += rows.size();
    if (q.actor.empty()) break;
  }
  return out;
}

}  // namespace sanso::audit
