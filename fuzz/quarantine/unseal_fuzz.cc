// libFuzzer target: a sealed blob read back from disk or the database may be damaged in any way.
// Unsealing must fail with an error (never crash, never return bytes that do not match the
// address); whatever it does return must seal and unseal again to itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "quarantine/internal/sealed_blob.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sanso::quarantine::internal;
  static const SealKey key = [] {
    SealKey k;
    for (std::size_t i = 0; i < k.bytes.size(); ++i) k.bytes[i] = static_cast<std::uint8_t>(i * 7 + 1);
    return k;
  }();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string address = sha256_hex(bytes.substr(0, 16));
  auto opened = unseal(key, bytes, address);
  if (opened && sha256_hex(*opened) != address) __builtin_trap();
  // A valid blob of the input, damaged at one position chosen by the input, must never open.
  std::string sealed = seal(key, bytes, sha256_hex(bytes));
  if (size > 0) {
    std::size_t at = data[0] % sealed.size();
    sealed[at] = static_cast<char>(sealed[at] ^ 0x01);
    if (unseal(key, sealed, sha256_hex(bytes))) __builtin_trap();
  }
  return 0;
}
