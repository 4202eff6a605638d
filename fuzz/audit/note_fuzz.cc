// libFuzzer target: what an auditor hands to `sanso audit verify --checkpoint` or `consistency`
// is untrusted text. Signed-note, checkpoint and key parsing must return errors, never crash; a
// note Sanso signs itself must open to exactly its text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "audit/note.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sanso::audit;
  static const SigningKey key = *parse_signing_key("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz");
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)open_note(text, key.verifier);
  (void)parse_checkpoint(text);
  (void)parse_verifier_key(text);
  (void)parse_signing_key(text);
  if (!text.empty() && text.back() == '\n' && text.find("\n\n") == std::string_view::npos) {
    auto note = sign_note(key, text);
    if (!note) __builtin_trap();
    auto opened = open_note(*note, key.verifier);
    if (!opened || *opened != text) __builtin_trap();
  }
  return 0;
}
