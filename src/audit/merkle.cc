#include "audit/merkle.h"

#include <openssl/evp.h>
#include <sodium.h>

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
