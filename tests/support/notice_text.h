// The text of a notice Sanso mailed (mime::compose_notice: one part, UTF-8 in base64) as an SMTP
// sink dumped it, whatever its line ends. Needs libsodium.
#pragma once

#include <sodium.h>

#include <sstream>
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

// A message's raw text plus every run of base64 lines in it decoded (leniently: what is not of the
// alphabet is passed over), so that a token is found whether the message carries it as it is or
// encoded.
inline std::string readable_text(const std::string& eml) {
  std::string all = eml, run;
  auto flush = [&] {
    static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned value = 0;
    int bits = 0;
    for (char c : run) {
      const auto at = kAlphabet.find(c);
      if (at == std::string::npos) continue;
      value = ((value << 6) | static_cast<unsigned>(at)) & 0xffffu;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        all += static_cast<char>((value >> bits) & 0xffu);
      }
    }
    run.clear();
  };
  std::istringstream lines(eml);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const bool b64 = !line.empty() && line.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == std::string::npos;
    if (b64) {
      run += line;
    } else {
      flush();
    }
  }
  flush();
  return all;
}

}  // namespace sanso::testing
