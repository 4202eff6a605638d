// The SMTP client against a real SMTP server (Postfix's smtp-sink).
#include "mail/smtp_client.h"

#include <gtest/gtest.h>

#include "support/smtp_sink.h"
#include "support/test_store.h"

namespace sanso::mail {
namespace {

TEST(SmtpClient, DeliversBytesAndEnvelopeToARealServer) {
  auto dir = std::filesystem::temp_directory_path() / ("sanso-sink-" + sanso::testing::random_hex(4));
  sanso::testing::SmtpSink sink(dir);
  ASSERT_TRUE(sink.accepting()) << "smtp-sink did not start (is postfix installed?)";
  std::string message = "Subject: =?ISO-2022-JP?B?GyRCJCIbKEI=?=\nX-Test: 1\n\n.leading dot\r\nsecond line\n..two dots";
  auto reply = send_mail({sink.relay(), "sanso.test"}, {"sender@example.com", {"a@city.lg.jp", "b@city.lg.jp"}}, message);
  ASSERT_TRUE(reply) << reply.error().to_string();
  EXPECT_EQ(reply->substr(0, 3), "250");
  auto got = sink.messages(1);
  ASSERT_EQ(got.size(), 1u);
  const std::string& m = got[0];
  EXPECT_NE(m.find("X-Mail-Args: <sender@example.com>"), std::string::npos) << m;
  EXPECT_NE(m.find("X-Rcpt-Args: <a@city.lg.jp>"), std::string::npos);
  EXPECT_NE(m.find("X-Rcpt-Args: <b@city.lg.jp>"), std::string::npos);
  EXPECT_NE(m.find("X-Helo-Args: sanso.test"), std::string::npos);
  // Dot-stuffing is undone by the server: the lines arrive as written.
  EXPECT_NE(m.find("\n.leading dot\n"), std::string::npos) << m;
  EXPECT_NE(m.find("\n..two dots"), std::string::npos) << m;
  EXPECT_NE(m.find("Subject: =?ISO-2022-JP?B?GyRCJCIbKEI=?="), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(SmtpClient, NoServerIsATemporaryFailure) {
  auto r = send_mail({"127.0.0.1:" + std::to_string(sanso::testing::free_tcp_port()), "x"}, {"a@b", {"c@d"}}, "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "smtp.unavailable");
}

TEST(SmtpClient, RefusesHeaderInjectionInAddresses) {
  auto r = send_mail({"127.0.0.1:1", "x"}, {"a@b", {"c@d>\r\nRCPT TO:<evil@x"}}, "x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, "smtp.input");
  EXPECT_FALSE(send_mail({"127.0.0.1:1", "x"}, {"a@b", {}}, "x"));
  EXPECT_EQ(send_mail({"nocolon", "x"}, {"a@b", {"c@d"}}, "x").error().code, "smtp.config");
}

}  // namespace
}  // namespace sanso::mail
