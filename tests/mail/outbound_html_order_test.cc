// The outgoing check of HTML whose digits a reader sees in another order than the markup's, or
// that its style adds (review30 H2): such a body is not read as shown, so it is held as not
// checked; right-to-left text without digits, and ordinary styled mail, are not.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mail/outbound.h"

namespace sanso::mail {
namespace {

const std::vector<std::string> kLevels = {"1", "2", "3C", "3B", "3A"};

std::string html_mail(const std::string& html) {
  return "From: tanaka@city.minamata.lg.jp\r\nTo: p@example.com\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=UTF-8\r\n"
         "Content-Transfer-Encoding: 8bit\r\n\r\n" +
         html + "\r\n";
}

std::string described(const OutboundScan& s) {
  std::string out = "error=" + s.error + "; ids:";
  for (const auto& f : s.identifiers) out += " [" + f.masked + " @ " + f.where + "]";
  out += "; unchecked:";
  for (const auto& f : s.unchecked) out += " [" + f.where + ": " + f.why + "]";
  return out;
}

// 123456789018 is a valid 個人番号; each page below shows it, written otherwise (810987654321 backwards,
// its groups reversed, a group added by the style), which no reading of the markup finds.
TEST(OutboundHtmlOrder, DigitsShownReversedReorderedOrAddedAreNotChecked) {
  for (const std::string html : {
           "<html><body><p>番号 <bdo dir=\"rtl\">810987654321</bdo></p></body></html>",
           "<html><body><p>番号 <span style=\"unicode-bidi:bidi-override;direction:rtl\">810987654321</span></p></body></html>",
           "<html><body><p>番号 <span style=\"unicode-bidi: isolate-override; direction: rtl\">810987654321</span></p></body></html>",
           "<html><head><style>.m::after{content:\"5678\"}</style></head><body><p>1234<span class=\"m\"></span>9018</p></body></html>",
           "<html><head><style>.m:before { content: \"\\35 678\" }</style></head><body><p>1234<span class=\"m\"></span>9018</p></body></html>",
           "<html><body><div style=\"display:flex;flex-direction:row-reverse\"><span>9018</span><span>5678</span><span>1234</span></div></body></html>",
           "<html><head><style>.a{order:3}.c{order:1}</style></head><body><div style=\"display:flex\"><span class=a>1234</span><span>5678</span>"
           "<span class=c>9018</span></div></body></html>",
           "<html><body><p dir=\"rtl\">9018 5678 1234</p></body></html>",
       }) {
    const auto s = scan_outbound(html_mail(html), kLevels);
    ASSERT_EQ(s.unchecked.size(), 1u) << html << ": " << described(s);
    EXPECT_TRUE(s.unchecked[0].why.starts_with("unsupported: the HTML's")) << described(s);
  }
}

TEST(OutboundHtmlOrder, RightToLeftTextWithoutDigitsAndOrdinaryStylesAreRead) {
  for (const std::string html : {
           "<html><body><p>お問い合わせ 096-123-4567</p><p dir=\"rtl\">مرحبا بكم في مدينة ميناماتا</p></body></html>",
           "<html><head><style>td{border:1px solid #ccc;padding:4px}.r{float:right;text-align:right}blockquote::before{content:\"\"}</style></head>"
           "<body><table><tr><td class=r>2026年12月7日</td></tr></table><div style=\"display:flex;flex-direction:column\"><span>会議室 3</span></div></body></html>",
       }) {
    const auto s = scan_outbound(html_mail(html), kLevels);
    EXPECT_TRUE(s.unchecked.empty()) << html << ": " << described(s);
    EXPECT_TRUE(s.error.empty()) << described(s);
  }
}

// A browser decodes CSS escapes in property names and values (CSS Syntax §4.3.7) before it
// matches them: "direction:\72 tl" is direction:rtl. Each is read so, and a comment between the
// parts of a declaration changes nothing.
TEST(OutboundHtmlOrder, CssEscapesAndCommentsDoNotHideTheOrder) {
  for (const std::string style : {
           "unicode-bidi:bidi-\\6f verride;direction:\\72 tl",
           "\\75nicode-bidi:bidi-override;\\64 irection: rtl",
           "unicode-bidi:bidi-overrid\\65;\\000044IRECTION:RTL",
           "unicode-bidi:bidi-\\6f verride;direction/**/:/**/r\\tl",
       }) {
    const std::string html = "<html><body><p>番号 <span style=\"" + style + "\">810987654321</span></p></body></html>";
    const auto s = scan_outbound(html_mail(html), kLevels);
    ASSERT_EQ(s.unchecked.size(), 1u) << html << ": " << described(s);
    EXPECT_TRUE(s.unchecked[0].why.starts_with("unsupported: the HTML's")) << described(s);
  }
  // In a style sheet too, and a generated content whose property name is escaped.
  for (const std::string sheet : {".r{unicode-bidi:bidi-\\6f verride}.r{dir/**/ection:\\72tl}", ".m::after{\\63 ontent:'5678'}"}) {
    const std::string html = "<html><head><style>" + sheet + "</style></head><body><p>1234<span class=\"m r\">810987654321</span>9018</p></body></html>";
    const auto s = scan_outbound(html_mail(html), kLevels);
    ASSERT_EQ(s.unchecked.size(), 1u) << html << ": " << described(s);
  }
  // An escape that decodes to nothing of the kind names nothing.
  const auto plain = scan_outbound(html_mail("<html><head><style>.q{font-family:\"\\30 c2\";color:\\72 ed}</style></head><body><p>会議室 3</p></body></html>"), kLevels);
  EXPECT_TRUE(plain.unchecked.empty()) << described(plain);
}

}  // namespace
}  // namespace sanso::mail
