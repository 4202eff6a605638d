#include "audit/merkle.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <bit>
#include <cstdlib>
#include <string>

namespace sanso::audit {
namespace {

// SHA-256 through OpenSSL, which uses the CPU's SHA extensions: verifying a million-entry log is
// mostly hashing. One fetched digest and one context per thread.
class Sha256 {
 public:
  Sha256() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {
    if (md_ == nullptr || ctx_ == nullptr) std::abort();  // OpenSSL without SHA-256: nothing can be verified
  }
  ~Sha256() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }
  Hash digest(const void* a, std::size_t an, const void* b, std::size_t bn, const void* c, std::size_t cn) {
    Hash h;
    unsigned int len = 0;
    EVP_DigestInit_ex(ctx_, md_, nullptr);
    if (an != 0) EVP_DigestUpdate(ctx_, a, an);
    if (bn != 0) EVP_DigestUpdate(ctx_, b, bn);
    if (cn != 0) EVP_DigestUpdate(ctx_, c, cn);
    EVP_DigestFinal_ex(ctx_, h.data(), &len);
    return h;
  }

 private:
  EVP_MD* md_;
  EVP_MD_CTX* ctx_;
};

Hash sha256_parts(const void* a, std::size_t an, const void* b, std::size_t bn, const void* c, std::size_t cn) {
  thread_local Sha256 sha;
  return sha.digest(a, an, b, bn, c, cn);
}

bool lsb(std::uint64_t x) { return (x & 1) != 0; }

// Largest power of two strictly below n (n ≥ 2): the split point k of RFC 9162 §2.1.1.
std::uint64_t split_point(std::uint64_t n) {
  std::uint64_t k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}

Error proof_error(std::string code, std::string message) { return make_error("audit." + code, "merkle proof", std::move(message)); }

void path(std::span<const Hash> d, std::uint64_t m, std::vector<Hash>& out) {
  if (d.size() <= 1) return;
  const std::uint64_t k = split_point(d.size());
  if (m < k) {
    path(d.subspan(0, k), m, out);
    out.push_back(root_of(d.subspan(k)));
  } else {
    path(d.subspan(k), m - k, out);
    out.push_back(root_of(d.subspan(0, k)));
  }
}

void subproof(std::span<const Hash> d, std::uint64_t m, bool complete, std::vector<Hash>& out) {
  const std::uint64_t n = d.size();
  if (m == n) {
    if (!complete) out.push_back(root_of(d));
    return;
  }
  const std::uint64_t k = split_point(n);
  if (m <= k) {
    subproof(d.subspan(0, k), m, complete, out);
    out.push_back(root_of(d.subspan(k)));
  } else {
    subproof(d.subspan(k), m - k, false, out);
    out.push_back(root_of(d.subspan(0, k)));
  }
}

}  // namespace

Hash leaf_hash(std::span<const std::uint8_t> entry) {
  const std::uint8_t prefix = 0x00;
  return sha256_parts(&prefix, 1, entry.data(), entry.size(), nullptr, 0);
}

Hash leaf_hash(std::string_view entry) {
  return leaf_hash(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(entry.data()), entry.size()));
}

Hash node_hash(const Hash& left, const Hash& right) {
  const std::uint8_t prefix = 0x01;
  return sha256_parts(&prefix, 1, left.data(), left.size(), right.data(), right.size());
}

Hash root_of(std::span<const Hash> d) {
  if (d.empty()) {
    return sha256_parts(nullptr, 0, nullptr, 0, nullptr, 0);
  }
  if (d.size() == 1) return d[0];
  const std::uint64_t k = split_point(d.size());
  return node_hash(root_of(d.subspan(0, k)), root_of(d.subspan(k)));
}

std::vector<Hash> inclusion_proof(std::span<const Hash> leaf_hashes, std::uint64_t index) {
  std::vector<Hash> out;
  if (index < leaf_hashes.size()) path(leaf_hashes, index, out);
  return out;
}

std::vector<Hash> consistency_proof(std::span<const Hash> leaf_hashes, std::uint64_t old_size) {
  std::vector<Hash> out;
  if (old_size > 0 && old_size < leaf_hashes.size()) subproof(leaf_hashes, old_size, true, out);
  return out;
}

Result<void> verify_inclusion(std::uint64_t index, std::uint64_t size, const Hash& leaf, std::span<const Hash> proof, const Hash& root) {
  if (index >= size) return proof_error("inclusion-index", "leaf index " + std::to_string(index) + " is outside a tree of " + std::to_string(size));
  std::uint64_t fn = index, sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) return proof_error("inclusion-length", "the proof is longer than the tree is deep");
    if (lsb(fn) || fn == sn) {
      r = node_hash(p, r);
      while (!lsb(fn) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return proof_error("inclusion-length", "the proof is shorter than the tree is deep");
  if (r != root) return proof_error("inclusion-root", "the proof does not lead to the expected root");
  return {};
}

Result<void> verify_consistency(std::uint64_t size1, std::uint64_t size2, std::span<const Hash> proof, const Hash& root1,
                                const Hash& root2) {
  if (size2 < size1) return proof_error("consistency-order", "the second tree is smaller than the first");
  if (size1 == size2) {
    if (!proof.empty()) return proof_error("consistency-length", "trees of equal size need an empty proof");
    if (root1 != root2) return proof_error("consistency-root", "equal sizes but different roots");
    return {};
  }
  if (size1 == 0) {
    if (!proof.empty()) return proof_error("consistency-length", "the empty tree needs an empty proof");
    return {};
  }
  if (proof.empty()) return proof_error("consistency-length", "a non-empty proof is required");

  std::vector<Hash> p;
  const bool power_of_two = (size1 & (size1 - 1)) == 0;
  if (power_of_two) p.push_back(root1);
  p.insert(p.end(), proof.begin(), proof.end());

  std::uint64_t fn = size1 - 1, sn = size2 - 1;
  while (lsb(fn)) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = p[0], sr = p[0];
  for (std::size_t i = 1; i < p.size(); ++i) {
    const Hash& c = p[i];
    if (sn == 0) return proof_error("consistency-length", "the proof is longer than needed");
    if (lsb(fn) || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      while (!lsb(fn) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return proof_error("consistency-length", "the proof is shorter than needed");
  if (fr != root1) return proof_error("consistency-root", "the proof does not lead to the first root");
  if (sr != root2) return proof_error("consistency-root", "the proof does not lead to the second root");
  return {};
}

bool is_valid_subtree(std::uint64_t start, std::uint64_t end) {
  if (start >= end || end - start > (std::uint64_t{1} << 62)) return false;  // no log is that large; bit_ceil would overflow
  return start % std::bit_ceil(end - start) == 0;
}

Result<void> verify_subtree_inclusion(std::uint64_t index, std::uint64_t start, std::uint64_t end, const Hash& leaf,
                                      std::span<const Hash> proof, const Hash& subtree_root) {
  if (!is_valid_subtree(start, end)) {
    return proof_error("bad-subtree", "[" + std::to_string(start) + ", " + std::to_string(end) + ") is not a subtree");
  }
  if (index < start || index >= end) return proof_error("bad-index", "the leaf is outside the subtree");
  // An aligned subtree is a tree of its own: the ordinary proof of the relative position.
  return verify_inclusion(index - start, end - start, leaf, proof, subtree_root);
}

Result<void> verify_subtree_consistency(std::uint64_t start, std::uint64_t end, std::uint64_t size, std::span<const Hash> proof,
                                        const Hash& subtree_root, const Hash& root) {
  if (start == end && end <= size) {
    // The empty subtree is in every tree; its hash is the empty tree's and it needs no proof.
    if (!proof.empty()) return proof_error("long-proof", "an empty subtree needs no proof");
    if (subtree_root != root_of(std::span<const Hash>{})) return proof_error("mismatch", "an empty subtree's hash is SHA-256(\"\")");
    return ok();
  }
  if (!is_valid_subtree(start, end) || end > size) {
    return proof_error("bad-subtree", "[" + std::to_string(start) + ", " + std::to_string(end) + ") is not a subtree of " +
                                          std::to_string(size) + " entries");
  }
  // Cursors on the subtree's first and last leaf and the tree's last leaf; shifting right
  // climbs a level. Climb first through the levels that need no proof hash.
  std::uint64_t first = start, last = end - 1, tree_last = size - 1;
  auto climb = [&] {
    first >>= 1;
    last >>= 1;
    tree_last >>= 1;
  };
  if (last == tree_last) {
    while (first != last) climb();
  } else {
    while (first != last && lsb(last)) climb();
  }
  // `sub` rebuilds the subtree's hash, `whole` the root, from a common seed: the subtree's hash
  // itself when it is one node by now, else the first proof hash.
  Hash sub, whole;
  std::size_t next = 0;
  if (first == last) {
    sub = whole = subtree_root;
  } else {
    if (proof.empty()) return proof_error("short-proof", "the proof is empty");
    sub = whole = proof[next++];
  }
  for (; next < proof.size(); ++next) {
    const Hash& p = proof[next];
    if (tree_last == 0) return proof_error("long-proof", "more proof hashes than tree levels");
    if (lsb(last) || last == tree_last) {
      if (first < last) sub = node_hash(p, sub);
      whole = node_hash(p, whole);
      // On the ragged right edge the merged node is shorter than its sibling: skip its empty levels.
      while (!lsb(last) && last != 0) climb();
    } else {
      whole = node_hash(whole, p);
    }
    climb();
  }
  if (tree_last != 0) return proof_error("short-proof", "fewer proof hashes than tree levels");
  if (sub != subtree_root) return proof_error("mismatch", "the proof does not rebuild the subtree's hash");
  if (whole != root) return proof_error("mismatch", "the proof does not rebuild the tree's root");
  return ok();
}

Result<Hash> hash_from_base64(std::string_view text) {
  Hash h;
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(h.data(), h.size(), text.data(), text.size(), nullptr, &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size() || len != h.size()) {
    return make_error("audit.bad-hash", std::string(text), "not the standard base64 of a 32-byte SHA-256 hash");
  }
  return h;
}

std::string to_base64(const Hash& hash) {
  char buf[64];
  sodium_bin2base64(buf, sizeof buf, hash.data(), hash.size(), sodium_base64_VARIANT_ORIGINAL);
  return buf;
}

}  // namespace sanso::audit
