// libFuzzer target: any bytes as an Authentication-Results value and as a whole header. The parser
// either refuses the field or returns lower-case keywords; the sender check never vouches for a
// sender unless the verifier's field is at the top and names that sender's domain.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/text.h"
#include "mail/auth_results.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sanso::mail;
  if (size > 128 * 1024) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_authentication_results(bytes);
  if (parsed) {
    if (parsed->authserv_id.empty() || parsed->authserv_id != sanso::ascii_lower(parsed->authserv_id)) __builtin_trap();
    for (const auto& r : parsed->results) {
      if (r.method.empty() || r.result.empty() || r.method != sanso::ascii_lower(r.method) || r.result != sanso::ascii_lower(r.result)) __builtin_trap();
      for (const auto& p : r.properties) {
        if (p.type.empty() || p.name.empty()) __builtin_trap();
      }
    }
  }
  // The bytes as a whole message header: whatever it says, a pass needs the verifier's own id.
  const std::string raw = std::string(bytes) + "\r\n\r\n";
  const VerifiedSender none = verified_sender(raw, "", "a@example.jp", "a@example.jp");
  if (none.dmarc_pass || none.spf_pass) __builtin_trap();
  const VerifiedSender v = verified_sender(raw, "verify.example.jp", "a@example.jp", "a@example.jp");
  if ((v.dmarc_pass || v.spf_pass) && sanso::ascii_lower(raw).find("verify.example.jp") == std::string::npos) {
    __builtin_trap();
  }
  if (!(v.dmarc_pass || v.spf_pass) && v.why.empty()) __builtin_trap();
  return 0;
}
