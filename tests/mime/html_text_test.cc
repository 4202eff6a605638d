#include "mime/html_text.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "support/files.h"

#include "core/text.h"

namespace sanso::mime {
namespace {

namespace fs = std::filesystem;

using sanso::testing::read_file;

// tests/data/mime/html/<case>/{input.html, expected.txt}: the text a reader would see.
TEST(HtmlText, GoldenCases) {
  const fs::path dir = fs::path(SANSO_SOURCE_DIR) / "tests/data/mime/html";
  int cases = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    SCOPED_TRACE(entry.path().filename().string());
    EXPECT_EQ(html_to_text(read_file(entry.path() / "input.html")).text, read_file(entry.path() / "expected.txt"));
    ++cases;
  }
  EXPECT_GE(cases, 4);
}

TEST(HtmlText, CountsWhatItReplacedOrDropped) {
  auto r = html_to_text(read_file(fs::path(SANSO_SOURCE_DIR) / "tests/data/mime/html/hidden/input.html"));
  EXPECT_EQ(r.dropped, 6u);  // the head (with its script), two removed elements, iframe, object, form
  EXPECT_EQ(r.hidden, 3u);   // those two, and the text of the visibility:hidden paragraph
  EXPECT_FALSE(r.truncated);
  EXPECT_EQ(r.text.find("このリンクを開け"), std::string::npos);
  EXPECT_EQ(r.text.find("コメント"), std::string::npos);
  EXPECT_EQ(r.text.find("evil"), std::string::npos);
  auto links = html_to_text("<p><a href='https://a.example/x'>x</a> <img alt='図1'> <img src='y'></p>");
  EXPECT_EQ(links.links, 1u);
  EXPECT_EQ(links.images, 2u);
  EXPECT_EQ(links.text, "x (hxxps://a[.]example/x) [画像: 図1] [画像]\n");
}

TEST(HtmlText, DefangingAndLanguageAreOptions) {
  HtmlTextOptions plain;
  plain.defang_links = false;
  plain.lang = "en";
  EXPECT_EQ(html_to_text("<ul><li><a href='https://a.example/'>site</a></li></ul><img alt='logo'>", plain).text,
            "* site (https://a.example/)\n\n[image: logo]\n");
  EXPECT_EQ(defang_url("HTTPS://Mail.City.example.jp/path.v1?a=b.c"), "hxxps://Mail[.]City[.]example[.]jp/path.v1?a=b.c");
  EXPECT_EQ(defang_url("http://192.0.2.1:8080/"), "hxxp://192[.]0[.]2[.]1:8080/");
}

// Issue #22: every link a client would make clickable, whatever its case or scheme, UNC paths
// and bare www. hosts included; nothing else touched.
TEST(DefangLinks, EveryClickableFormIsDefangedInOnePass) {
  EXPECT_EQ(defang_links("see HTTPS://Phish.Example/login and http://a.b/c"), "see hxxps://Phish[.]Example/login and hxxp://a[.]b/c");
  EXPECT_EQ(defang_links("FTP://files.example/x ftp://y.example"), "fxp://files[.]example/x fxp://y[.]example");
  EXPECT_EQ(defang_links("smb://nas.city.lg.jp/share file:///C:/evil.exe"), "smb[:]//nas[.]city[.]lg[.]jp/share file[:]///C:/evil.exe");
  EXPECT_EQ(defang_links("mailto:boss@bank.example JavaScript:alert(1) ms-msdt:/id x"),
            "mailto[:]boss@bank[.]example JavaScript[:]alert(1) ms-msdt[:]/id x");
  EXPECT_EQ(defang_links("open \\\\evil.example\\share\\a.lnk now"), "open [\\\\]evil[.]example\\share\\a.lnk now");
  EXPECT_EQ(defang_links("Visit WWW.Bank-Login.example/path.html."), "Visit WWW[.]Bank-Login[.]example/path.html.");
  EXPECT_EQ(defang_links("日本語www.example.jp（リンク）"), "日本語www[.]example[.]jp（リンク）");
  EXPECT_EQ(defang_links("(https://a.example/x)"), "(hxxps://a[.]example/x)");
  // Not links: left as they are.
  EXPECT_EQ(defang_links("Re: 10:30 at the office. note:x a.b.c wwwx.example"), "Re: 10:30 at the office. note:x a.b.c wwwx.example");
  EXPECT_EQ(defang_links(""), "");
}

TEST(HtmlText, HostileMarkupNeverBreaksIt) {
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "<div><blockquote>";
  deep += "底";
  auto r = html_to_text(deep);
  EXPECT_TRUE(r.truncated);  // the caller holds such a message rather than lose its text
  EXPECT_TRUE(is_valid_utf8(r.text));
  EXPECT_EQ(html_to_text("").text, "\n");
  EXPECT_EQ(html_to_text("<table><tr><td colspan=99999>x</td><td>y</td></tr><tr><td>a</td></tr></table>").text.find("y") !=
                std::string::npos,
            true);
  std::string unclosed = "<p>始まり<b><i><table><tr><td>セル";
  EXPECT_NE(html_to_text(unclosed).text.find("セル"), std::string::npos);
}

}  // namespace
}  // namespace sanso::mime

namespace sanso::mime {
namespace {

// A reference ends within ten characters of its '&'; a page of '&' without a ';' (4 MiB here) is
// read once, not searched to its end from every '&' (quadratic: hours for the outgoing check).
TEST(HtmlText, CharacterReferencesAreDecodedAndAPageOfAmpersandsIsReadOnce) {
  EXPECT_EQ(decode_character_references("&#49;&#x32;3&amp;&lt;x&gt; &unknown; &#0; &#12345678901;"), "123&<x> &unknown; &#0; &#12345678901;");
  EXPECT_EQ(decode_character_references("a&amp"), "a&amp") << "no ';' within reach";
  const std::string ampersands(4u << 20, '&');
  EXPECT_EQ(decode_character_references(ampersands + "&#49;"), ampersands + "1");
}

}  // namespace
}  // namespace sanso::mime
