#include "mime/charset.h"
#include "core/text.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "support/files.h"

namespace sanso::mime {
namespace {

namespace fs = std::filesystem;
const fs::path kFilters = fs::path(SANSO_SHARED_DIR) / "corpora/mail/gmime-filters";

using sanso::testing::read_file;

const std::string kEsc = "\x1B";
std::string jis(const std::string& pairs) { return kEsc + "$B" + pairs + kEsc + "(B"; }

// review21b (15): a declared Windows code page names a charset decode_text reads — Big5's
// full-width digits read by cp950 are digits — and an unknown one names none.
TEST(Charset, WindowsCodePagesNameTheirCharsets) {
  EXPECT_EQ(charset_for_code_page(932), "cp932");
  EXPECT_EQ(charset_for_code_page(1251), "windows-1251");
  EXPECT_EQ(charset_for_code_page(28595), "iso-8859-5");
  EXPECT_EQ(charset_for_code_page(65001), "utf-8");
  EXPECT_EQ(charset_for_code_page(12345), "");
  const DecodedText big5 = decode_text(std::string("\xA2\xB0\xA2\xB1\xA2\xAF", 6), charset_for_code_page(950));
  EXPECT_EQ(big5.utf8, "１２０");
  EXPECT_FALSE(big5.unknown_charset);
  for (const std::uint32_t code_page : {874u, 936u, 949u, 1250u, 1258u, 1361u, 20866u, 51949u, 54936u, 50225u, 10000u, 437u}) {
    EXPECT_FALSE(decode_text("a", charset_for_code_page(code_page)).unknown_charset) << code_page;
  }
}

TEST(Charset, TheSameJapaneseTextInThreeEncodingsDecodesIdentically) {
  if (!fs::exists(kFilters)) GTEST_SKIP() << "no corpora at " << kFilters << " (../shared/corpora absent)";
  const std::string utf8 = read_file(kFilters / "japanese.utf-8.txt");
  for (const auto& [file, label] : {std::pair{"japanese.iso-2022-jp.txt", "ISO-2022-JP"}, std::pair{"japanese.shift-jis.txt", "Shift_JIS"},
                                    std::pair{"japanese.utf-8.txt", "UTF-8"}}) {
    SCOPED_TRACE(file);
    const std::string bytes = read_file(kFilters / file);
    auto labelled = decode_text(bytes, label);
    EXPECT_EQ(labelled.utf8, utf8);
    EXPECT_EQ(labelled.replaced, 0u);
    EXPECT_FALSE(labelled.mislabelled);
    auto unlabelled = decode_text(bytes, "");
    EXPECT_EQ(unlabelled.utf8, utf8) << "detected as " << unlabelled.decoded_as;
  }
}

TEST(Charset, Iso2022jpCarriesNecSpecialsAndIbmExtensions) {
  // ① ㈱ Ⅰ ㍻ are NEC row 13; 髙 is an NEC-selected IBM extension (row 92).
  auto d = decode_text("No." + jis("-!-j-5-_|b") + " end", "iso-2022-jp");
  EXPECT_EQ(d.utf8, "No.①㈱Ⅰ㍻髙 end");
  EXPECT_EQ(d.replaced, 0u);
  EXPECT_EQ(d.decoded_as, "iso-2022-jp");
  EXPECT_EQ(encode_iso2022jp("No.①㈱Ⅰ㍻髙 end"), "No." + jis("-!-j-5-_|b") + " end");
}

TEST(Charset, HalfWidthKatakanaInEveryForm) {
  // ESC ( I, SO/SI and raw 8-bit bytes all mean half-width katakana: ｶﾀｶﾅ.
  EXPECT_EQ(decode_text(kEsc + "(I6@6E" + kEsc + "(B!", "iso-2022-jp").utf8, "ｶﾀｶﾅ!");
  EXPECT_EQ(decode_text("x\x0E" "6@6E\x0Fy", "iso-2022-jp").utf8, "xｶﾀｶﾅy");
  EXPECT_EQ(decode_text(jis("F|") + "\xB6\xC0\xB6\xC5", "iso-2022-jp").utf8, "日ｶﾀｶﾅ");
  // Out: full-width, voiced marks composed (CP50220).
  EXPECT_EQ(decode_text(encode_iso2022jp("ｶﾞｷﾞﾊﾟｳﾞｱ"), "iso-2022-jp").utf8, "ガギパヴア");
}

TEST(Charset, MislabelledBodiesAreDecodedAsWhatTheyAre) {
  const std::string sjis = "\x93\xfa\x96\x7b\x8c\xea\x82\xcc\x83\x65\x83\x4c\x83\x58\x83\x67";  // 日本語のテキスト
  auto a = decode_text(sjis, "iso-2022-jp");
  EXPECT_EQ(a.utf8, "日本語のテキスト");
  EXPECT_EQ(a.decoded_as, "cp932");
  EXPECT_TRUE(a.mislabelled);
  auto b = decode_text("日本語のテキスト", "ISO-2022-JP");
  EXPECT_EQ(b.utf8, "日本語のテキスト");
  EXPECT_EQ(b.decoded_as, "utf-8");
  EXPECT_TRUE(b.mislabelled);
  auto c = decode_text("日本語のテキスト", "Shift_JIS");
  EXPECT_EQ(c.decoded_as, "utf-8");
  EXPECT_TRUE(c.mislabelled);
  const std::string euc = "\xc6\xfc\xcb\xdc\xb8\xec\xa5\xc6\xa5\xad\xa5\xb9\xa5\xc8";  // 日本語テキスト
  auto e = decode_text(euc, "shift_jis");
  EXPECT_EQ(e.utf8, "日本語テキスト");
  EXPECT_EQ(e.decoded_as, "euc-jp-ms");
  auto f = decode_text(sjis, "utf-8");
  EXPECT_EQ(f.utf8, "日本語のテキスト");
  EXPECT_TRUE(f.mislabelled);
  auto g = decode_text(jis("F|K\\"), "us-ascii");
  EXPECT_EQ(g.utf8, "日本");
  auto plain = decode_text("hello", "iso-2022-jp");
  EXPECT_FALSE(plain.mislabelled);
}

TEST(Charset, UndecodableBytesAreCountedNeverDropped) {
  // 'F|' is 日; the lone 'K' before the escape and the 8-bit '\xFF' are not characters.
  auto d = decode_text(jis("F|K") + "\xFF", "iso-2022-jp");
  EXPECT_EQ(d.replaced, 2u);
  EXPECT_EQ(d.utf8, "日\xEF\xBF\xBD\xEF\xBF\xBD");
  auto controls = decode_text(jis("F|\x01K\\"), "iso-2022-jp");  // controls pass through a two-byte mode
  EXPECT_EQ(controls.utf8, "日\x01本");
  EXPECT_EQ(controls.replaced, 0u);
  auto s = decode_text("\x93\xfa\x96", "shift_jis");  // a truncated double-byte character
  EXPECT_EQ(s.utf8, "日\xEF\xBF\xBD");
  EXPECT_EQ(s.replaced, 1u);
  auto unknown = decode_text(kEsc + "$Z" + "abc", "iso-2022-jp");
  EXPECT_EQ(unknown.replaced, 1u);
  EXPECT_EQ(unknown.utf8, "\xEF\xBF\xBD$Zabc");
}

TEST(Charset, UnmappableCharactersBecomeGetaAndAreCounted) {
  std::size_t missing = 0;
  std::string out = encode_iso2022jp("emoji 😀 and 한", &missing);
  EXPECT_EQ(missing, 2u);
  EXPECT_EQ(decode_text(out, "iso-2022-jp").utf8, "emoji 〓 and 〓");
}

TEST(Charset, LabelsAreCanonical) {
  EXPECT_EQ(canonical_charset("Shift_JIS"), "cp932");
  EXPECT_EQ(canonical_charset("\"x-sjis\""), "cp932");
  EXPECT_EQ(canonical_charset("Windows-31J"), "cp932");
  EXPECT_EQ(canonical_charset("EUC-JP"), "euc-jp-ms");
  EXPECT_EQ(canonical_charset("csISO2022JP"), "iso-2022-jp");
  EXPECT_EQ(canonical_charset("UTF8"), "utf-8");
  EXPECT_EQ(canonical_charset("KOI8-R"), "koi8-r");
}

TEST(Charset, OtherLabelledCharsetsStillDecode) {
  if (!fs::exists(kFilters)) GTEST_SKIP() << "no corpora";
  const std::string ru = read_file(kFilters / "cyrillic.utf-8.txt");
  EXPECT_EQ(decode_text(read_file(kFilters / "cyrillic.koi8-r.txt"), "koi8-r").utf8, ru);
  EXPECT_EQ(decode_text(read_file(kFilters / "cyrillic.cp1251.txt"), "windows-1251").utf8, ru);
  // Unlabelled and not Japanese: uchardet's guess.
  auto guessed = decode_text(read_file(kFilters / "cyrillic.koi8-r.txt"), "");
  EXPECT_EQ(guessed.utf8, ru) << "detected as " << guessed.decoded_as;
  auto french = decode_text(read_file(kFilters / "french-fable.cp1252.txt"), "");
  EXPECT_EQ(french.replaced, 0u) << french.decoded_as;
  EXPECT_NE(french.utf8.find("\xC3"), std::string::npos) << "accented letters decoded, as " << french.decoded_as;
  auto big5 = decode_text(read_file(kFilters / "chinese.big5.txt"), "big5");
  EXPECT_EQ(big5.replaced, 0u);
  EXPECT_FALSE(big5.mislabelled);
}

}  // namespace
}  // namespace sanso::mime

namespace sanso::mime {
namespace {

TEST(Charset, AnUnknownLabelIsReportedAndReadAsUnlabelled) {
  for (const char* label : {"x-no-such-charset", "utf-8//IGNORE", "iso-8859-1/../x", "cp932\x01"}) {
    SCOPED_TRACE(label);
    DecodedText d = decode_text("Hello \xE4\xB8\x96\xE7\x95\x8C", label);
    EXPECT_TRUE(d.unknown_charset);
    EXPECT_FALSE(d.mislabelled);
    EXPECT_EQ(d.utf8, "Hello 世界");
  }
  DecodedText known = decode_text("+ZeVnLIqe-", "UTF-7");
  EXPECT_FALSE(known.unknown_charset);
  EXPECT_EQ(known.utf8, "日本語");
}

TEST(Charset, AMangledLabelNeverYieldsInvalidUtf8) {
  // Found by fuzzing: "utf\xE3" "8" reaches glibc's permissive UTF-8 reader, which passes F4 A1 …
  // (beyond U+10FFFF) through.
  // Such a label is no charset name: unknown, and the bytes read as if unlabelled.
  DecodedText d = decode_text("ok \xF4\xA1\x82\xA9 end", "utf\xE3" "8");
  EXPECT_TRUE(is_valid_utf8(d.utf8)) << d.utf8;
  EXPECT_TRUE(d.unknown_charset);
  EXPECT_NE(d.utf8.find("ok "), std::string::npos);
  // And glibc's reader itself, reached under its own name, still never passes them.
  DecodedText utf = decode_text("ok \xF4\xA1\x82\xA9 end", "ISO-IR-193");  // glibc: UTF-8
  EXPECT_GT(utf.replaced, 0u);
  EXPECT_TRUE(is_valid_utf8(utf.utf8)) << utf.utf8;
}

}  // namespace
}  // namespace sanso::mime
