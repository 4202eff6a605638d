// 個人番号 and 法人番号: check digits per the statutes, found in running Japanese text however they
// are written, never reported in full.
#include "mail/identifiers.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/text.h"
#include "mail/outbound.h"
#include "support/binhex.h"

namespace sanso::mail {
namespace {

TEST(Identifiers, CheckDigitsFollowTheStatutes) {
  // Computed by the formula of 番号法施行令 8条 (P(n)·Q(n), mod 11).
  for (const char* valid : {"123456789018", "987654321093", "111111111118", "202104015559"}) EXPECT_TRUE(is_individual_number(valid)) << valid;
  for (const char* invalid : {"000000000000", "123456789017", "123456789019", "98765432109", "1234567890180", "12345678901a"}) EXPECT_FALSE(is_individual_number(invalid)) << invalid;
  // 国税庁's own 法人番号, published.
  EXPECT_TRUE(is_corporate_number("7000012050002"));
  EXPECT_FALSE(is_corporate_number("6000012050002"));
  EXPECT_FALSE(is_corporate_number("700001205000"));
}

TEST(Identifiers, FoundInTextInEveryUsualSpellingAndMasked) {
  auto m = find_identification_numbers("山田様の個人番号は 1234 5678 9018 です。法人番号：7000012050002");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].kind, NumberKind::kIndividual);
  EXPECT_EQ(m[0].masked, "********9018");
  EXPECT_EQ(m[1].kind, NumberKind::kCorporate);
  EXPECT_EQ(m[1].masked, "*********0002");
  EXPECT_EQ(find_identification_numbers("番号 1234-5678-9018").size(), 1u);
  EXPECT_EQ(find_identification_numbers("番号１２３４５６７８９０１８").size(), 1u) << "full-width digits";
  EXPECT_EQ(find_identification_numbers("注文 123456789017 件").size(), 0u) << "wrong check digit";
  EXPECT_EQ(find_identification_numbers("口座 91234567890181 番").size(), 0u) << "part of a longer number";
  EXPECT_EQ(find_identification_numbers("電話 0966-63-1111").size(), 0u);
  EXPECT_TRUE(find_identification_numbers("").empty());
}

// Kanji numerals written digit by digit (vertical text, a hand-copied form) are a number as the
// digits are, and masked alike; an amount written with 十/百/千, a year in kanji and words that begin
// with a numeral (一覧, 一人) are none.
TEST(Identifiers, KanjiNumeralsWrittenDigitByDigitAreRead) {
  for (const char* written : {"個人番号 一二三四五六七八九〇一八", "一二三四 五六七八 九〇一八", "一二三四－五六七八－九〇一八", "一二三四五六七八九零一八"}) {
    const auto found = find_identification_numbers(written);
    ASSERT_EQ(found.size(), 1u) << written;
    EXPECT_EQ(found[0].masked, "********9018") << written;
  }
  EXPECT_EQ(find_identification_numbers("法人番号 七〇〇〇〇一二〇五〇〇〇二").size(), 1u);
  for (const char* ordinary : {"金一億二千三百四十五万円", "二〇二六年一二月七日", "一覧の一人目", "一二三四五六七八九〇一七"}) {
    EXPECT_TRUE(find_identification_numbers(ordinary).empty()) << ordinary;
  }
  const std::string masked = mask_identification_numbers("番号 一二三四五六七八九〇一八 です");
  EXPECT_EQ(masked.find("一二三四五六七八"), std::string::npos) << masked;
}

// Issue #17 (4): the separators people and tools write between the groups — '_', '.', the
// full-width and Japanese dashes (－ ー ‐ ―), full-width digits — find the number as a hyphen does;
// a number written as one inside a longer run of groups is found too. Dates, addresses, phone
// numbers, amounts and times written with the same separators are no finding.
TEST(Identifiers, EverySeparatorBetweenTheGroupsIsReadButOrdinaryNumbersAreNot) {
  for (const char* written : {"1234_5678_9018", "1234.5678.9018", "1234－5678－9018", "1234ー5678ー9018", "1234‐5678‐9018", "1234―5678―9018",
                              "１２３４－５６７８－９０１８", "１２３４ー５６７８ー９０１８", "山田_1234_5678_9018.csv", "2026_123456789018.csv",
                              "No.1 1234.5678.9018", "1234 5678 9018 5"}) {
    const auto m = find_identification_numbers(written);
    ASSERT_EQ(m.size(), 1u) << written;
    EXPECT_EQ(m[0].masked, "********9018") << written;
  }
  // The spaces and dashes of Japanese text: the full-width space (any grouping, like a space), the
  // no-break space and a tab; −, – and — in the 4-4-4 shape.
  for (const char* written : {"1234\u30005678\u30009018", "12\u3000345678\u30009018", "1234\u00A05678\u00A09018", "1234\t5678\t9018",
                              "1234\u22125678\u22129018", "1234\u20135678\u20139018", "1234\u20145678\u20149018"}) {
    const auto m = find_identification_numbers(written);
    ASSERT_EQ(m.size(), 1u) << written;
    EXPECT_EQ(m[0].masked, "********9018") << written;
  }
  EXPECT_EQ(mask_identification_numbers("山田_1234_5678_9018.csv"), "山田_********9018.csv");
  EXPECT_EQ(mask_identification_numbers("番号 1234ー5678ー9018 です"), "番号 ********9018 です");
  const auto corporate = find_identification_numbers("法人番号 7.0000.1205.0002");
  ASSERT_EQ(corporate.size(), 1u);
  EXPECT_EQ(corporate[0].kind, NumberKind::kCorporate);
  for (const char* ordinary : {"2026.12.06", "2026_12_06 10.30.00", "192.168.100.120", "10.20.3.4 192.168.111.143", "1.234.567.890.180 円",
                               "0966-63-1111", "0966_63_1111", "v1.2.3.4.5.6.7.8.9.0.1.8", "1234_5678.9018", "12345_678_9018",
                               "2026ー12ー06", "1234ー5678ー9017"}) {
    EXPECT_TRUE(find_identification_numbers(ordinary).empty()) << ordinary;
  }
}

// Issue #17: a file's name or an archive member's path names a place in a record or a notice; the
// numbers in it are masked there as a finding's are, and nothing else in the name changes.
TEST(Identifiers, NumbersInANameAreMaskedAsFindingsAre) {
  EXPECT_EQ(mask_identification_numbers("山田_123456789018.csv"), "山田_********9018.csv");
  EXPECT_EQ(mask_identification_numbers("a.zip/1234-5678-9018.txt"), "a.zip/********9018.txt");
  EXPECT_EQ(mask_identification_numbers("法人7000012050002と１２３４５６７８９０１８"), "法人*********0002と********9018") << "full-width digits";
  EXPECT_EQ(mask_identification_numbers("注文123456789017.csv"), "注文123456789017.csv") << "a wrong check digit is no number";
  EXPECT_EQ(mask_identification_numbers("口座 91234567890181"), "口座 91234567890181") << "part of a longer number";
  EXPECT_EQ(mask_identification_numbers(""), "");
  const std::string once = mask_identification_numbers("123456789018/123456789018 x");
  EXPECT_EQ(once, "********9018/********9018 x");
  EXPECT_EQ(mask_identification_numbers(once), once) << "masking twice changes nothing";
}

// Issue #17: a report kept beside an item (the engine's findings, a mail's plan) is JSON: its
// strings are the sender's text and are masked; its numbers (sizes, offsets, times the program
// wrote) and its shape are not.
TEST(Identifiers, AReportsStringsAreMaskedAndItsNumbersAndShapeKept) {
  const std::string report = R"({"verdict":"blocked","output_size":123456789018,"findings":[{"location":"a.zip/山田_123456789018.csv"}],"7000012050002":"x"})";
  EXPECT_EQ(mask_identification_numbers_in_json(report),
            R"({"verdict":"blocked","output_size":123456789018,"findings":[{"location":"a.zip/山田_********9018.csv"}],"*********0002":"x"})");
  EXPECT_EQ(mask_identification_numbers_in_json("not json 123456789018"), "not json ********9018") << "masked as text when it does not parse";
}

}  // namespace
// A run of thousands of digit groups is read in linear time: every sub-range of it was tried
// before (cubic: a few kilobytes of "1 1 1 …" in a subject held an intake thread for minutes).
// ("7 ": a "1" before 1234 5678 9018 would make a valid 法人番号 of 1-4-4-4.)
TEST(Identifiers, ALongRunOfDigitGroupsIsReadOnceNotInEverySubRange) {
  std::string groups;
  for (int i = 0; i < 20000; ++i) groups += "7 ";
  EXPECT_TRUE(find_identification_numbers(groups).empty());
  EXPECT_EQ(mask_identification_numbers(groups + "1234 5678 9018"), groups + "********9018");
  std::string dotted;
  for (int i = 0; i < 5000; ++i) dotted += "1234.";
  EXPECT_TRUE(find_identification_numbers(dotted + "1").empty());
}

}  // namespace sanso::mail

namespace sanso::mail {
namespace {

// review20b 8b: a valid number written before the real one in one run of groups hid the real one
// (its last eight digits stayed readable in every record that masked the text).
TEST(Identifiers, ANumberOverlappingAnotherValidOneIsFoundAndBothAreMasked) {
  ASSERT_TRUE(is_individual_number("201812345678"));
  const auto m = find_identification_numbers("整理番号 2018.1234.5678.9018 です");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].masked, "************9018") << "one mask for the two: apart they would show eight digits of the second";
  EXPECT_EQ(m[1].masked, "************9018");
  EXPECT_EQ(mask_identification_numbers("整理番号 2018.1234.5678.9018 です"), "整理番号 ************9018 です");
  // Apart, each keeps its own mask.
  EXPECT_EQ(mask_identification_numbers("1234 5678 9018 と 2018 1234 5678"), "********9018 と ********5678");
}

}  // namespace
}  // namespace sanso::mail

namespace sanso::mail {
namespace {

// review21a: the spellings a reader sees as a number — invisible characters between the digits,
// the other hyphens and dashes, separators of more than one character, mixed ones in the 4-4-4
// shape, a grouping of loose separators other than 4-4-4 — are found; what is not a number's shape
// still is not.
TEST(Identifiers, NumbersSpelledWithInvisibleCharactersAndOtherSeparatorsAreFound) {
  for (const std::string written : {"1234\u200B5678\u200B9018", "1234\u00AD5678\u00AD9018", "12\u200C3456\u200D789018", "123456\uFEFF789018",
                                    "1234\u20605678\u20609018", "1234\u20115678\u20119018", "1234\u20125678\u20129018", "1234\uFE635678\uFE639018",
                                    "1234\uFF705678\uFF709018", "1234\u25005678\u25009018", "1234\u30FB5678\u30FB9018", "1234/5678/9018",
                                    "1234,5678,9018", "1234\uFF0E5678\uFF0E9018", "1234 - 5678 - 9018", "1234  5678  9018", "1234-\u200B5678-9018"}) {
    const auto m = find_identification_numbers(written);
    ASSERT_EQ(m.size(), 1u) << written;
    EXPECT_EQ(m[0].masked, "********9018") << written;
    EXPECT_EQ(mask_identification_numbers("x " + written + " y"), "x ********9018 y") << written;
  }
  EXPECT_EQ(mask_identification_numbers("No.5 12345678 9018"), "No.5 ********9018") << "12 digits in another grouping, split by spaces";
  for (const std::string ordinary : {"2026/12/06", "1,234,567", "192.168.100.120", "1234\n5678\n9018", "12.34.56.78.90.18", "1234.5678-9018"}) {
    EXPECT_TRUE(find_identification_numbers(ordinary).empty()) << ordinary;
  }
  // A run of millions of groups is read in constant memory and linear time (it once kept a string
  // a group).
  std::string groups;
  for (int i = 0; i < 500000; ++i) groups += "1\u200B ";
  EXPECT_TRUE(find_identification_numbers(groups).empty());
}

// A number in RFC 2047 encoded-words has no digit in the bytes, and a mail reader shows it decoded
// (issue #17: a kept report's Subject " =?UTF-8?B?55Wq5Y+3IDEy…?=" stored "番号 123456789018"): the
// decoded text comes back masked — in B and Q, split across words, one word inside another.
TEST(Identifiers, NumbersInEncodedWordsAreMaskedAsAReaderShowsThem) {
  EXPECT_EQ(mask_identification_numbers(" =?UTF-8?B?55Wq5Y+3IDEyMzQ1Njc4OTAxOA==?="), " 番号 ********9018") << "the text around the words kept";
  EXPECT_EQ(mask_identification_numbers("=?utf-8?q?No=2E_=31=32=33=34=35=36=37=38=39=30=31=38?="), "No. ********9018");
  EXPECT_EQ(mask_identification_numbers("=?UTF-8?B?MTIzNDU2?= =?UTF-8?B?Nzg5MDE4?="), "********9018") << "one number in two words";
  EXPECT_EQ(mask_identification_numbers("=?UTF-8?B?PT9VVEYtOD9CPzU1V3E1WSszSURFeU16UTFOamM0T1RBeE9BPT0/PQ==?="), "番号 ********9018") << "a word in a word";
  EXPECT_EQ(mask_identification_numbers("7000012050002 =?UTF-8?B?MTIzNDU2Nzg5MDE4?="), "*********0002 ********9018");
  // Words that hide no number stay as written: an address or a name keeps its form.
  EXPECT_EQ(mask_identification_numbers("=?UTF-8?B?44GT44KT44Gr44Gh44Gv?= <a@example.jp>"), "=?UTF-8?B?44GT44KT44Gr44Gh44Gv?= <a@example.jp>");
  EXPECT_EQ(mask_identification_numbers_in_json(R"({"headers":[["Subject"," =?UTF-8?B?55Wq5Y+3IDEyMzQ1Njc4OTAxOA==?="]]})"), R"({"headers":[["Subject"," 番号 ********9018"]]})");
}

// A number written in another digit form: `digits` (ASCII) with each digit d written as the code
// point zero + d (or one + d - 1 for a form without a zero, whose numbers must not hold a 0).
std::string written_in(std::string_view digits, char32_t zero, char32_t one = 0) {
  std::string out;
  for (char c : digits) {
    const char32_t cp = one != 0 ? one + static_cast<char32_t>(c - '1') : zero + static_cast<char32_t>(c - '0');
    append_utf8(out, cp);
  }
  return out;
}

// Issue #17 H4: a number in another digit form (𝟏𝟐𝟑, ١٢٣, ०१२, ¹²³, ₁₂₃, ①②③, ⑴, ⒈, ❶, ➀) is seen by
// a reader as the number it is, and was found in none of them: it is found and masked as its ASCII
// twin is, in every form and mixed. Ordinary text with such glyphs ("①会議室", "x²") is no number.
TEST(Identifiers, ANumberInAnyUnicodeDigitFormIsFoundAndMasked) {
  struct Form {
    const char* what;
    char32_t zero, one;
  };
  const Form with_zero[] = {
      {"mathematical bold 𝟎", 0x1D7CE, 0},  {"mathematical double-struck 𝟘", 0x1D7D8, 0}, {"mathematical sans-serif 𝟢", 0x1D7E2, 0},
      {"mathematical sans bold 𝟬", 0x1D7EC, 0}, {"mathematical monospace 𝟶", 0x1D7F6, 0}, {"Arabic-Indic ٠", 0x0660, 0},
      {"extended Arabic-Indic ۰", 0x06F0, 0},   {"Devanagari ०", 0x0966, 0},                 {"Bengali ০", 0x09E6, 0},
      {"Thai ๐", 0x0E50, 0},                     {"Tibetan ༠", 0x0F20, 0},                    {"Myanmar ၀", 0x1040, 0},
      {"Khmer ០", 0x17E0, 0},                    {"Mongolian ᠐", 0x1810, 0},                  {"subscript ₀", 0x2080, 0},
      {"Adlam 𞥐", 0x1E950, 0},                   {"segmented 🯰", 0x1FBF0, 0},                {"digit comma 🄁", 0x1F101, 0},
  };
  for (const auto& form : with_zero) {
    const std::string number = written_in("123456789018", form.zero);
    const auto found = find_identification_numbers("番号 " + number + " です");
    ASSERT_EQ(found.size(), 1u) << form.what;
    EXPECT_EQ(found[0].masked, "********9018") << form.what;
    EXPECT_EQ(mask_identification_numbers("番号 " + number + " です"), "番号 ********9018 です") << form.what;
    EXPECT_EQ(mask_identification_numbers(written_in("1234", form.zero) + "-" + written_in("5678", form.zero) + "-" + written_in("9018", form.zero)),
              "********9018")
        << form.what << ": in groups";
    EXPECT_TRUE(find_identification_numbers(written_in("123456789017", form.zero)).empty()) << form.what << ": a wrong check digit";
  }
  // Forms without a zero of their own (or with it elsewhere): 123456789123 is valid and has none.
  const Form without_zero[] = {
      {"circled ①", 0, 0x2460},           {"parenthesized ⑴", 0, 0x2474},        {"full stop ⒈", 0, 0x2488},
      {"double circled ⓵", 0, 0x24F5},    {"negative circled ❶", 0, 0x2776},     {"circled sans-serif ➀", 0, 0x2780},
      {"negative circled sans ➊", 0, 0x278A}, {"Ethiopic ፩", 0, 0x1369},          {"superscript ⁴ (¹²³ apart)", 0, 0},
  };
  ASSERT_TRUE(is_individual_number("123456789123"));
  for (const auto& form : without_zero) {
    std::string number;
    if (form.one != 0) {
      number = written_in("123456789123", 0, form.one);
    } else {
      number = "¹²³⁴⁵⁶⁷⁸⁹¹²³";  // U+00B9, U+00B2, U+00B3 in Latin-1; ⁴–⁹ at U+2074
    }
    const auto found = find_identification_numbers("No." + number);
    ASSERT_EQ(found.size(), 1u) << form.what;
    EXPECT_EQ(found[0].masked, "********9123") << form.what;
  }
  EXPECT_EQ(find_identification_numbers("⓪①②③④⑤⑥⑦⑧⑨⓪①⑧").size(), 0u) << "13 glyphs: no 12-digit number";
  EXPECT_EQ(mask_identification_numbers("x ⓪①②③④⑤⑥⑦⑧⑨⓪①⑧ y"), "x ⓪①②③④⑤⑥⑦⑧⑨⓪①⑧ y");
  // Mixed forms in one number, as a document pasted together from several sources has them.
  for (const std::string mixed : {"𝟏𝟐𝟑𝟒 ٥٦٧٨ ९०१८", "1２𝟑٤۵६৭๘⁹₀①⑧", "一二三四５６７８9０１８", "①②③④-⑤⑥⑦⑧-⑨⓪①⑧"}) {
    const auto found = find_identification_numbers(mixed);
    ASSERT_EQ(found.size(), 1u) << mixed;
    EXPECT_EQ(found[0].masked, "********9018") << mixed;
  }
  EXPECT_EQ(find_identification_numbers("法人番号 " + written_in("7000012050002", 0x0660)).size(), 1u) << "a 法人番号 in Arabic-Indic digits";
  // ⑩–⑳ are two digits in one glyph: not read as digits (documented in identification_numbers.h).
  EXPECT_TRUE(find_identification_numbers("⑫③④⑤⑥⑦⑧⑨⓪①⑧").empty());
  // Ordinary text with such glyphs is no number.
  for (const std::string ordinary : {"①会議室で ②資料を配布", "x² + y² = z³", "H₂O と CO₂", "第①回 ❶ ➀ ⑴ ⒈", "٢٠٢٦年 ١٢月", "x²³⁴⁵⁶⁷⁸⁹¹²³ の式"}) {
    EXPECT_TRUE(find_identification_numbers(ordinary).empty()) << ordinary;
  }
  // Bytes that only look like a digit's are none: a cut 4-byte sequence, an overlong form of '1'.
  EXPECT_TRUE(find_identification_numbers(std::string("\xF0\x9D\x9F\x8F", 3) + "23456789018").empty());
  EXPECT_TRUE(find_identification_numbers("\xC0\xB1" "23456789018").empty());
}

// Issue #17 H1/H2/H4 through the outgoing check itself: a number in mathematical digits in the
// body, in Arabic-Indic digits in the subject, and in superscripts inside a nameless BinHex file
// whose data starts on the line after its ':' — each is a finding where it stands.
TEST(Identifiers, TheOutgoingCheckFindsNumbersInEveryDigitFormAndInNamelessBinHex) {
  const std::string file = sanso::testing::binhex("", "氏名,番号\r\n山田,¹²³⁴⁵⁶⁷⁸⁹¹²³\r\n", "", false, 0);
  std::string lines;
  for (std::size_t at = 1; at < file.size(); at += 64) lines += file.substr(at, 64) + "\r\n";
  const std::string raw = "From: tanaka@city.minamata.lg.jp\r\nTo: p@example.com\r\nSubject: =?UTF-8?B?" +
                          std::string("2aHZotmj2aTZpdmm2afZqNmp2aDZodmo") +  // ١٢٣٤٥٦٧٨٩٠١٨
                          "?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n番号 " + written_in("123456789018", 0x1D7CE) +
                          " です\r\n以下のとおり:\r\n" + lines + "以上\r\n";
  const OutboundScan scan = scan_outbound(raw, {"1", "2", "3"});
  ASSERT_TRUE(scan.error.empty()) << scan.error;
  std::vector<std::string> where;
  for (const auto& f : scan.identifiers) where.push_back(f.where + " " + f.masked);
  EXPECT_NE(std::find(where.begin(), where.end(), "subject ********9018"), where.end()) << ::testing::PrintToString(where);
  EXPECT_NE(std::find(where.begin(), where.end(), "body ********9018"), where.end()) << ::testing::PrintToString(where);
  EXPECT_NE(std::find(where.begin(), where.end(), "body/(binhex) ********9123"), where.end()) << ::testing::PrintToString(where);
  EXPECT_TRUE(scan.unchecked.empty()) << scan.unchecked.front().where << ": " << scan.unchecked.front().why;
}

}  // namespace
}  // namespace sanso::mail
