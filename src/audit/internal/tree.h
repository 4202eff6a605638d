// What the parts of the audit log share (the record, the tree, verification and queries):
// stored hashes and nodes, the Merkle tree's folding, and reading a checkpoint row. Private to
// src/audit.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "audit/log.h"

namespace sanso::audit::internal {

store::Bytes bytes_of(const Hash& h);
// The 32-byte hash in column `col`; "audit.damaged" when it is not one.
Result<Hash> hash_of(const store::Row& row, std::size_t col, std::string_view what);
const Hash& empty_root();
// MTH of a frontier: the complete subtrees of a tree of `size` leaves, smallest first.
Hash fold_root(const std::array<Hash, 64>& frontier, std::uint64_t size);
// One stored node: level 0 is a leaf hash, higher levels are interior nodes.
Result<Hash> node(store::Database& db, int level, std::uint64_t index);
// Where proofs get stored nodes from: the database, or a TreeSnapshot in memory.
using NodeSource = std::function<Result<Hash>(int level, std::uint64_t index)>;
// MTH(D[begin:end]) from stored nodes.
Result<Hash> subtree_hash(const NodeSource& source, std::uint64_t begin, std::uint64_t end);
// A row of audit_checkpoints (tree_size, root, note, signed_at).
Result<SignedCheckpoint> checkpoint_from(const store::Row& row);

}  // namespace sanso::audit::internal
