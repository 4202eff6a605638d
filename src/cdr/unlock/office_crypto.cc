// ECMA-376 document encryption as [MS-OFFCRYPTO] 2.3.4 describes it (facts from the specification;
// no library of Debian's implements it in C). Agile: 2.3.4.10–2.3.4.15; Standard: 2.3.4.5–2.3.4.9.
#include "cdr/internal/office_crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

#include "cdr/internal/format.h"
#include "core/text.h"

namespace sanso::cdr::internal {
namespace {

constexpr std::string_view kWhere = "EncryptionInfo";
// The spec's ceiling for spinCount (ST_SpinCount); Office writes 100,000. The sandbox's CPU limit
// bounds what a file asking for the ceiling costs.
constexpr std::uint32_t kMaxSpinCount = 10'000'000;
constexpr std::size_t kSegment = 4096;  // Agile: the package is encrypted in segments of 4096 bytes
constexpr std::uint32_t kStandardSpinCount = 50'000;

// Block keys of the password key encryptor (2.3.4.13).
constexpr std::array<unsigned char, 8> kVerifierInputBlock = {0xfe, 0xa7, 0xd2, 0x76, 0x3b, 0x4b, 0x9e, 0x79};
constexpr std::array<unsigned char, 8> kVerifierHashBlock = {0xd7, 0xaa, 0x0f, 0x6d, 0x30, 0x61, 0x34, 0x4e};
constexpr std::array<unsigned char, 8> kKeyValueBlock = {0x14, 0x6e, 0x0b, 0xe7, 0xab, 0xac, 0xd0, 0xd6};

std::uint32_t le32(std::string_view b, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<std::size_t>(i)]);
  return v;
}
std::string le32_bytes(std::uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}

// Holds secret bytes; wiped when it goes.
struct Secret {
  std::string bytes;
  Secret() = default;
  explicit Secret(std::string b) : bytes(std::move(b)) {}
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  Secret(Secret&& o) noexcept : bytes(std::move(o.bytes)) {}
  Secret& operator=(Secret&& o) noexcept {
    wipe();
    bytes = std::move(o.bytes);
    return *this;
  }
  ~Secret() { wipe(); }
  // The whole buffer, also what a move left in a moved-from short string.
  void wipe() {
    bytes.resize(bytes.capacity());
    OPENSSL_cleanse(bytes.data(), bytes.size());
    bytes.clear();
  }
};

const EVP_MD* digest_named(std::string_view name) {
  if (name == "SHA1" || name == "SHA-1") return EVP_sha1();
  if (name == "SHA256") return EVP_sha256();
  if (name == "SHA384") return EVP_sha384();
  if (name == "SHA512") return EVP_sha512();
  return nullptr;
}

std::string hash(const EVP_MD* md, std::string_view a, std::string_view b = {}) {
  std::string out(static_cast<std::size_t>(EVP_MD_get_size(md)), '\0');
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned int n = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 || EVP_DigestUpdate(ctx.get(), a.data(), a.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), b.data(), b.size()) != 1 || EVP_DigestFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n) != 1) {
    return {};
  }
  return out;
}

// The password as Office hashes it: UTF-16LE code units, no terminator.
Result<std::string> utf16le(std::string_view utf8) {
  if (!is_valid_utf8(utf8)) return make_error("unlock.input", "password", "the password is not valid UTF-8");
  std::string out;
  out.reserve(utf8.size() * 2 + 2);  // no reallocation: no copy of it left behind
  auto unit = [&](std::uint32_t u) {
    out.push_back(static_cast<char>(u & 0xFF));
    out.push_back(static_cast<char>((u >> 8) & 0xFF));
  };
  for (std::size_t i = 0; i < utf8.size();) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    std::uint32_t cp = 0;
    std::size_t n = 1;
    if (c < 0x80) {
      cp = c;
    } else if (c < 0xE0) {
      cp = c & 0x1F;
      n = 2;
    } else if (c < 0xF0) {
      cp = c & 0x0F;
      n = 3;
    } else {
      cp = c & 0x07;
      n = 4;
    }
    for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
    i += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      unit(0xD800 + (cp >> 10));
      unit(0xDC00 + (cp & 0x3FF));
    } else {
      unit(cp);
    }
  }
  return out;
}

// H0 = H(salt + password); Hn = H(iterator + Hn-1), `spins` times (2.3.4.7, 2.3.4.11).
Secret spun_hash(const EVP_MD* md, std::string_view salt, std::string_view password16, std::uint32_t spins) {
  Secret h(hash(md, salt, password16));
  for (std::uint32_t i = 0; i < spins; ++i) h = Secret(hash(md, le32_bytes(i), h.bytes));
  return h;
}

// A hash cut or padded with 0x36 to `n` bytes (2.3.4.11: keys and IVs).
std::string fit(std::string bytes, std::size_t n) {
  if (bytes.size() > n) OPENSSL_cleanse(bytes.data() + n, bytes.size() - n);
  bytes.resize(n, '\x36');
  return bytes;
}

const EVP_CIPHER* aes(std::size_t key_bytes, bool cbc) {
  switch (key_bytes) {
    case 16: return cbc ? EVP_aes_128_cbc() : EVP_aes_128_ecb();
    case 24: return cbc ? EVP_aes_192_cbc() : EVP_aes_192_ecb();
    case 32: return cbc ? EVP_aes_256_cbc() : EVP_aes_256_ecb();
    default: return nullptr;
  }
}

// AES without padding over whole blocks; `iv` empty for ECB.
Result<std::string> aes_decrypt(std::string_view key, std::string_view iv, std::string_view data) {
  const EVP_CIPHER* cipher = aes(key.size(), !iv.empty());
  if (cipher == nullptr) return blocked("unsupported", std::string(kWhere), "AES with a " + std::to_string(key.size() * 8) + "-bit key is not supported");
  if (data.size() % 16 != 0) return blocked("malformed", std::string(kWhere), "encrypted data is not a whole number of AES blocks");
  if (!iv.empty() && iv.size() != 16) return blocked("malformed", std::string(kWhere), "the AES initialisation vector is not 16 bytes");
  std::unique_ptr<EVP_CIPHER_CTX, void (*)(EVP_CIPHER_CTX*)> ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string out(data.size() + 16, '\0');
  int n = 0, tail = 0;
  const auto* k = reinterpret_cast<const unsigned char*>(key.data());
  const auto* v = iv.empty() ? nullptr : reinterpret_cast<const unsigned char*>(iv.data());
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, k, v) != 1 || EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n, reinterpret_cast<const unsigned char*>(data.data()),
                        static_cast<int>(data.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + n, &tail) != 1) {
    return make_error("cdr.internal", std::string(kWhere), "AES decryption failed");
  }
  out.resize(static_cast<std::size_t>(n + tail));
  return out;
}

Result<std::string> base64(const char* text, std::string_view what) {
  std::string in;
  for (const char* p = text; *p != '\0'; ++p) {
    if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') in.push_back(*p);
  }
  if (in.empty() || in.size() % 4 != 0 || in.size() > (std::size_t{1} << 20)) {
    return blocked("malformed", std::string(kWhere), std::string(what) + " is not base64");
  }
  std::string out(in.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return blocked("malformed", std::string(kWhere), std::string(what) + " is not base64");
  std::size_t pad = 0;
  if (in.back() == '=') ++pad;
  if (in.size() >= 2 && in[in.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

// A whole-number attribute within [lo, hi].
Result<int> number(const pugi::xml_node& node, const char* name, int lo, int hi) {
  const pugi::xml_attribute a = node.attribute(name);
  const std::string text = a.value();
  if (text.empty() || text.size() > 9 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return blocked("malformed", std::string(kWhere), std::string(node.name()) + "/@" + name + " is not a number");
  }
  const int v = std::stoi(text);
  if (v < lo || v > hi) return blocked("unsupported", std::string(kWhere), std::string(node.name()) + "/@" + name + " = " + text + " is not supported");
  return v;
}

// The cipher and chaining a node names: only AES-CBC is supported.
Result<void> require_aes_cbc(const pugi::xml_node& node) {
  const std::string cipher = node.attribute("cipherAlgorithm").value();
  const std::string chaining = node.attribute("cipherChaining").value();
  if (cipher != "AES") return blocked("unsupported", std::string(kWhere), "the cipher " + visible_text(cipher.substr(0, 40)) + " is not supported (only AES)");
  if (chaining != "ChainingModeCBC") {
    return blocked("unsupported", std::string(kWhere), "the chaining mode " + visible_text(chaining.substr(0, 40)) + " is not supported (only CBC)");
  }
  return ok();
}

Result<std::string> hash_name(const pugi::xml_node& node) {
  std::string name = node.attribute("hashAlgorithm").value();
  if (digest_named(name) == nullptr) {
    return blocked("unsupported", std::string(kWhere), "the hash " + visible_text(name.substr(0, 40)) + " is not supported (SHA-1 or SHA-2)");
  }
  return name;
}

// Children by local name, whatever prefix the writer chose.
pugi::xml_node child(const pugi::xml_node& parent, std::string_view local) {
  for (pugi::xml_node c : parent.children()) {
    std::string_view n = c.name();
    const auto colon = n.find(':');
    if ((colon == std::string_view::npos ? n : n.substr(colon + 1)) == local) return c;
  }
  return {};
}

Result<OfficeEncryption> parse_agile(std::string_view xml) {
  pugi::xml_document doc;
  // No DTDs, no entities beyond XML's own: pugixml expands none, and a DOCTYPE is refused.
  const pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default & ~pugi::parse_doctype);
  if (!parsed) return blocked("malformed", std::string(kWhere), std::string("the agile encryption descriptor is not XML: ") + parsed.description());
  for (pugi::xml_node n = doc.first_child(); n; n = n.next_sibling()) {
    if (n.type() == pugi::node_doctype) return blocked("malformed", std::string(kWhere), "the encryption descriptor has a DTD");
  }
  const pugi::xml_node root = child(doc, "encryption");
  const pugi::xml_node key_data = child(root, "keyData");
  if (!root || !key_data) return blocked("malformed", std::string(kWhere), "the encryption descriptor has no keyData");
  OfficeEncryption e;
  e.scheme = OfficeEncryption::Scheme::kAgile;
  SANSO_TRY(require_aes_cbc(key_data));
  e.data_hash = SANSO_TRY(hash_name(key_data));
  e.data_block_size = SANSO_TRY(number(key_data, "blockSize", 16, 16));
  e.data_key_bits = SANSO_TRY(number(key_data, "keyBits", 128, 256));
  if (e.data_key_bits % 64 != 0) return blocked("unsupported", std::string(kWhere), "keyData/@keyBits is not 128, 192 or 256");
  e.data_salt = SANSO_TRY(base64(key_data.attribute("saltValue").value(), "keyData/@saltValue"));
  if (e.data_salt.empty() || e.data_salt.size() > 65536) return blocked("malformed", std::string(kWhere), "keyData/@saltValue has no salt");
  pugi::xml_node encrypted_key;
  for (pugi::xml_node k : child(root, "keyEncryptors").children()) {
    if (std::string_view(k.attribute("uri").value()) != "http://schemas.microsoft.com/office/2006/keyEncryptor/password") continue;
    encrypted_key = child(k, "encryptedKey");
    if (encrypted_key) break;
  }
  if (!encrypted_key) {
    return blocked("unsupported", std::string(kWhere), "the document is not encrypted with a password (a certificate key encryptor only)");
  }
  SANSO_TRY(require_aes_cbc(encrypted_key));
  e.password_hash = SANSO_TRY(hash_name(encrypted_key));
  e.password_block_size = SANSO_TRY(number(encrypted_key, "blockSize", 16, 16));
  e.password_key_bits = SANSO_TRY(number(encrypted_key, "keyBits", 128, 256));
  if (e.password_key_bits % 64 != 0) return blocked("unsupported", std::string(kWhere), "encryptedKey/@keyBits is not 128, 192 or 256");
  e.spin_count = static_cast<std::uint32_t>(SANSO_TRY(number(encrypted_key, "spinCount", 0, static_cast<int>(kMaxSpinCount))));
  e.password_salt = SANSO_TRY(base64(encrypted_key.attribute("saltValue").value(), "encryptedKey/@saltValue"));
  e.encrypted_verifier_input = SANSO_TRY(base64(encrypted_key.attribute("encryptedVerifierHashInput").value(), "encryptedVerifierHashInput"));
  e.encrypted_verifier_hash = SANSO_TRY(base64(encrypted_key.attribute("encryptedVerifierHashValue").value(), "encryptedVerifierHashValue"));
  e.encrypted_key = SANSO_TRY(base64(encrypted_key.attribute("encryptedKeyValue").value(), "encryptedKeyValue"));
  if (e.password_salt.empty() || e.password_salt.size() > 65536) return blocked("malformed", std::string(kWhere), "encryptedKey/@saltValue has no salt");
  return e;
}

Result<OfficeEncryption> parse_standard(std::string_view info) {
  // Version (4), Flags (4), HeaderSize (4), EncryptionHeader (HeaderSize), EncryptionVerifier.
  if (info.size() < 12) return blocked("malformed", std::string(kWhere), "the standard encryption header is cut short");
  const std::uint32_t flags = le32(info, 4);
  const std::uint32_t header_size = le32(info, 8);
  if (header_size < 32 || header_size > info.size() - 12) return blocked("malformed", std::string(kWhere), "the encryption header's size is out of range");
  constexpr std::uint32_t kFlagCryptoApi = 0x04, kFlagExternal = 0x10, kFlagAes = 0x20;
  if ((flags & kFlagExternal) != 0) return blocked("unsupported", std::string(kWhere), "extensible encryption (a third-party provider) is not supported");
  const std::string_view header = info.substr(12, header_size);
  const std::uint32_t alg_id = le32(header, 8), alg_hash = le32(header, 12), key_bits = le32(header, 16);
  const bool aes_alg = alg_id == 0x660E || alg_id == 0x660F || alg_id == 0x6610;
  if ((flags & kFlagCryptoApi) == 0 || (flags & kFlagAes) == 0 || !aes_alg) {
    return blocked("unsupported", std::string(kWhere), "only AES standard encryption is supported (this file uses RC4 or an unknown algorithm)");
  }
  if (alg_hash != 0 && alg_hash != 0x8004) return blocked("unsupported", std::string(kWhere), "the standard encryption hash is not SHA-1");
  const std::uint32_t expected_bits = alg_id == 0x660E ? 128 : alg_id == 0x660F ? 192 : 256;
  if (key_bits != expected_bits) return blocked("malformed", std::string(kWhere), "the key size does not match the AES algorithm");
  std::string_view verifier = info.substr(12 + header_size);
  // SaltSize (4) = 16, Salt (16), EncryptedVerifier (16), VerifierHashSize (4) = 20, EncryptedVerifierHash (32 for AES).
  if (verifier.size() < 4 + 16 + 16 + 4 + 32) return blocked("malformed", std::string(kWhere), "the encryption verifier is cut short");
  if (le32(verifier, 0) != 16) return blocked("malformed", std::string(kWhere), "the verifier's salt is not 16 bytes");
  OfficeEncryption e;
  e.scheme = OfficeEncryption::Scheme::kStandard;
  e.password_hash = e.data_hash = "SHA1";
  e.password_key_bits = e.data_key_bits = static_cast<int>(key_bits);
  e.password_salt = std::string(verifier.substr(4, 16));
  e.encrypted_verifier_input = std::string(verifier.substr(20, 16));
  e.verifier_hash_size = le32(verifier, 36);
  if (e.verifier_hash_size != 20) return blocked("malformed", std::string(kWhere), "the verifier's hash is not SHA-1's 20 bytes");
  e.encrypted_verifier_hash = std::string(verifier.substr(40, 32));
  e.spin_count = kStandardSpinCount;
  return e;
}

// The declared size and the encrypted bytes of an EncryptedPackage stream.
Result<std::pair<std::uint64_t, std::string_view>> package_parts(std::string_view package, std::uint64_t max_bytes) {
  if (package.size() < 8) return blocked("malformed", "EncryptedPackage", "the encrypted package is cut short");
  std::uint64_t size = 0;
  for (int i = 7; i >= 0; --i) size = (size << 8) | static_cast<unsigned char>(package[static_cast<std::size_t>(i)]);
  const std::string_view data = package.substr(8);
  if (size > max_bytes) {
    return blocked("limit", "EncryptedPackage", "the package declares " + std::to_string(size) + " bytes, more than the limit of " + std::to_string(max_bytes));
  }
  if (size > data.size()) {
    return blocked("malformed", "EncryptedPackage",
                   "the package declares " + std::to_string(size) + " bytes but holds " + std::to_string(data.size()) + " (truncated)");
  }
  return std::make_pair(size, data);
}

Result<std::string> decrypt_agile(const OfficeEncryption& e, std::string_view package, std::string_view password, std::uint64_t max_bytes) {
  const EVP_MD* password_md = digest_named(e.password_hash);
  const EVP_MD* data_md = digest_named(e.data_hash);
  const Secret pw(SANSO_TRY(utf16le(password)));
  const Secret spun = spun_hash(password_md, e.password_salt, pw.bytes, e.spin_count);
  const std::size_t key_bytes = static_cast<std::size_t>(e.password_key_bits / 8);
  const std::string iv = fit(e.password_salt, static_cast<std::size_t>(e.password_block_size));
  auto key_for = [&](const std::array<unsigned char, 8>& block) {
    return Secret(fit(hash(password_md, spun.bytes, std::string_view(reinterpret_cast<const char*>(block.data()), block.size())), key_bytes));
  };
  const Secret verifier_input(SANSO_TRY(aes_decrypt(key_for(kVerifierInputBlock).bytes, iv, e.encrypted_verifier_input)));
  const Secret verifier_hash(SANSO_TRY(aes_decrypt(key_for(kVerifierHashBlock).bytes, iv, e.encrypted_verifier_hash)));
  const std::string expected = hash(password_md, std::string_view(verifier_input.bytes).substr(0, e.password_salt.size()));
  if (expected.empty() || verifier_hash.bytes.size() < expected.size() ||
      CRYPTO_memcmp(expected.data(), verifier_hash.bytes.data(), expected.size()) != 0) {
    return make_error("unlock.password", "document", "the password is not this document's");
  }
  Secret secret(SANSO_TRY(aes_decrypt(key_for(kKeyValueBlock).bytes, iv, e.encrypted_key)));
  const std::size_t data_key_bytes = static_cast<std::size_t>(e.data_key_bits / 8);
  if (secret.bytes.size() < data_key_bytes) return blocked("malformed", std::string(kWhere), "the encrypted key is shorter than the key");
  secret.bytes.resize(data_key_bytes);
  const auto [size, data] = SANSO_TRY(package_parts(package, max_bytes));
  std::string out;
  out.reserve(static_cast<std::size_t>(size) + kSegment);
  for (std::uint32_t segment = 0; static_cast<std::uint64_t>(segment) * kSegment < size; ++segment) {
    const std::size_t at = static_cast<std::size_t>(segment) * kSegment;
    std::string_view chunk = data.substr(at, kSegment);
    // The last segment is padded to the block size; a writer may leave trailing bytes after it.
    chunk = chunk.substr(0, chunk.size() - chunk.size() % 16);
    const std::string segment_iv = fit(hash(data_md, e.data_salt, le32_bytes(segment)), static_cast<std::size_t>(e.data_block_size));
    out += SANSO_TRY(aes_decrypt(secret.bytes, segment_iv, chunk));
  }
  if (out.size() < size) return blocked("malformed", "EncryptedPackage", "the encrypted package is truncated");
  out.resize(static_cast<std::size_t>(size));
  return out;
}

Result<std::string> decrypt_standard(const OfficeEncryption& e, std::string_view package, std::string_view password, std::uint64_t max_bytes) {
  const EVP_MD* sha1 = EVP_sha1();
  const Secret pw(SANSO_TRY(utf16le(password)));
  const Secret spun = spun_hash(sha1, e.password_salt, pw.bytes, e.spin_count);
  const Secret final_hash(hash(sha1, spun.bytes, le32_bytes(0)));
  // 2.3.4.7: two 64-byte buffers of 0x36 and 0x5C XORed with Hfinal, hashed and joined; the key
  // is their first cbRequiredKeyLength bytes.
  Secret x1(std::string(64, '\x36')), x2(std::string(64, '\x5c'));
  for (std::size_t i = 0; i < final_hash.bytes.size(); ++i) {
    x1.bytes[i] = static_cast<char>(x1.bytes[i] ^ final_hash.bytes[i]);
    x2.bytes[i] = static_cast<char>(x2.bytes[i] ^ final_hash.bytes[i]);
  }
  const Secret key(fit(hash(sha1, x1.bytes) + hash(sha1, x2.bytes), static_cast<std::size_t>(e.password_key_bits / 8)));
  const Secret verifier(SANSO_TRY(aes_decrypt(key.bytes, "", e.encrypted_verifier_input)));
  const Secret verifier_hash(SANSO_TRY(aes_decrypt(key.bytes, "", e.encrypted_verifier_hash)));
  const std::string expected = hash(sha1, verifier.bytes);
  if (expected.size() != 20 || CRYPTO_memcmp(expected.data(), verifier_hash.bytes.data(), 20) != 0) {
    return make_error("unlock.password", "document", "the password is not this document's");
  }
  const auto [size, data] = SANSO_TRY(package_parts(package, max_bytes));
  std::string_view whole = data.substr(0, data.size() - data.size() % 16);
  std::string out = SANSO_TRY(aes_decrypt(key.bytes, "", whole));
  if (out.size() < size) return blocked("malformed", "EncryptedPackage", "the encrypted package is truncated");
  out.resize(static_cast<std::size_t>(size));
  return out;
}

}  // namespace

Result<OfficeEncryption> parse_encryption_info(std::string_view info) {
  if (info.size() < 8) return blocked("malformed", std::string(kWhere), "the encryption information is cut short");
  const unsigned major = static_cast<unsigned char>(info[0]) | (static_cast<unsigned char>(info[1]) << 8);
  const unsigned minor = static_cast<unsigned char>(info[2]) | (static_cast<unsigned char>(info[3]) << 8);
  if (major == 4 && minor == 4) {
    // EncryptionVersionInfo, Reserved (0x40), then the XML descriptor.
    if (le32(info, 4) != 0x40) return blocked("malformed", std::string(kWhere), "the agile encryption header's reserved field is not 0x40");
    return parse_agile(info.substr(8));
  }
  if ((major == 2 || major == 3 || major == 4) && minor == 2) return parse_standard(info);
  if (major == 4 && minor == 3) return blocked("unsupported", std::string(kWhere), "extensible encryption is not supported");
  return blocked("unsupported", std::string(kWhere),
                 "encryption version " + std::to_string(major) + "." + std::to_string(minor) + " is not supported (RC4 or unknown)");
}

void prepare_office_crypto() {
  for (const char* name : {"SHA1", "SHA256", "SHA384", "SHA512"}) (void)hash(digest_named(name), "warm-up");
  const std::string block(16, '\0');
  for (std::size_t key : {16, 24, 32}) {
    (void)aes_decrypt(std::string(key, 'k'), block, block);
    (void)aes_decrypt(std::string(key, 'k'), "", block);
  }
}

Result<std::string> decrypt_office_package(const OfficeEncryption& how, std::string_view package, std::string_view password,
                                           std::uint64_t max_bytes) {
  try {
    return how.scheme == OfficeEncryption::Scheme::kAgile ? decrypt_agile(how, package, password, max_bytes)
                                                          : decrypt_standard(how, package, password, max_bytes);
  } catch (const std::bad_alloc&) {
    return blocked("limit", "EncryptedPackage", "decrypting the package needs more memory than allowed");
  }
}

}  // namespace sanso::cdr::internal
