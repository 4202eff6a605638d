// The Merkle tree of the log (RFC 9162): stored nodes, inclusion and consistency proofs, and a
// tree held in memory for serving many proofs.
#include "audit/log.h"

#include <algorithm>
#include <bit>

#include "audit/internal/tree.h"

namespace sanso::audit {
namespace internal {

using store::Database;

store::Bytes bytes_of(const Hash& h) { return store::Bytes{std::string(reinterpret_cast<const char*>(h.data()), h.size())}; }

Result<Hash> hash_of(const store::Row& row, std::size_t col, std::string_view what) {
  const std::string& b = row.bytes(col);
  if (b.size() != 32) return make_error("audit.damaged", std::string(what), "a stored hash is not 32 bytes");
  Hash h;
  std::copy(b.begin(), b.end(), h.begin());
  return h;
}

const Hash& empty_root() {
  static const Hash kEmpty = root_of(std::span<const Hash>{});
  return kEmpty;
}

Hash fold_root(const std::array<Hash, 64>& frontier, std::uint64_t size) {
  if (size == 0) return empty_root();
  bool have = false;
  Hash root{};
  for (int level = 0; level < 64; ++level) {
    if (((size >> level) & 1) == 0) continue;
    root = have ? node_hash(frontier[static_cast<std::size_t>(level)], root) : frontier[static_cast<std::size_t>(level)];
    have = true;
  }
  return root;
}

Result<Hash> node(Database& db, int level, std::uint64_t index) {
  std::optional<store::Row> row;
  if (level == 0) {
    row = SANSO_TRY(db.query_one("SELECT leaf_hash FROM audit_entries WHERE idx = ?", {static_cast<std::int64_t>(index)}));
  } else {
    row = SANSO_TRY(db.query_one("SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?",
                                 {std::int64_t{level}, static_cast<std::int64_t>(index)}));
  }
  if (!row) {
    return make_error("audit.damaged", "node " + std::to_string(level) + "/" + std::to_string(index),
                      "the log is missing a tree node; run `sanso audit verify`");
  }
  return hash_of(*row, 0, "node");
}

namespace {

std::uint64_t largest_power_below(std::uint64_t n) { return std::bit_floor(n - 1); }  // n ≥ 2

}  // namespace

// `begin` is always aligned to the largest power of two below the range.
Result<Hash> subtree_hash(const NodeSource& db, std::uint64_t begin, std::uint64_t end) {
  std::uint64_t n = end - begin;
  if (std::has_single_bit(n) && begin % n == 0) return db(std::countr_zero(n), begin / n);
  std::uint64_t k = largest_power_below(n);
  Hash left = SANSO_TRY(subtree_hash(db, begin, begin + k));
  Hash right = SANSO_TRY(subtree_hash(db, begin + k, end));
  return node_hash(left, right);
}

}  // namespace internal

using namespace internal;
using store::Database;

namespace {

// RFC 9162 §2.1.3.1 PATH(m, D[begin:end]).
Result<void> inclusion_path(const NodeSource& db, std::uint64_t m, std::uint64_t begin, std::uint64_t end, std::vector<Hash>& out) {
  std::uint64_t n = end - begin;
  if (n <= 1) return ok();
  std::uint64_t k = largest_power_below(n);
  if (m < k) {
    SANSO_TRY(inclusion_path(db, m, begin, begin + k, out));
    out.push_back(SANSO_TRY(subtree_hash(db, begin + k, end)));
  } else {
    SANSO_TRY(inclusion_path(db, m - k, begin + k, end, out));
    out.push_back(SANSO_TRY(subtree_hash(db, begin, begin + k)));
  }
  return ok();
}

// RFC 9162 §2.1.4.1 SUBPROOF(m, D[begin:end], b).
Result<void> consistency_path(const NodeSource& db, std::uint64_t m, std::uint64_t begin, std::uint64_t end, bool whole,
                              std::vector<Hash>& out) {
  std::uint64_t n = end - begin;
  if (m == n) {
    if (!whole) out.push_back(SANSO_TRY(subtree_hash(db, begin, end)));
    return ok();
  }
  std::uint64_t k = largest_power_below(n);
  if (m <= k) {
    SANSO_TRY(consistency_path(db, m, begin, begin + k, whole, out));
    out.push_back(SANSO_TRY(subtree_hash(db, begin + k, end)));
  } else {
    SANSO_TRY(consistency_path(db, m - k, begin + k, end, false, out));
    out.push_back(SANSO_TRY(subtree_hash(db, begin, begin + k)));
  }
  return ok();
}

NodeSource from_database(Database& db) {
  return [&db](int level, std::uint64_t index) { return node(db, level, index); };
}

Result<InclusionProof> inclusion(const NodeSource& source, std::uint64_t index, std::uint64_t size) {
  if (index >= size) {
    return make_error("audit.range", std::to_string(index),
                      "index " + std::to_string(index) + " is not in a tree of " + std::to_string(size) + " entries");
  }
  InclusionProof p;
  p.index = index;
  p.tree_size = size;
  p.leaf_hash = SANSO_TRY(source(0, index));
  SANSO_TRY(inclusion_path(source, index, 0, size, p.proof));
  p.root_hash = SANSO_TRY(subtree_hash(source, 0, size));
  return p;
}

}  // namespace

Result<InclusionProof> prove_inclusion(Database& db, std::uint64_t index, std::uint64_t size) {
  return inclusion(from_database(db), index, size);
}

Result<TreeSnapshot> TreeSnapshot::load(Database& db, std::uint64_t size) {
  TreeSnapshot t;
  t.size_ = size;
  for (std::uint64_t count = size; count > 0; count >>= 1) t.levels_.emplace_back(count);
  auto read = [&](const char* sql, int level) -> Result<void> {
    std::vector<Hash>& v = t.levels_[static_cast<std::size_t>(level)];
    for (std::int64_t from = 0; from < static_cast<std::int64_t>(v.size());) {
      auto rows = level == 0 ? SANSO_TRY(db.query(sql, {from, static_cast<std::int64_t>(v.size())}))
                             : SANSO_TRY(db.query(sql, {std::int64_t{level}, from, static_cast<std::int64_t>(v.size())}));
      if (rows.empty()) break;
      for (const auto& r : rows) {
        auto i = static_cast<std::size_t>(r.integer(0));
        if (i < v.size()) v[i] = SANSO_TRY(hash_of(r, 1, "audit tree"));
        from = r.integer(0) + 1;
      }
    }
    return ok();
  };
  if (size > 0) SANSO_TRY(read("SELECT idx, leaf_hash FROM audit_entries WHERE idx >= ? AND idx < ? ORDER BY idx LIMIT 50000", 0));
  for (int level = 1; level < static_cast<int>(t.levels_.size()); ++level) {
    SANSO_TRY(read("SELECT idx, hash FROM audit_nodes WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx LIMIT 50000", level));
  }
  auto root = subtree_hash([&t](int level, std::uint64_t index) -> Result<Hash> { return t.levels_[static_cast<std::size_t>(level)][index]; },
                           0, size);
  t.root_ = size == 0 ? empty_root() : SANSO_TRY(root);
  return t;
}

Result<InclusionProof> TreeSnapshot::prove(std::uint64_t index) const {
  return inclusion([this](int level, std::uint64_t i) -> Result<Hash> { return levels_[static_cast<std::size_t>(level)][i]; }, index, size_);
}

Result<std::vector<Hash>> prove_consistency(Database& db, std::uint64_t old_size, std::uint64_t new_size) {
  if (old_size > new_size) return make_error("audit.range", "", "the old tree is larger than the new one");
  std::vector<Hash> out;
  if (old_size == 0 || old_size == new_size) return out;
  SANSO_TRY(consistency_path(from_database(db), old_size, 0, new_size, true, out));
  return out;
}

}  // namespace sanso::audit
