#include "core/text.h"

#include <gtest/gtest.h>

namespace sanso {
namespace {

TEST(DisplayWidth, CountsEastAsianWideAsTwo) {
  EXPECT_EQ(display_width("abc"), 3u);
  EXPECT_EQ(display_width("LGWAN接続系"), 5u + 6u);
  EXPECT_EQ(display_width("ｶﾅ"), 2u);  // half-width katakana are narrow
  EXPECT_EQ(display_width("①㈱"), 3u);   // ① is ambiguous (narrow here), ㈱ wide
  EXPECT_EQ(display_width(""), 0u);
}

TEST(DisplayWidth, InvalidBytesCountOneEach) { EXPECT_EQ(display_width("\xff\xfe"), 2u); }

TEST(PadToWidth, PadsByColumnsNotBytes) {
  EXPECT_EQ(pad_to_width("拒否", 6), "拒否  ");
  EXPECT_EQ(pad_to_width("toolong", 3), "toolong");
}

TEST(Utf8, RejectsMalformedSequences) {
  EXPECT_TRUE(is_valid_utf8("水俣市"));
  EXPECT_TRUE(is_valid_utf8("\xEF\xBF\xBD"));  // U+FFFD itself is fine
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));     // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80")); // surrogate
  EXPECT_FALSE(is_valid_utf8("\xE6\xB0"));     // truncated
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_TRUE(is_valid_utf8("ASCII long enough for the eight-byte path, then 水俣"));
  EXPECT_FALSE(is_valid_utf8("ASCII long enough for the eight-byte path, then \xFF"));
}

// The validator checks each sequence in line (a fast path for Japanese text); it must agree with
// utf8_sequence_length, the rule every other reader of UTF-8 here uses, on every lead byte and
// every second byte, at every place around the eight-byte ASCII path.
TEST(Utf8, ValidatorAgreesWithSequenceLengthsEverywhere) {
  auto by_sequences = [](std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
      const std::size_t n = utf8_sequence_length(s, i);
      if (n == 0) return false;
      i += n;
    }
    return true;
  };
  const unsigned char tails[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xF5, 0xFF};
  std::size_t checked = 0, disagreed = 0;
  auto check = [&](std::string_view prefix, std::string_view bytes) {
    const std::string s = std::string(prefix) + std::string(bytes) + "xyz";
    ++checked;
    if (is_valid_utf8(s) != by_sequences(s)) ++disagreed;
  };
  for (const std::string_view prefix : {"", "abcdefg", "abcdefgh"}) {
    for (unsigned b0 = 0x80; b0 <= 0xFF; ++b0) {
      for (unsigned b1 = 0; b1 <= 0xFF; ++b1) {
        const char two[] = {static_cast<char>(b0), static_cast<char>(b1)};
        check(prefix, std::string_view(two, 1));
        check(prefix, std::string_view(two, 2));
        for (const unsigned char b2 : tails) {
          const char three[] = {two[0], two[1], static_cast<char>(b2)};
          check(prefix, std::string_view(three, 3));
          if (b0 < 0xF0) continue;
          for (const unsigned char b3 : tails) {
            const char four[] = {two[0], two[1], static_cast<char>(b2), static_cast<char>(b3)};
            check(prefix, std::string_view(four, 4));
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 1000000u);
  EXPECT_EQ(disagreed, 0u);
}

TEST(Utf8, SequenceLengths) {
  const std::string_view s = "a\xC3\xA9\xE6\xB0\xB4\xF0\x9F\x98\x80\xC0\xAF\xE6\xB0";
  EXPECT_EQ(utf8_sequence_length(s, 0), 1u);   // a
  EXPECT_EQ(utf8_sequence_length(s, 1), 2u);   // é
  EXPECT_EQ(utf8_sequence_length(s, 3), 3u);   // 水
  EXPECT_EQ(utf8_sequence_length(s, 6), 4u);   // 😀
  EXPECT_EQ(utf8_sequence_length(s, 10), 0u);  // overlong
  EXPECT_EQ(utf8_sequence_length(s, 12), 0u);  // truncated at the end
}

// The one decoder display_width, visible_text and numbers::digit_at share: a code point and its
// length, or U+FFFD and 0 where the bytes are no character (overlong, cut, surrogate, past the end).
TEST(Utf8, CodePointAt) {
  const std::string_view s = "a\xC3\xA9\xE6\xB0\xB4\xF0\x9F\x98\x80\xC0\xAF\xED\xA0\x80\xE6\xB0";
  const auto at = [&](std::size_t i) { return std::pair(utf8_code_point_at(s, i).value, utf8_code_point_at(s, i).length); };
  EXPECT_EQ(at(0), std::pair(U'a', std::size_t{1}));
  EXPECT_EQ(at(1), std::pair(U'é', std::size_t{2}));
  EXPECT_EQ(at(3), std::pair(U'水', std::size_t{3}));
  EXPECT_EQ(at(6), std::pair(U'\U0001F600', std::size_t{4}));
  EXPECT_EQ(at(10), std::pair(U'\uFFFD', std::size_t{0}));  // overlong
  EXPECT_EQ(at(12), std::pair(U'\uFFFD', std::size_t{0}));  // a surrogate
  EXPECT_EQ(at(15), std::pair(U'\uFFFD', std::size_t{0}));  // cut at the end
  EXPECT_EQ(at(s.size()), std::pair(U'\uFFFD', std::size_t{0}));
}

TEST(Text, VisibleTextShowsWhatWouldHideOrReorderText) {
  // A right-to-left override makes "請求書\u202Efdp.exe" read as "請求書exe.pdf".
  EXPECT_EQ(visible_text("請求書\u202Efdp.exe"), "請求書<U+202E>fdp.exe");
  EXPECT_EQ(visible_text("a\u2066b\u2069c\u200Fd\u061Ce"), "a<U+2066>b<U+2069>c<U+200F>d<U+061C>e");
  EXPECT_EQ(visible_text("zero\u200Bwidth\uFEFF"), "zero<U+200B>width<U+FEFF>");
  EXPECT_EQ(visible_text("\x1b[31mred\r\n\t\x7f"), "<U+001B>[31mred<U+000D><U+000A><U+0009><U+007F>");
  EXPECT_EQ(visible_text("c1\u0085 line\u2028"), "c1<U+0085> line<U+2028>");
  EXPECT_EQ(visible_text("tag\U000E0041"), "tag<U+E0041>");
  EXPECT_EQ(visible_text(std::string("nul\0x", 5)), "nul<U+0000>x");
  EXPECT_EQ(visible_text("bad \xFF\xC0\xAF"), "bad <0xFF><0xC0><0xAF>");
  // Ordinary text of any script, and emoji, are untouched.
  EXPECT_EQ(visible_text("【見積】①号案件 — café 😀 مرحبا"), "【見積】①号案件 — café 😀 مرحبا");
}

TEST(Text, HumanSizeInBinaryUnits) {
  EXPECT_EQ(human_size(0), "0 B");
  EXPECT_EQ(human_size(1023), "1023 B");
  EXPECT_EQ(human_size(1024), "1.0 KiB");
  EXPECT_EQ(human_size(3 * 1024 + 512), "3.5 KiB");
  EXPECT_EQ(human_size(12u << 20), "12.0 MiB");
}

TEST(SpreadsheetFormula, LeadingOperatorsAreFormulasPlainNumbersAreNot) {
  for (const char* formula : {"=1+1", "=HYPERLINK(\"http://x\",\"y\")", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3", "\tx", "\rx", "-", "+", "＝1+1", "＠SUM(A1)", "＋cmd", "－2+3"}) {
    EXPECT_TRUE(is_spreadsheet_formula(formula)) << formula;
  }
  for (const char* text : {"", "seq", "-12.5", "+81", "1,000", "a=b", "－12", "水俣 =1"}) EXPECT_FALSE(is_spreadsheet_formula(text)) << text;
}

TEST(FileExtension, IsTheExtensionWindowsWillSee) {
  EXPECT_EQ(file_extension("a/b.DOCX"), "docx");
  EXPECT_EQ(file_extension("請求書.exe."), "exe");
  EXPECT_EQ(file_extension("x.cmd "), "cmd");
  EXPECT_EQ(file_extension("x.vbs. . "), "vbs");
  EXPECT_EQ(file_extension("x.ps1::$DATA"), "ps1");
  EXPECT_EQ(file_extension("dir\\x.exe:Zone.Identifier"), "exe");
  EXPECT_EQ(file_extension(".profile"), "");
  EXPECT_EQ(file_extension("noext"), "");
}

}  // namespace
}  // namespace sanso

TEST(Join, PutsTheSeparatorBetweenPartsAndKeepsEmptyOnesInPlace) {
  EXPECT_EQ(sanso::join({}, ", "), "");
  EXPECT_EQ(sanso::join({"tanaka"}, ", "), "tanaka");
  EXPECT_EQ(sanso::join({"a", "b", "c"}, ", "), "a, b, c");
  // An empty first part still gets its separator: the lines split back into the same parts
  // (the copies this replaced dropped it, shifting every later recipient up one line).
  EXPECT_EQ(sanso::join({"", "b"}, "\n"), "\nb");
  EXPECT_EQ(sanso::join({"a", "", "c"}, "\n"), "a\n\nc");
}
