// The text of a notice Sanso mailed (mime::compose_notice: one part, UTF-8 in base64) as an SMTP
// sink dumped it, whatever its line ends. Needs libsodium.
#pragma once

#include <sodium.h>

#include <string>
#include <string_view>

namespace sanso::testing {

inline std::string unbase64(std::string_view text) {
  std::string out(text.size(), '\0');
  std::size_t n = 0;
  const char* end = nullptr;  // stops at what follows the base64 (a dump's trailer)
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), "\r\n", &n, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return {};
  }
  out.resize(n);
  return out;
}

// The text of a one-part message whose body is base64 (a notice, the rebuilt mail).
inline std::string notice_text(std::string message) {
  std::erase(message, '\r');
  const auto body_at = message.find("\n\n");
  return body_at == std::string::npos ? "" : unbase64(message.substr(body_at + 2));
}

}  // namespace sanso::testing
