// Notices Sanso writes: whatever a person typed reaches the body only, and an address that could
// add a recipient or a header is refused rather than written.
#include "mime/notice_mail.h"

#include <gtest/gtest.h>

namespace sanso::mime {
namespace {

NoticeMail notice() {
  NoticeMail n;
  n.from_name = "Sanso ファイル受け渡し";
  n.from = "postmaster";
  n.to = {"kato@city.example.lg.jp"};
  n.subject = "【ファイル受け渡し】ファイルが届いています";
  n.body = "加藤 様\n届いています。\n";
  n.headers = {{"X-Sanso-Transfer", "t0123"}};
  n.date = 1796500000;
  n.node = "sanso01.city.local";
  return n;
}

std::string header_of(const std::string& message) { return message.substr(0, message.find("\r\n\r\n")); }

TEST(NoticeMail, FixedHeadersEncodedSubjectAndABase64Body) {
  auto c = compose_notice(notice());
  ASSERT_TRUE(c) << c.error().to_string();
  const std::string head = header_of(c->message);
  EXPECT_NE(head.find("To: <kato@city.example.lg.jp>\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("Subject: =?"), std::string::npos) << "non-ASCII subjects are RFC 2047 words: " << head;
  EXPECT_NE(head.find("Date: " + mail_date(1796500000)), std::string::npos);
  EXPECT_NE(head.find("Message-ID: " + c->message_id), std::string::npos);
  EXPECT_TRUE(c->message_id.ends_with("@sanso01.city.local>")) << c->message_id;
  EXPECT_NE(head.find("X-Sanso-Transfer: t0123\r\n"), std::string::npos);
  EXPECT_NE(head.find("Content-Transfer-Encoding: base64"), std::string::npos);
  EXPECT_EQ(c->message.find("加藤"), std::string::npos) << "the body travels as base64";
  EXPECT_EQ(mail_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
}

TEST(NoticeMail, NothingTypedCanAddAHeaderOrARecipient) {
  NoticeMail n = notice();
  n.subject = "件名\r\nBcc: leak@example.com";
  n.from_name = "Sanso\r\nX-Injected: 1";
  n.node = "host\r\nX-Id: 1";
  auto c = compose_notice(n);
  ASSERT_TRUE(c) << c.error().to_string();
  const std::string head = header_of(c->message);
  EXPECT_EQ(head.find("\r\nBcc:"), std::string::npos) << head;
  EXPECT_EQ(head.find("\r\nX-Injected"), std::string::npos) << head;
  EXPECT_EQ(head.find("\r\nX-Id"), std::string::npos) << head;

  for (const std::string bad : {"kato", "a@b, c@d", "Kato <kato@x>", "kato@x\r\nBcc: y@z", "", "kato@x y"}) {
    n = notice();
    n.to = {bad};
    auto refused = compose_notice(n);
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().code, "notice.address");
  }
  n = notice();
  n.to.clear();
  EXPECT_FALSE(compose_notice(n)) << "a notice needs someone to go to";
  for (const std::string bad : {"post master", "a@b@c", "x\r\nBcc: y@z", ""}) {
    n = notice();
    n.from = bad;
    EXPECT_FALSE(compose_notice(n)) << bad;
  }
  n = notice();
  n.headers = {{"X-Sanso-Transfer", "t1\r\nBcc: y@z"}};
  EXPECT_EQ(compose_notice(n).error().code, "notice.header");
  n.headers = {{"Bcc: y@z\r\nX", "v"}};
  EXPECT_EQ(compose_notice(n).error().code, "notice.header");
}

}  // namespace
}  // namespace sanso::mime
