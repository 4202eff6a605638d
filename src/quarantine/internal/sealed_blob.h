// The sealed-blob format of quarantined originals (docs/quarantine-format.md): libsodium
// secretstream (XChaCha20-Poly1305) in 64 KiB chunks, each chunk's additional data the hex
// SHA-256 of the original, so a blob is bound to its address and any flipped bit, truncation
// or swap is detected on read. Private to src/quarantine, and to src/transfer, which seals the
// rebuilt files it keeps for their recipients with the same key and format.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "core/digest.h"
#include "core/result.h"

namespace sanso::quarantine::internal {

inline constexpr std::string_view kSealedMagic = "SANSOQ1\n";
inline constexpr std::size_t kChunkSize = 64 * 1024;

struct SealKey {
  std::array<unsigned char, 32> bytes{};
};

// Reads the key, or creates it (mode 0600, durable) when the file does not exist. A key file
// that others can read, or of the wrong size, is an error.
Result<SealKey> load_or_create_key(const std::string& path);

using sanso::sha256_hex;  // core/digest.h
std::string seal(const SealKey& key, std::string_view original, std::string_view sha256);
// The original, or an error saying what failed (wrong magic, authentication, truncation).
Result<std::string> unseal(const SealKey& key, std::string_view sealed, std::string_view sha256);

}  // namespace sanso::quarantine::internal
