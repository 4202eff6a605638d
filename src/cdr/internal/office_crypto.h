// Password-encrypted OOXML (ECMA-376 document encryption, [MS-OFFCRYPTO] 2.3.4): a docx/xlsx/pptx
// saved "with a password to open" is an OLE2 compound file holding two streams, EncryptionInfo
// (how it was encrypted) and EncryptedPackage (the zip package, encrypted). Agile encryption
// (Office 2010 and later: an XML descriptor, a hash spun spinCount times, AES-CBC in 4096-byte
// segments) and Standard encryption (Office 2007: SHA-1 spun 50,000 times, AES-ECB) are read; RC4
// and "extensible" encryption are refused as unsupported. Not for use outside cdr; only ever run
// on untrusted bytes inside the sandbox.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sanso::cdr::internal {

// What the EncryptionInfo stream says, with every size and algorithm checked against what this
// reader supports: a value it does not support is "cdr.unsupported", a structure that does not
// hold together "cdr.malformed".
struct OfficeEncryption {
  enum class Scheme : std::uint8_t { kAgile, kStandard };
  Scheme scheme = Scheme::kAgile;
  // Agile: the package key's parameters (keyData) and the password key encryptor's.
  std::string data_hash;      // "SHA1", "SHA256", "SHA384", "SHA512"
  std::string data_salt;
  int data_block_size = 16;
  int data_key_bits = 128;
  std::string password_hash;  // the password key encryptor's hash algorithm
  std::string password_salt;
  int password_key_bits = 128;
  int password_block_size = 16;
  std::uint32_t spin_count = 0;
  std::string encrypted_verifier_input;  // Agile: encryptedVerifierHashInput; Standard: EncryptedVerifier
  std::string encrypted_verifier_hash;   // Agile: encryptedVerifierHashValue; Standard: EncryptedVerifierHash
  std::string encrypted_key;             // Agile only: encryptedKeyValue
  // Standard: AES with this many key bits, SHA-1; the verifier's salt is password_salt.
  std::uint32_t verifier_hash_size = 20;
};

// Parses an EncryptionInfo stream. The fuzz target's entry point.
Result<OfficeEncryption> parse_encryption_info(std::string_view info);

// Decrypts an EncryptedPackage stream with `password` (UTF-8; Office hashes it as UTF-16LE):
// the zip package. A password the verifier rejects is "unlock.password" (compared in constant
// time); a declared size beyond `max_bytes` is "cdr.limit"; a stream shorter than its declared
// size (truncated) is "cdr.malformed".
Result<std::string> decrypt_office_package(const OfficeEncryption& how, std::string_view package, std::string_view password,
                                           std::uint64_t max_bytes);

// OpenSSL finds its digests and ciphers (and reads its configuration) on first use: done before
// a sandbox's filter applies, where opening a file would kill the child.
void prepare_office_crypto();

}  // namespace sanso::cdr::internal
