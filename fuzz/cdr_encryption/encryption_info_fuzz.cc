// libFuzzer target: the EncryptionInfo stream of a password-protected Office document (PPAP) is
// the sender's, so anything at all. Parsing must refuse what it cannot vouch for with an error
// (never crash, never read out of bounds); what it accepts is then used to decrypt a package with
// a wrong password, which must be refused ("unlock.password") or fail cleanly — never return
// bytes. Spin counts are the file's choice too: large ones are only parsed here, not spun.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cdr/internal/office_crypto.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sanso::cdr::internal;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto how = parse_encryption_info(bytes);
  if (!how || how->spin_count > 2000) return 0;
  static const std::string package = [] {
    std::string p(8 + 4096 * 2, '\x5a');
    p[0] = '\x00';
    p[1] = '\x20';  // 8192 bytes declared
    for (int i = 2; i < 8; ++i) p[static_cast<std::size_t>(i)] = '\0';
    return p;
  }();
  auto plain = decrypt_office_package(*how, package, "not the password", 1 << 20);
  // A verifier the fuzzer forged could accept the password; then what comes out is the declared size.
  if (plain && plain->size() != 8192) __builtin_trap();
  return 0;
}
