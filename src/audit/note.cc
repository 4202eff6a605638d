#include "audit/note.h"

#include <sodium.h>

#include <charconv>
#include <cstdio>
#include <optional>
#include <vector>

namespace sanso::audit {
namespace {

constexpr std::uint8_t kAlgEd25519 = 0x01;
constexpr std::string_view kDash = "\xE2\x80\x94";  // U+2014, the em dash C2SP signature lines start with

Result<void> init() {
  if (sodium_init() < 0) return make_error("crypto.init", "", "libsodium failed to initialise");
  return ok();
}

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c == '+' || static_cast<unsigned char>(c) <= 0x20) return false;
  }
  return true;
}

std::uint32_t key_id(std::string_view name, const std::array<std::uint8_t, 32>& pk) {
  std::string data(name);
  data += '\n';
  data += static_cast<char>(kAlgEd25519);
  data.append(reinterpret_cast<const char*>(pk.data()), pk.size());
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return (std::uint32_t{h[0]} << 24) | (std::uint32_t{h[1]} << 16) | (std::uint32_t{h[2]} << 8) | h[3];
}

std::string b64(const std::string& raw) {
  std::string out(sodium_base64_ENCODED_LEN(raw.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();  // the terminating NUL
  return out;
}

std::optional<std::string> unb64(std::string_view text) {
  std::string out(text.size(), '\0');
  std::size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr, &len,
                        &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

std::string hex8(std::uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

std::optional<std::uint32_t> parse_hex8(std::string_view s) {
  if (s.size() != 8) return std::nullopt;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return std::nullopt;
  }
  std::uint32_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v, 16);
  return v;
}

std::vector<std::string_view> split_plus(std::string_view s) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '+') {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

// Base64 may itself contain '+': everything from `first` on is the key material.
std::string join_tail(const std::vector<std::string_view>& parts, std::size_t first) {
  std::string out(parts[first]);
  for (std::size_t i = first + 1; i < parts.size(); ++i) out += "+" + std::string(parts[i]);
  return out;
}

// name+hexid+base64 → (name, id, 0x01-prefixed 32-byte key material).
Result<VerifierKey> parse_key_parts(std::string_view name, std::string_view id, std::string_view material,
                                    std::array<std::uint8_t, 32>& key_bytes, std::string_view what) {
  if (!valid_name(name)) return make_error("audit.key", std::string(what), "bad key name");
  auto hash = parse_hex8(id);
  if (!hash) return make_error("audit.key", std::string(what), "key id must be 8 lowercase hex digits");
  auto raw = unb64(material);
  if (!raw || raw->size() != 33 || static_cast<std::uint8_t>((*raw)[0]) != kAlgEd25519) {
    return make_error("audit.key", std::string(what), "key material must be base64 of 0x01 and a 32-byte Ed25519 key");
  }
  std::copy(raw->begin() + 1, raw->end(), key_bytes.begin());
  VerifierKey v;
  v.name = std::string(name);
  v.key_id = *hash;
  return v;
}

}  // namespace

Result<SigningKey> generate_signing_key(const std::string& name) {
  SANSO_TRY(init());
  if (!valid_name(name)) return make_error("audit.key", name, "a key name may not be empty or contain spaces or '+'");
  SigningKey k;
  randombytes_buf(k.seed.data(), k.seed.size());
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(k.verifier.public_key.data(), sk, k.seed.data());
  sodium_memzero(sk, sizeof sk);
  k.verifier.name = name;
  k.verifier.key_id = key_id(name, k.verifier.public_key);
  return k;
}

std::string encode_signing_key(const SigningKey& key) {
  std::string material(1, static_cast<char>(kAlgEd25519));
  material.append(reinterpret_cast<const char*>(key.seed.data()), key.seed.size());
  return "PRIVATE+KEY+" + key.verifier.name + "+" + hex8(key.verifier.key_id) + "+" + b64(material);
}

Result<SigningKey> parse_signing_key(std::string_view text) {
  SANSO_TRY(init());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  auto parts = split_plus(text);
  if (parts.size() < 5 || parts[0] != "PRIVATE" || parts[1] != "KEY") {
    return make_error("audit.key", "", "not a signing key (expected PRIVATE+KEY+name+id+key)");
  }
  SigningKey k;
  k.verifier = SANSO_TRY(parse_key_parts(parts[2], parts[3], join_tail(parts, 4), k.seed, "signing key"));
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(k.verifier.public_key.data(), sk, k.seed.data());
  sodium_memzero(sk, sizeof sk);
  if (key_id(k.verifier.name, k.verifier.public_key) != k.verifier.key_id) {
    return make_error("audit.key", "signing key", "the key id does not match the key (the file is damaged)");
  }
  return k;
}

std::string encode_verifier_key(const VerifierKey& key) {
  std::string material(1, static_cast<char>(kAlgEd25519));
  material.append(reinterpret_cast<const char*>(key.public_key.data()), key.public_key.size());
  return key.name + "+" + hex8(key.key_id) + "+" + b64(material);
}

Result<VerifierKey> parse_verifier_key(std::string_view text) {
  SANSO_TRY(init());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  auto parts = split_plus(text);
  if (parts.size() < 3) return make_error("audit.key", "", "not a verifier key (expected name+id+key)");
  std::array<std::uint8_t, 32> pk{};
  VerifierKey v = SANSO_TRY(parse_key_parts(parts[0], parts[1], join_tail(parts, 2), pk, "verifier key"));
  v.public_key = pk;
  if (key_id(v.name, v.public_key) != v.key_id) return make_error("audit.key", "verifier key", "the key id does not match the key");
  return v;
}

Result<std::string> sign_note(const SigningKey& key, std::string_view text) {
  SANSO_TRY(init());
  if (text.empty() || text.back() != '\n') return make_error("audit.note", "", "a note's text must end with a newline");
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_seed_keypair(pk, sk, key.seed.data());
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(text.data()), text.size(), sk);
  sodium_memzero(sk, sizeof sk);
  std::string blob;
  for (int shift = 24; shift >= 0; shift -= 8) blob += static_cast<char>((key.verifier.key_id >> shift) & 0xff);
  blob.append(reinterpret_cast<const char*>(sig), sizeof sig);
  return std::string(text) + "\n" + std::string(kDash) + " " + key.verifier.name + " " + b64(blob) + "\n";
}

Result<std::string> open_note(std::string_view note, const VerifierKey& key) {
  SANSO_TRY(init());
  auto split = note.rfind("\n\n");
  if (split == std::string_view::npos) return make_error("audit.note", "", "not a signed note (no blank line before the signatures)");
  std::string_view text = note.substr(0, split + 1);
  std::string_view sigs = note.substr(split + 2);
  if (sigs.empty() || sigs.back() != '\n') return make_error("audit.note", "", "the signature block must end with a newline");
  bool named = false;
  while (!sigs.empty()) {
    auto eol = sigs.find('\n');
    std::string_view line = sigs.substr(0, eol);
    sigs.remove_prefix(eol + 1);
    std::string prefix = std::string(kDash) + " ";
    if (!line.starts_with(prefix)) return make_error("audit.note", "", "malformed signature line");
    line.remove_prefix(prefix.size());
    auto space = line.find(' ');
    if (space == std::string_view::npos) return make_error("audit.note", "", "malformed signature line");
    std::string_view name = line.substr(0, space);
    auto blob = unb64(line.substr(space + 1));
    if (!blob || blob->size() < 5) return make_error("audit.note", "", "malformed signature");
    std::uint32_t id = 0;
    for (int i = 0; i < 4; ++i) id = (id << 8) | static_cast<std::uint8_t>((*blob)[static_cast<std::size_t>(i)]);
    if (name != key.name || id != key.key_id) continue;
    named = true;
    if (blob->size() != 4 + crypto_sign_BYTES) continue;
    if (crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(blob->data() + 4),
                                    reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                                    key.public_key.data()) == 0) {
      return std::string(text);
    }
  }
  if (named) return make_error("audit.signature", key.name, "the signature does not verify: the note was altered or signed by another key");
  return make_error("audit.signature", key.name, "the note carries no signature by this key");
}

std::string format_checkpoint(const Checkpoint& c) {
  return c.origin + "\n" + std::to_string(c.size) + "\n" + to_base64(c.root) + "\n" + c.extensions;
}

Result<Checkpoint> parse_checkpoint(std::string_view text) {
  Checkpoint c;
  auto line = [&](std::string& out) -> bool {
    auto eol = text.find('\n');
    if (eol == std::string_view::npos) return false;
    out = std::string(text.substr(0, eol));
    text.remove_prefix(eol + 1);
    return true;
  };
  std::string size, root;
  if (!line(c.origin) || !line(size) || !line(root)) return make_error("audit.checkpoint", "", "a checkpoint needs origin, size and root lines");
  if (c.origin.empty()) return make_error("audit.checkpoint", "", "empty origin");
  if (size.empty() || (size.size() > 1 && size[0] == '0')) return make_error("audit.checkpoint", "", "bad tree size '" + size + "'");
  auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), c.size);
  if (ec != std::errc() || end != size.data() + size.size()) return make_error("audit.checkpoint", "", "bad tree size '" + size + "'");
  c.root = SANSO_TRY(hash_from_base64(root));
  c.extensions = std::string(text);
  return c;
}

}  // namespace sanso::audit
