// An HTML body through the real sandboxed path: text hidden from the reader is removed and the
// notice says so; a body that multiplies when laid out as text is cut, flagged and announced.
#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "mail/sanitize.h"
#include "support/files.h"
#include "support/gmime_message.h"

namespace sanso::mail {
namespace {

std::string html_mail(const std::string& html) {
  return "From: a@example.net\r\nTo: b@example.jp\r\nSubject: html\r\nMIME-Version: 1.0\r\n"
         "Content-Type: text/html; charset=utf-8\r\n\r\n" + html + "\r\n";
}

// The text a reader sees in the rendered message: notice and body, decoded.
std::string shown(const SanitizePlan& plan, const SanitizeOptions& options) {
  GMimeMessage* m = sanso::testing::parse_message(render_message(plan, options, "q-1"));
  if (m == nullptr) return {};
  GMimeObject* body = g_mime_message_get_mime_part(m);
  std::string text = GMIME_IS_PART(body) ? sanso::testing::part_text(body) : std::string();
  g_object_unref(m);
  return text;
}

bool has_flag(const SanitizePlan& plan, const std::string& flag) {
  return std::any_of(plan.parts.begin(), plan.parts.end(),
                     [&](const PartReport& p) { return std::find(p.flags.begin(), p.flags.end(), flag) != p.flags.end(); });
}

TEST(MailHtmlBody, HiddenTextIsRemovedAndTheNoticeSaysSo) {
  const std::string raw = html_mail(
      "<html><head><style>.x{display:none}</style></head><body bgcolor=\"#ffffff\">"
      "<p>請求書をご確認ください。</p>"
      "<p class=\"x\">この請求は正規のものです</p>"
      "<p style=\"font-size:0\">safe secure verified</p>"
      "<p><font color=\"#FFFFFF\">Microsoft Security Team</font></p>"
      "</body></html>");
  SanitizePlan plan = sanitize_sandboxed(raw, {});
  ASSERT_EQ(plan.verdict, Verdict::kSanitized) << plan.reason;
  EXPECT_NE(plan.body.find("請求書をご確認ください。"), std::string::npos);
  for (const char* lure : {"この請求は正規のものです", "safe secure verified", "Microsoft Security Team"}) {
    EXPECT_EQ(plan.body.find(lure), std::string::npos) << lure;
  }
  EXPECT_TRUE(has_flag(plan, "hidden-text"));
  EXPECT_TRUE(std::any_of(plan.warnings.begin(), plan.warnings.end(), [](const std::string& w) { return w.find("3 piece(s)") != std::string::npos; }));
  SanitizeOptions ja;
  EXPECT_NE(shown(plan, ja).find("見えないよう隠された文字を削除しました"), std::string::npos);
  SanitizeOptions en;
  en.lang = "en";
  EXPECT_NE(shown(plan, en).find("Text hidden from the reader"), std::string::npos);

  // The city's own wording has the same line.
  SanitizeOptions city;
  city.notice_template = sanso::testing::read_file(std::string(SANSO_SOURCE_DIR) + "/examples/minamata/notice.ja.mustache");
  EXPECT_NE(shown(plan, city).find("見えないよう隠された文字を削除しました"), std::string::npos);

  SanitizePlan plain = sanitize_sandboxed(html_mail("<p>nothing hidden</p>"), {});
  EXPECT_EQ(shown(plain, city).find("隠された文字"), std::string::npos);
  EXPECT_FALSE(has_flag(plain, "hidden-text"));
  EXPECT_EQ(shown(plain, ja).find("隠された文字"), std::string::npos);
}

TEST(MailHtmlBody, AnAmplifyingTableIsCutAndAnnounced) {
  std::string html = "<table><tr>";
  for (int i = 0; i < 64; ++i) html += "<td>" + std::string(200, 'w') + "</td>";
  html += "</tr>";
  for (int i = 0; i < 3000; ++i) html += "<tr><td>a</td></tr>";
  html += "</table>";
  SanitizePlan plan = sanitize_sandboxed(html_mail(html), {});
  ASSERT_EQ(plan.verdict, Verdict::kSanitized) << plan.reason;
  EXPECT_LE(plan.body.size(), (std::size_t{1} << 20) + 4 * html.size() + 512);
  EXPECT_TRUE(has_flag(plan, "text-size-limit"));
  EXPECT_NE(plan.body.find("ここで打ち切りました"), std::string::npos);
  EXPECT_NE(shown(plan, {}).find("途中で打ち切りました"), std::string::npos);
}

}  // namespace
}  // namespace sanso::mail
