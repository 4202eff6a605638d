// core/identification_numbers: the digit reader every number finder and the log share — the
// generated table of Unicode digit forms read whole, and bytes that are not a digit never read as one.
// (The finder's spellings and check digits are tested through mail/identifiers.)
#include "core/identification_numbers.h"

#include <gtest/gtest.h>

#include <iterator>
#include <string>
#include <utility>

#include "core/internal/unicode_digits.h"
#include "core/text.h"

namespace {

using sanso::numbers::digit_at;

int digit_of(char32_t cp, std::size_t* length = nullptr) {
  std::string s;
  sanso::append_utf8(s, cp);
  std::size_t len = 0;
  const int d = digit_at(s, 0, len);
  EXPECT_EQ(len, d < 0 ? 0 : s.size()) << std::hex << static_cast<unsigned>(cp);
  if (length != nullptr) *length = len;
  return d;
}

// The generated table is sorted, its ranges apart and each value a single digit; every code point
// in it reads as its digit, and the ones just outside it (when not in the next range) read as none.
TEST(DigitAt, EveryCodePointOfTheGeneratedTableIsItsDigit) {
  const auto& table = sanso::numbers::internal::kUnicodeDigits;
  char32_t after = 0x7F;
  for (const auto& r : table) {
    ASSERT_GT(r.first, after) << std::hex << r.first;
    ASSERT_LE(r.first, r.last);
    ASSERT_LE(r.value + (r.last - r.first), 9u) << std::hex << r.first;
    for (char32_t cp = r.first; cp <= r.last; ++cp) EXPECT_EQ(digit_of(cp), static_cast<int>(r.value + (cp - r.first))) << std::hex << static_cast<unsigned>(cp);
    after = r.last;
  }
  EXPECT_GT(std::size(table), 80u) << "every Nd block of Unicode 14 and the compatibility digits";
}

TEST(DigitAt, TheFormsTheIssueNamesAreDigitsAndTwoDigitGlyphsAreNot) {
  const std::pair<char32_t, int> digits[] = {
      {U'7', 7},      {U'７', 7},      {U'𝟕', 7},      {U'𝟳', 7}, {U'٧', 7}, {U'۷', 7}, {U'७', 7}, {U'⁷', 7}, {U'₇', 7}, {U'¹', 1}, {U'²', 2},
      {U'³', 3},      {U'⁰', 0},       {U'⑦', 7},      {U'⓪', 0}, {U'⑺', 7}, {U'⒎', 7}, {U'❼', 7}, {U'➆', 7}, {U'⓿', 0}, {U'七', 7}, {U'〇', 0},
      {U'零', 0},     {U'🄇', 6},      {U'\U0001FBF7', 7},
  };
  for (const auto& [cp, value] : digits) EXPECT_EQ(digit_of(cp), value) << std::hex << static_cast<unsigned>(cp);
  // ⑩–⑳, ⑽, ⒑, ❿: a value of two digits in one glyph. 十, 百: an amount's. Letters and punctuation.
  for (char32_t cp : {U'⑩', U'⑳', U'⑽', U'⒑', U'❿', U'➉', U'十', U'百', U'Ⅶ', U'x', U'a', U'：', U'½'}) {
    EXPECT_EQ(digit_of(cp), -1) << std::hex << static_cast<unsigned>(cp);
  }
}

// Bytes that are not well-formed UTF-8 are no digit, whatever code point they would spell: an
// overlong '7', a cut sequence, a lone continuation byte, a surrogate, past the end.
TEST(DigitAt, MalformedBytesAreNoDigit) {
  for (const std::string& bytes : {std::string("\xC0\xB7"), std::string("\xE0\x80\xB7"), std::string("\xF0\x9D\x9F"), std::string("\x9F\x95"),
                                  std::string("\xED\xA0\x80"), std::string("\xEF\xBC"), std::string("\xF8\x88\x80\x80\x80")}) {
    std::size_t len = 7;
    EXPECT_EQ(digit_at(bytes, 0, len), -1);
    EXPECT_EQ(len, 0u);
  }
  std::size_t len = 7;
  EXPECT_EQ(digit_at("12", 2, len), -1);
  EXPECT_EQ(len, 0u);
  EXPECT_EQ(digit_at("x\xF0\x9D\x9F\x95", 1, len), 7);  // 𝟕 after a letter, at its own offset
  EXPECT_EQ(len, 4u);
}

}  // namespace
