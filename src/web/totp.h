// One-time codes from an authenticator app (TOTP, RFC 6238: HMAC-SHA1, 30-second steps, six
// digits): the console's optional second factor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sanso::web {

// The six-digit code of `secret` (raw bytes) for time step `step` (Unix time / 30).
std::string totp_code(std::string_view secret, std::uint64_t step);

// A new 160-bit secret, as raw bytes.
std::string new_totp_secret();

// RFC 4648 base32 without padding, as authenticator apps take a secret; decoding ignores spaces
// and case and gives nullopt on anything else.
std::string base32_encode(std::string_view bytes);
std::optional<std::string> base32_decode(std::string_view text);

// The otpauth:// URI an authenticator app reads (from a QR code or typed in).
std::string totp_uri(std::string_view issuer, std::string_view account, std::string_view secret);

}  // namespace sanso::web
