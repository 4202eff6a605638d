// Merkle-tree hashing and proof verification per RFC 9162 (Certificate Transparency v2) §2.1:
// SHA-256 with 0x00 leaf and 0x01 node prefixes. The audit log is built on these, and an auditor's
// offline check uses exactly the same functions.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace sanso::audit {

// A SHA-256 digest: a leaf hash, an interior node hash or a tree root.
using Hash = std::array<std::uint8_t, 32>;

Hash leaf_hash(std::span<const std::uint8_t> entry);
Hash leaf_hash(std::string_view entry);
Hash node_hash(const Hash& left, const Hash& right);

// MTH(D[n]) of RFC 9162 §2.1.1; the empty tree's root is SHA-256 of nothing.
Hash root_of(std::span<const Hash> leaf_hashes);

// PATH(m, D[n]) and PROOF(m, D[n]) of §2.1.3.1 and §2.1.4.1, from the full list of leaf hashes.
std::vector<Hash> inclusion_proof(std::span<const Hash> leaf_hashes, std::uint64_t index);
std::vector<Hash> consistency_proof(std::span<const Hash> leaf_hashes, std::uint64_t old_size);

// §2.1.3.2: does `leaf` sit at `index` of the tree of `size` leaves with root `root`?
// The Error says which step failed (code audit.inclusion-*).
Result<void> verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf, std::span<const Hash> proof, const Hash& root);

// §2.1.4.2: is the tree (size2, root2) an append-only extension of (size1, root1)?
Result<void> verify_consistency(std::uint64_t size1, std::uint64_t size2, std::span<const Hash> proof, const Hash& root1,
                                const Hash& root2);

// Standard base64 (with padding) of 32 bytes → Hash; anything else is an error.
// Subtrees [start, end) of a log (the Merkle Tree Certificates draft, §4.4): valid when
// start < end and start is a multiple of the smallest power of two ≥ end − start, so the
// subtree's hash is MTH(D[start:end]).
bool is_valid_subtree(std::uint64_t start, std::uint64_t end);
// Leaf `index` (absolute) is in the subtree [start, end) whose hash is `subtree_root`.
Result<void> verify_subtree_inclusion(std::uint64_t index, std::uint64_t start, std::uint64_t end, const Hash& leaf,
                                      std::span<const Hash> proof, const Hash& subtree_root);
// The subtree [start, end) with hash `subtree_root` sits at those positions in the tree of
// `size` entries whose root is `root`.
Result<void> verify_subtree_consistency(std::uint64_t start, std::uint64_t end, std::uint64_t size, std::span<const Hash> proof,
                                        const Hash& subtree_root, const Hash& root);

Result<Hash> hash_from_base64(std::string_view text);
std::string to_base64(const Hash& hash);

}  // namespace sanso::audit
