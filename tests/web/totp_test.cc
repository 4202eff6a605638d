#include "web/totp.h"

#include <gtest/gtest.h>

namespace sanso::web {
namespace {

TEST(Totp, Rfc6238Sha1Vectors) {
  // RFC 6238 appendix B (SHA-1 seed), the last six of its eight digits.
  const std::string seed = "12345678901234567890";
  EXPECT_EQ(totp_code(seed, 59 / 30), "287082");
  EXPECT_EQ(totp_code(seed, 1111111109 / 30), "081804");
  EXPECT_EQ(totp_code(seed, 1111111111 / 30), "050471");
  EXPECT_EQ(totp_code(seed, 1234567890 / 30), "005924");
  EXPECT_EQ(totp_code(seed, 2000000000 / 30), "279037");
  EXPECT_EQ(totp_code(seed, 20000000000ULL / 30), "353130");
}

TEST(Totp, Base32AsAuthenticatorAppsTakeIt) {
  // RFC 4648 §10, without padding.
  EXPECT_EQ(base32_encode(""), "");
  EXPECT_EQ(base32_encode("f"), "MY");
  EXPECT_EQ(base32_encode("foob"), "MZXW6YQ");
  EXPECT_EQ(base32_encode("foobar"), "MZXW6YTBOI");
  EXPECT_EQ(base32_decode("MZXW6YTBOI"), "foobar");
  EXPECT_EQ(base32_decode("mzxw 6ytb oi======"), "foobar");  // as people type it
  EXPECT_FALSE(base32_decode("MZXW1"));                      // 1 is not base32
  std::string secret = new_totp_secret();
  EXPECT_EQ(secret.size(), 20u);
  EXPECT_EQ(base32_decode(base32_encode(secret)), secret);
  EXPECT_NE(new_totp_secret(), secret);
}

TEST(Totp, TheUriNamesTheIssuerAndAccount) {
  std::string uri = totp_uri("Sanso 水俣市", "tanaka", "12345678901234567890");
  EXPECT_EQ(uri.rfind("otpauth://totp/Sanso%20%E6%B0%B4%E4%BF%A3%E5%B8%82:tanaka?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 0), 0u) << uri;
  EXPECT_NE(uri.find("&digits=6&period=30"), std::string::npos);
}

}  // namespace
}  // namespace sanso::web
