// C2SP signed notes with Ed25519 (https://c2sp.org/signed-note) and the tlog-checkpoint body
// (https://c2sp.org/tlog-checkpoint): the formats an auditor's own tools already read. A key is
// named (the checkpoint's origin), and identified by the first four bytes of
// SHA-256(name || 0x0A || 0x01 || public key).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "audit/merkle.h"
#include "core/result.h"

namespace sanso::audit {

struct VerifierKey {
  std::string name;
  std::uint32_t key_id = 0;
  std::array<std::uint8_t, 32> public_key{};
};

struct SigningKey {
  VerifierKey verifier;
  std::array<std::uint8_t, 32> seed{};  // the Ed25519 private key seed
};

// A fresh key pair named `name` (no spaces, no '+').
Result<SigningKey> generate_signing_key(const std::string& name);

// "PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>", the format Go's sumdb/note reads.
std::string encode_signing_key(const SigningKey& key);
Result<SigningKey> parse_signing_key(std::string_view text);

// "<name>+<hex id>+<base64(0x01 || public key)>".
std::string encode_verifier_key(const VerifierKey& key);
Result<VerifierKey> parse_verifier_key(std::string_view text);

// `text` (ending in a newline) followed by a blank line and one signature line.
Result<std::string> sign_note(const SigningKey& key, std::string_view text);
// The note's text when it carries a valid signature by `key`; otherwise an error saying why.
Result<std::string> open_note(std::string_view note, const VerifierKey& key);

// A tlog checkpoint: origin, tree size, root hash (and any extension lines, kept verbatim).
struct Checkpoint {
  std::string origin;
  std::uint64_t size = 0;
  Hash root{};
  std::string extensions;  // zero or more lines, each ending in '\n'
};
std::string format_checkpoint(const Checkpoint& c);
Result<Checkpoint> parse_checkpoint(std::string_view text);

}  // namespace sanso::audit
