// Text CSS hides from the reader is left out of the converted text (and counted), whatever way it
// is hidden; text the reader does see stays. And markup that multiplies itself when laid out as
// text is cut at a size limit instead of growing without bound.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mime/html_text.h"

namespace sanso::mime {
namespace {

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

struct HiddenCase {
  const char* how;
  std::string html;  // contains LURE where it is hidden
};

TEST(HtmlStyle, TextHiddenByCssIsDroppedAndCounted) {
  const std::vector<HiddenCase> cases = {
      {"font-size 0", R"h(<span style="font-size:0">LURE</span>)h"},
      {"font-size 0px", R"h(<span style="font-size: 0px">LURE</span>)h"},
      {"font-size 0pt !important, upper case", R"h(<span style="FONT-SIZE : 0PT !IMPORTANT">LURE</span>)h"},
      {"font-size 0em", R"h(<span style="font-size:0em">LURE</span>)h"},
      {"font-size 1px", R"h(<span style="font-size:1px">LURE</span>)h"},
      {"font shorthand", R"h(<span style="font:0/0 a">LURE</span>)h"},
      {"font-size inherited", R"h(<div style="font-size:0"><p><b>LURE</b></p></div>)h"},
      {"font-size relative to a small parent", R"h(<div style="font-size:10px"><span style="font-size:10%">LURE</span></div>)h"},
      {"white on white", R"h(<span style="color:#fff">LURE</span>)h"},
      {"#ffffff", R"h(<span style="color:#FFFFFF">LURE</span>)h"},
      {"rgb()", R"h(<span style="color: rgb(255, 255, 255)">LURE</span>)h"},
      {"named", R"h(<span style="color:White">LURE</span>)h"},
      {"hsl()", R"h(<span style="color:hsl(0, 0%, 100%)">LURE</span>)h"},
      {"nearly white", R"h(<span style="color:#fdfdfd">LURE</span>)h"},
      {"<font color>", R"h(<font color="#ffffff">LURE</font>)h"},
      {"<font color> legacy hex", R"h(<font color="ffffff">LURE</font>)h"},
      {"colour of an ancestor's backdrop", R"h(<div style="background:#123456 no-repeat"><p><span style="color:#123456">LURE</span></p></div>)h"},
      {"bgcolor attribute", R"h(<table bgcolor="navy"><tr><td><font color="#000080">LURE</font></td></tr></table>)h"},
      {"transparent", R"h(<span style="color:transparent">LURE</span>)h"},
      {"rgba alpha 0", R"h(<span style="color:rgba(0,0,0,0)">LURE</span>)h"},
      {"opacity 0", R"h(<div style="opacity:0"><p>LURE</p></div>)h"},
      {"opacity 0%", R"h(<div style="opacity: 0%">LURE</div>)h"},
      {"visibility hidden", R"h(<div style="visibility:hidden">LURE</div>)h"},
      {"display none, comment inside", R"h(<div style="display:/* x */none">LURE</div>)h"},
      {"display none, escaped", R"h(<div style="displ\61y:none">LURE</div>)h"},
      {"class in a style block", R"h(<style>.h{display:none}</style><p class="h">LURE</p>)h"},
      {"class, other case", R"h(<style>.Hide { DISPLAY: NONE }</style><p class="x hide">LURE</p>)h"},
      {"id in a style block", R"h(<style>#lure{display:none}</style><p id="lure">LURE</p>)h"},
      {"tag in a style block", R"h(<style>s{display:none}</style><s>LURE</s>)h"},
      {"tag.class", R"h(<style>p.h{display:none}</style><p class="h">LURE</p>)h"},
      {"descendant", R"h(<style>.wrap span{display:none}</style><div class="wrap"><p><span>LURE</span></p></div>)h"},
      {"child and sibling", R"h(<style>div>i+b{display:none}</style><div><i>x</i><b>LURE</b></div>)h"},
      {"in @media", R"h(<style>@media screen and (min-width:0){.h{display:none}}</style><p class="h">LURE</p>)h"},
      {"in a wide-screen @media", R"h(<style>@media (min-width: 481px), print {.h{display:none}}</style><p class="h">LURE</p>)h"},
      {"!important beats inline", R"h(<style>.h{display:none!important}</style><p class="h" style="display:block">LURE</p>)h"},
      {"white by class", R"h(<style>.w{color:#fff}</style><p class="w">LURE</p>)h"},
      {"attribute present", R"h(<style>[data-x]{display:none}</style><p data-x>LURE</p>)h"},
      {"attribute value", R"h(<style>span[title="a b" i]{font-size:0}</style><span title="A B">LURE</span>)h"},
      {"attribute word", R"h(<style>[class~=zz]{color:#fff}</style><span class="a zz">LURE</span>)h"},
      {"nth-child", R"h(<style>li:nth-child(2n){display:none}</style><ul><li>x</li><li>LURE</li></ul>)h"},
      {"first-child", R"h(<style>b:first-child{display:none}</style><div><b>LURE</b><i>x</i></div>)h"},
      {":not", R"h(<style>span:not(.keep){visibility:hidden}</style><span class="x">LURE</span>)h"},
      {"mso-hide", R"h(<div style="mso-hide:all">LURE</div>)h"},
      {"off-screen left", R"h(<div style="position:absolute;left:-9999px">LURE</div>)h"},
      {"off-screen top", R"h(<div style="position:fixed; top:-5000px">LURE</div>)h"},
      {"text-indent", R"h(<div style="text-indent:-9999px">LURE</div>)h"},
      {"max-height 0", R"h(<div style="max-height:0;overflow:hidden">LURE</div>)h"},
      {"height 0", R"h(<div style="height:0px; overflow: hidden">LURE</div>)h"},
      {"width 1px", R"h(<div style="width:1px;height:1px;overflow:hidden">LURE</div>)h"},
      {"hidden attribute", R"h(<div hidden>LURE</div>)h"},
      {"scale 0", R"h(<div style="transform:scale(0)">LURE</div>)h"},
      {"in a table cell", R"h(<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td style="font-size:0">LURE</td></tr></table>)h"},
      {"in a link label", R"h(<a href="https://example.com/">go<span style="display:none">LURE</span></a>)h"},
      {"in pre", R"h(<pre>code<span style="color:#fff">LURE</span></pre>)h"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.how);
    HtmlText t = html_to_text("<p>Visible start</p>" + c.html + "<p>Visible end</p>");
    EXPECT_FALSE(contains(t.text, "LURE")) << t.text;
    EXPECT_TRUE(contains(t.text, "Visible start")) << t.text;
    EXPECT_TRUE(contains(t.text, "Visible end")) << t.text;
    EXPECT_GE(t.hidden, 1u);
    EXPECT_FALSE(t.hidden_because.empty());
  }
}

TEST(HtmlStyle, TextTheReaderSeesStays) {
  const std::vector<HiddenCase> cases = {
      {"grey text", R"h(<p style="color:#777">SEEN</p>)h"},
      {"small but legible", R"h(<p style="font-size:9px">SEEN</p>)h"},
      {"white on navy", R"h(<p style="color:white;background-color:#003">SEEN</p>)h"},
      {"white on a bgcolor", R"h(<table bgcolor="#000000"><tr><td><font color="#ffffff">SEEN</font></td></tr></table>)h"},
      {"white on an image", R"h(<div style="background:url(hero.png) #fff"><span style="color:#fff">SEEN</span></div>)h"},
      {"height 0 overflowing", R"h(<div style="height:0">SEEN</div>)h"},
      {"visible inside hidden", R"h(<div style="visibility:hidden"><span style="visibility:visible">SEEN</span></div>)h"},
      {"font-size back up", R"h(<div style="font-size:0"><span style="font-size:14px">SEEN</span></div>)h"},
      {"inline beats the sheet", R"h(<style>.h{display:none}</style><p class="h" style="display:block">SEEN</p>)h"},
      {"the hidden attribute undone by CSS", R"h(<div hidden style="display:block">SEEN</div>)h"},
      {"print-only rule", R"h(<style>@media print{.h{display:none}}</style><p class="h">SEEN</p>)h"},
      {"print-only sheet", R"h(<style media="print">.h{display:none}</style><p class="h">SEEN</p>)h"},
      {"dark-mode rule", R"h(<style>@media (prefers-color-scheme: dark){body{background:#000!important}}</style><p style="color:#111">SEEN</p>)h"},
      {"narrow-screen rule", R"h(<style>@media only screen and (max-width:600px){.desk{display:none!important}}</style><p class="desk">SEEN</p>)h"},
      {"negative font size is invalid", R"h(<p style="font-size:-4px">SEEN</p>)h"},
      {"a selector it does not evaluate", R"h(<style>p:hover{display:none}</style><p>SEEN</p>)h"},
      {"nth-child elsewhere", R"h(<style>li:nth-child(2n){display:none}</style><ul><li>SEEN</li><li><img src=x></li><li>SEEN too</li></ul>)h"},
      {":not excluding it", R"h(<style>span:not(.keep){visibility:hidden}</style><span class="keep">SEEN</span>)h"},
      {"attribute not there", R"h(<style>[data-x]{display:none}</style><p data-y>SEEN</p>)h"},
      {"small offset", R"h(<div style="position:relative;left:-20px">SEEN</div>)h"},
      {"other class", R"h(<style>.h{display:none}</style><p class="hx">SEEN</p>)h"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.how);
    HtmlText t = html_to_text(c.html);
    EXPECT_TRUE(contains(t.text, "SEEN")) << t.text;
    EXPECT_EQ(t.hidden, 0u);
  }
  // A hidden element without text (a tracking pixel, a spacer) is no hidden text.
  EXPECT_EQ(html_to_text(R"h(<p>x</p><div style="display:none"> </div><img style="display:none" src="p.gif">)h").hidden, 0u);
}

TEST(HtmlStyle, HostileStylesheetsEndInTime) {
  // Many rules with long descendant chains against a deep tree: matching is bounded.
  std::string css = "<style>";
  for (int i = 0; i < 5000; ++i) css += "span div div div div div div div q, ";
  css += "q{display:none}</style>";
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "<div>";
  deep += "<q>LURE</q>text";
  HtmlText t = html_to_text(css + deep);
  EXPECT_TRUE(contains(t.text, "text"));
  // A block left open at the end still applies, as in browsers.
  EXPECT_FALSE(contains(html_to_text("<style>.a{color:#fff</style><p class=a>LURE</p>").text, "LURE"));
  // Unterminated comments, strings and blocks.
  for (const char* junk : {"<style>/* .a{display:none}", "<style>.a{content:\"}", "<style>}}}{{{", "<style>\\"}) {
    EXPECT_TRUE(contains(html_to_text(std::string(junk) + "</style><p class=a>SEEN</p>").text, "SEEN")) << junk;
  }
}

TEST(HtmlTextLimit, AWideTableCannotMultiplyTheText) {
  // One row of wide cells sets 64 column widths; every later one-cell row was padded to all of
  // them: 39 MB of text from 70 KB.
  std::string html = "<table><tr>";
  for (int i = 0; i < 64; ++i) html += "<td>" + std::string(200, 'w') + "</td>";
  html += "</tr>";
  for (int i = 0; i < 3000; ++i) html += "<tr><td>a</td></tr>";
  html += "</table>";
  HtmlText t = html_to_text(html);
  EXPECT_TRUE(t.size_limited);
  EXPECT_LE(t.text.size(), (std::size_t{1} << 20) + 4 * html.size() + 512);
  EXPECT_TRUE(contains(t.text, "ここで打ち切りました")) << t.text.substr(t.text.size() - 300);
  HtmlTextOptions en;
  en.lang = "en";
  EXPECT_TRUE(contains(html_to_text(html, en).text, "cut off here"));
}

TEST(HtmlTextLimit, HugeColspansAreNotMaterialised) {
  // 40 000 cells of colspan 1000 (glibc-sized counts once became 50 empty columns each).
  std::string html = "<table><tr><td>head</td><td>h2</td></tr><tr>";
  for (int i = 0; i < 40000; ++i) html += "<td colspan=99999999999999999999>c</td>";
  html += "</tr></table>";
  HtmlText t = html_to_text(html);
  EXPECT_LE(t.text.size(), html.size());
  EXPECT_TRUE(contains(t.text, "head"));
  EXPECT_TRUE(contains(t.text, "c"));
  // Ordinary spans still align.
  EXPECT_EQ(html_to_text("<table><tr><td colspan=2>ab</td><td>c</td></tr><tr><td>1</td><td>2</td><td>3</td></tr></table>").text,
            "ab |   | c\n1  | 2 | 3\n");
}

TEST(HtmlTextLimit, DeepQuotesCannotMultiplyTheText) {
  // Each <br> inside 250 quotes repeats "> " 250 times.
  std::string html;
  for (int i = 0; i < 250; ++i) html += "<blockquote>";
  for (int i = 0; i < 20000; ++i) html += "x<br>";
  HtmlText t = html_to_text(html);
  EXPECT_TRUE(t.size_limited);
  EXPECT_LE(t.text.size(), (std::size_t{1} << 20) + 4 * html.size() + 512);
}

}  // namespace
}  // namespace sanso::mime
