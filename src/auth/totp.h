// One-time codes from an authenticator app (TOTP, RFC 6238: HMAC-SHA1, 30-second steps, six
// digits): the second factor of the console and of the command line's decisions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sanso::auth {

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

// Seconds per step.
inline constexpr std::int64_t kTotpStep = 30;

// The step of a valid code not used yet: this step or one either side (clocks drift), after
// `last_used` (the step of the last code accepted, so that none is accepted twice).
std::optional<std::int64_t> unused_totp_step(std::string_view secret, std::string_view code, std::int64_t now, std::int64_t last_used);

}  // namespace sanso::auth
