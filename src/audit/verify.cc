// `sanso audit verify`: the whole tree recomputed from the records, every stored node, every
// checkpoint's signature and root, and a checkpoint the auditor saved, each checked.
#include "audit/log.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "audit/internal/tree.h"

namespace sanso::audit {
namespace {

using namespace internal;
using store::Database;

// The top-level "seq" of a canonical record without parsing all of it (verification reads a
// million of them). In canonical JSON an unescaped `,"seq":` cannot occur inside a string, and
// the only object-valued key, "details", sorts before "seq", so the last occurrence is the
// top-level one. Anything unexpected falls back to a full parse.
std::optional<std::uint64_t> record_seq(const std::string& record) {
  auto at = record.rfind(",\"seq\":");
  if (at != std::string::npos) {
    const char* begin = record.data() + at + 7;
    const char* end = record.data() + record.size();
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(begin, end, v);
    if (ec == std::errc() && p != begin && p < end && (*p == ',' || *p == '}')) return v;
  }
  auto parsed = nlohmann::json::parse(record, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("seq") || !parsed["seq"].is_number_unsigned()) {
    return std::nullopt;
  }
  return parsed["seq"].get<std::uint64_t>();
}

}  // namespace

Result<VerifyReport> verify_log(Database& db, const VerifierKey& key, const std::optional<std::string>& saved_note) {
  VerifyReport report;
  auto fail = [&](std::string problem, std::optional<std::uint64_t> index, std::string detail) {
    report.problem = std::move(problem);
    report.first_bad_index = index;
    report.detail = std::move(detail);
    return report;
  };

  // Every checkpoint must carry a valid signature over exactly what its row says.
  struct Expected {
    std::uint64_t size;
    Hash root;
  };
  std::vector<Expected> expected;
  auto cps = SANSO_TRY(db.query("SELECT tree_size, root, note, signed_at FROM audit_checkpoints ORDER BY tree_size"));
  for (const auto& row : cps) {
    auto c = SANSO_TRY(checkpoint_from(row));
    auto text = open_note(c.note, key);
    if (!text) return fail("bad-signature", std::nullopt, "checkpoint of size " + std::to_string(c.checkpoint.size) + ": " + text.error().message);
    auto parsed = parse_checkpoint(*text);
    if (!parsed || parsed->size != c.checkpoint.size || parsed->root != c.checkpoint.root || parsed->origin != key.name) {
      return fail("bad-signature", std::nullopt,
                  "checkpoint row of size " + std::to_string(c.checkpoint.size) + " does not match its signed note");
    }
    expected.push_back({parsed->size, parsed->root});
  }
  report.checkpoints = expected.size();
  std::optional<Checkpoint> saved;
  if (saved_note) {
    auto text = open_note(*saved_note, key);
    if (!text) return fail("bad-signature", std::nullopt, "the saved checkpoint: " + text.error().message);
    auto parsed = parse_checkpoint(*text);
    if (!parsed) return fail("bad-signature", std::nullopt, "the saved checkpoint: " + parsed.error().message);
    saved = *parsed;
  }

  // Stored interior nodes, per level, to compare with the recomputed ones.
  std::vector<std::vector<std::optional<Hash>>> stored(64);
  for (std::int64_t level = 1; level < 64; ++level) {
    bool any = false;
    for (std::int64_t from = 0;;) {
      auto rows = SANSO_TRY(db.query("SELECT idx, hash FROM audit_nodes WHERE level = ? AND idx >= ? ORDER BY idx LIMIT 50000",
                                     {level, from}));
      if (rows.empty()) break;
      any = true;
      auto& v = stored[static_cast<std::size_t>(level)];
      for (const auto& r : rows) {
        auto idx = static_cast<std::size_t>(r.integer(0));
        if (idx > (std::size_t{1} << 40)) return fail("modified", std::nullopt, "a tree node has an impossible index");
        if (v.size() <= idx) v.resize(idx + 1);
        v[idx] = SANSO_TRY(hash_of(r, 1, "audit_nodes"));
        from = r.integer(0) + 1;
      }
    }
    if (!any) break;
  }

  std::array<Hash, 64> frontier{};
  std::uint64_t size = 0;
  std::size_t next_cp = 0;
  std::optional<Hash> saved_root_seen;
  auto root_matches = [&]() -> std::optional<VerifyReport> {
    while (next_cp < expected.size() && expected[next_cp].size == size) {
      if (fold_root(frontier, size) != expected[next_cp].root) {
        std::uint64_t from = next_cp == 0 ? 0 : expected[next_cp - 1].size;
        return fail("modified", from,
                    "entries " + std::to_string(from) + "–" + std::to_string(size - 1) +
                        " were rewritten together with their hashes: the tree no longer matches the checkpoint signed at size " +
                        std::to_string(size));
      }
      ++next_cp;
    }
    if (saved && saved->size == size) saved_root_seen = fold_root(frontier, size);
    return std::nullopt;
  };
  if (auto bad = root_matches()) return *bad;
  for (;;) {
    auto rows = SANSO_TRY(db.query("SELECT idx, record, leaf_hash FROM audit_entries WHERE idx >= ? ORDER BY idx LIMIT 20000",
                                   {static_cast<std::int64_t>(size)}));
    if (rows.empty()) break;
    for (const auto& r : rows) {
      auto idx = static_cast<std::uint64_t>(r.integer(0));
      if (idx != size) {
        return fail("deleted", size,
                    idx == size + 1 ? "entry " + std::to_string(size) + " is missing"
                                    : "entries " + std::to_string(size) + "–" + std::to_string(idx - 1) + " are missing");
      }
      const std::string record = r.text(1);
      auto seq = record_seq(record);
      if (!seq) return fail("modified", idx, "entry " + std::to_string(idx) + " is not a well-formed record");
      if (*seq != idx) {
        return fail("reordered", idx, "entry " + std::to_string(idx) + " holds the record written as entry " + std::to_string(*seq));
      }
      Hash leaf = leaf_hash(record);
      if (leaf != SANSO_TRY(hash_of(r, 2, "audit_entries"))) {
        return fail("modified", idx, "entry " + std::to_string(idx) + " was changed after it was written (its leaf hash differs)");
      }
      Hash carry = leaf;
      int level = 0;
      while (((size >> level) & 1) != 0) {
        carry = node_hash(frontier[static_cast<std::size_t>(level)], carry);
        ++level;
        auto at = static_cast<std::size_t>(size >> level);
        const auto& v = stored[static_cast<std::size_t>(level)];
        if (at >= v.size() || !v[at] || *v[at] != carry) {
          return fail("modified", size - (std::uint64_t{1} << level) + 1,
                      "the tree node " + std::to_string(level) + "/" + std::to_string(at) + " over entries " +
                          std::to_string((size >> level) << level) + "–" + std::to_string(size) +
                          " disagrees with the records (a record was rewritten with its hash, or the node was edited)");
        }
      }
      frontier[static_cast<std::size_t>(level)] = carry;
      ++size;
      if (auto bad = root_matches()) return *bad;
    }
  }
  report.entries = size;
  report.tree_size = size;
  report.root = fold_root(frontier, size);
  if (next_cp < expected.size()) {
    return fail("truncated", size,
                "the log ends at " + std::to_string(size) + " entries but a checkpoint was signed at " +
                    std::to_string(expected.back().size));
  }
  auto state = SANSO_TRY(db.query_one("SELECT tree_size, root FROM audit_state WHERE id = 1"));
  if (state && static_cast<std::uint64_t>(state->integer(0)) != size) {
    auto recorded = static_cast<std::uint64_t>(state->integer(0));
    if (recorded > size) return fail("truncated", size, "the log records " + std::to_string(recorded) + " entries but holds " + std::to_string(size));
    return fail("modified", recorded, "entries beyond the recorded tree size " + std::to_string(recorded) + " were inserted");
  }
  if (saved) {
    if (saved->origin != key.name) return fail("bad-signature", std::nullopt, "the saved checkpoint is for another log");
    if (saved->size > size) {
      return fail("rolled-back", size,
                  "the saved checkpoint covers " + std::to_string(saved->size) + " entries but the log now has " +
                      std::to_string(size) + ": it was restored from an older copy or cut short");
    }
    if (!saved_root_seen || *saved_root_seen != saved->root) {
      return fail("forked", std::nullopt,
                  "the log's first " + std::to_string(saved->size) + " entries differ from what the saved checkpoint signed");
    }
  }
  return report;
}

}  // namespace sanso::audit
