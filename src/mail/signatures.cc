#include "mail/internal/signatures.h"

#include <algorithm>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/bio.h>
#include <openssl/pkcs7.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "mail/internal/message_text.h"
#include "mime/charset.h"
#include "mime/der_text.h"

namespace sanso::mail::internal {
namespace {

// The largest detached signature read as one (S/MIME with a long chain is under 16 KiB).
constexpr std::size_t kMostSignatureBytes = 64 * 1024;

SignatureText unreadable(std::string why) {
  SignatureText s;
  s.why = "signature: " + std::move(why);
  return s;
}

// One OpenPGP packet's tag and body, from `at` in `bytes` (RFC 4880 4.2); false when its header is
// broken, its length runs past the end, or it is cut in partial lengths (a signature never is).
bool next_packet(std::string_view bytes, std::size_t& at, int& tag, std::string_view& body) {
  auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])); };
  if (at >= bytes.size() || (byte(at) & 0x80) == 0) return false;
  const std::uint32_t head = byte(at++);
  std::uint64_t length = 0;
  if ((head & 0x40) != 0) {  // new format
    tag = static_cast<int>(head & 0x3f);
    if (at >= bytes.size()) return false;
    const std::uint32_t first = byte(at++);
    if (first < 192) {
      length = first;
    } else if (first < 224) {
      if (at >= bytes.size()) return false;
      length = ((first - 192) << 8) + byte(at++) + 192;
    } else if (first == 255) {
      if (bytes.size() - at < 4) return false;
      length = byte(at) << 24 | byte(at + 1) << 16 | byte(at + 2) << 8 | byte(at + 3);
      at += 4;
    } else {
      return false;  // a partial body length
    }
  } else {  // old format
    tag = static_cast<int>((head >> 2) & 0x0f);
    const std::uint32_t type = head & 0x03;
    if (type == 3) return false;  // indeterminate length
    const std::size_t octets = type == 0 ? 1 : type == 1 ? 2 : 4;
    if (bytes.size() - at < octets) return false;
    for (std::size_t i = 0; i < octets; ++i) length = length << 8 | byte(at++);
  }
  if (length > bytes.size() - at) return false;
  body = bytes.substr(at, static_cast<std::size_t>(length));
  at += static_cast<std::size_t>(length);
  return true;
}

}  // namespace

std::string sign_pkcs7(std::string_view data, const std::string& subject, bool detached, std::string_view serial) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  if (key == nullptr || cert == nullptr) return {};
  if (!serial.empty()) {
    std::unique_ptr<BIGNUM, decltype(&BN_free)> n(BN_bin2bn(reinterpret_cast<const unsigned char*>(serial.data()), static_cast<int>(serial.size()), nullptr),
                                                  &BN_free);
    if (n == nullptr || BN_to_ASN1_INTEGER(n.get(), X509_get_serialNumber(cert.get())) == nullptr) return {};
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_set_version(cert.get(), 2) != 1 || (serial.empty() && ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) != 1) ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) == nullptr || X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400) == nullptr ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(subject.c_str()), -1, -1, 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1 || X509_set_pubkey(cert.get(), key.get()) != 1 || X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
    return {};
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> in(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())), &BIO_free);
  std::unique_ptr<PKCS7, decltype(&PKCS7_free)> p7(PKCS7_sign(cert.get(), key.get(), nullptr, in.get(), PKCS7_BINARY | (detached ? PKCS7_DETACHED : 0)),
                                                   &PKCS7_free);
  unsigned char* der = nullptr;
  const int size = p7 != nullptr ? i2d_PKCS7(p7.get(), &der) : 0;
  std::string out = size > 0 ? std::string(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size)) : std::string();
  OPENSSL_free(der);
  return out;
}

void prepare_signature_reader() {
  OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr);
  (void)read_pkcs7_signature(sign_pkcs7("warm", "warm", true));
}

SignatureText read_pkcs7_signature(std::string_view bytes) {
  // A signature with its certificate chain is a few kilobytes; a large one is a container.
  if (bytes.size() > kMostSignatureBytes) return unreadable("a PKCS #7 signature of " + std::to_string(bytes.size()) + " bytes (more than a signature needs)");
  ERR_clear_error();  // what an earlier refusal left: a long-lived worker's queue stays empty
  const auto* at = reinterpret_cast<const unsigned char*>(bytes.data());
  std::unique_ptr<PKCS7, decltype(&PKCS7_free)> p7(d2i_PKCS7(nullptr, &at, static_cast<long>(bytes.size())), &PKCS7_free);
  if (p7 == nullptr) return unreadable("not a PKCS #7 structure (OpenSSL cannot parse it)");
  if (at != reinterpret_cast<const unsigned char*>(bytes.data()) + bytes.size()) return unreadable("bytes follow the PKCS #7 structure");
  if (PKCS7_type_is_signed(p7.get()) == 0) return unreadable("a PKCS #7 structure that is not signed-data");
  // Content inside a signature is a message of its own that no part of the mail shows: it leaves
  // unread unless the part is a detached signature only.
  if (PKCS7_get_detached(p7.get()) == 0) return unreadable("the PKCS #7 signature carries content of its own (not a detached signature)");
  // What OpenSSL read, written again as DER (definite lengths, nothing it did not parse).
  unsigned char* der = nullptr;
  const int size = i2d_PKCS7(p7.get(), &der);
  if (size <= 0 || der == nullptr) return unreadable("the PKCS #7 signature cannot be written again as DER");
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> owned(der, [](unsigned char* p) { OPENSSL_free(p); });
  SignatureText s;
  if (!mime::der_strings(std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size)), s.text)) return unreadable("the PKCS #7 signature's structure nests too deeply to read");
  s.readable = true;
  return s;
}

SignedContent read_pkcs7_signed_data(std::string_view bytes) {
  // A signed file is as large as the file: the scanner's own limits (time, memory) bound it, and
  // this one keeps a single structure within what the scan's memory holds twice over.
  constexpr std::size_t kMostOpaqueBytes = std::size_t{64} << 20;
  SignedContent out;
  const auto refuse = [&](const std::string& why) {
    out.why = "signature: " + why;
    return out;
  };
  if (bytes.size() > kMostOpaqueBytes) return refuse("a signed-data structure of " + std::to_string(bytes.size()) + " bytes (more than is read)");
  ERR_clear_error();
  const auto* at = reinterpret_cast<const unsigned char*>(bytes.data());
  std::unique_ptr<PKCS7, decltype(&PKCS7_free)> p7(d2i_PKCS7(nullptr, &at, static_cast<long>(bytes.size())), &PKCS7_free);
  if (p7 == nullptr) return refuse("not a PKCS #7 structure (OpenSSL cannot parse it)");
  if (at != reinterpret_cast<const unsigned char*>(bytes.data()) + bytes.size()) return refuse("bytes follow the PKCS #7 structure");
  if (PKCS7_type_is_enveloped(p7.get()) != 0 || PKCS7_type_is_signedAndEnveloped(p7.get()) != 0) return refuse("encrypted: PKCS #7 enveloped-data cannot be read");
  if (PKCS7_type_is_signed(p7.get()) == 0) return refuse("a PKCS #7 structure that is not signed-data");
  if (PKCS7_get_detached(p7.get()) == 0) {
    PKCS7* inner = p7->d.sign->contents;
    if (inner == nullptr || PKCS7_type_is_data(inner) == 0) return refuse("the signed content is not data (a structure nested in another)");
    if (inner->d.data != nullptr) out.content.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(inner->d.data)), static_cast<std::size_t>(ASN1_STRING_length(inner->d.data)));
    // The content is read as what it is, by the caller; the rest as a detached signature's.
    if (PKCS7_set_detached(p7.get(), 1) != 1) return refuse("the signed content cannot be taken apart from its signature");
  }
  unsigned char* der = nullptr;
  const int size = i2d_PKCS7(p7.get(), &der);
  if (size <= 0 || der == nullptr) return refuse("the PKCS #7 structure cannot be written again as DER");
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> owned(der, [](unsigned char* p) { OPENSSL_free(p); });
  if (!mime::der_strings(std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size)), out.text)) return refuse("the PKCS #7 structure nests too deeply to read");
  out.readable = true;
  return out;
}

SignatureText read_pgp_signature(std::string_view text) {
  static constexpr std::string_view kBegin = "-----BEGIN PGP SIGNATURE-----", kEnd = "-----END PGP SIGNATURE-----";
  std::vector<std::string_view> lines;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    lines.push_back(line);
    at = end + 1;
  }
  std::size_t i = 0;
  while (i < lines.size() && lines[i].empty()) ++i;
  if (i == lines.size() || lines[i] != kBegin) return unreadable("not an OpenPGP signature armour (-----BEGIN PGP SIGNATURE-----)");
  SignatureText s;
  // Armour headers (Version:, Comment: …) up to the blank line: text anyone can write.
  for (++i; i < lines.size() && !lines[i].empty(); ++i) {
    if (lines[i] == kEnd || lines[i].find(": ") == std::string_view::npos) return unreadable("the armour's headers are broken");
    s.text.append(lines[i]).push_back('\n');
  }
  std::string base64;
  bool ended = false;
  for (++i; i < lines.size(); ++i) {
    if (lines[i] == kEnd) {
      ended = true;
      break;
    }
    const auto base64_char = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'; };
    // The checksum (RFC 4880 6.2) is one line, "=" and 4 base64 characters, directly before the
    // END line; any other "=…" line is data like the rest, and "=1234" lines elsewhere would
    // otherwise be a place to write what is never read.
    const bool checksum = lines[i].size() == 5 && lines[i][0] == '=' && std::all_of(lines[i].begin() + 1, lines[i].end(), base64_char) &&
                          i + 1 < lines.size() && lines[i + 1] == kEnd;
    if (checksum) continue;
    for (const char c : lines[i]) {
      if (!base64_char(c) && c != '=') return unreadable("the armour holds something other than base64");
    }
    base64.append(lines[i]);
  }
  if (!ended) return unreadable("the armour does not end (-----END PGP SIGNATURE-----)");
  // Padding ends the data: an "=" before its last two characters hides what follows it from a
  // decoder that stops there.
  if (const std::size_t pad = base64.find('='); pad != std::string::npos && (base64.size() - pad > 2 || base64.find_first_not_of('=', pad) != std::string::npos)) {
    return unreadable("the armour's base64 has \"=\" inside its data, not only as padding at its end");
  }
  for (++i; i < lines.size(); ++i) {
    if (!lines[i].empty()) return unreadable("text follows the armour");
  }
  const std::string packets = from_base64(base64);
  if (packets.empty()) return unreadable("the armour holds no packet");
  for (std::size_t at = 0; at < packets.size();) {
    int tag = 0;
    std::string_view body;
    if (!next_packet(packets, at, tag, body)) return unreadable("an OpenPGP packet is broken");
    // A signature packet only: a literal data or compressed packet is a message of its own.
    if (tag != 2) return unreadable("the armour holds an OpenPGP packet that is not a signature (tag " + std::to_string(tag) + ")");
    // Its subpackets carry text (a notation, the signer's user ID, a policy URI): the packet is
    // read as text; its binary numbers (key ids, the signature's values) do not spell 12 digits.
    s.text.append(body).push_back('\n');
  }
  s.readable = true;
  return s;
}

}  // namespace sanso::mail::internal
