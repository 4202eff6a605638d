// Where a 個人番号 (My Number, 12 digits) or a 法人番号 (corporate number, 13 digits) stands in
// text, recognised only when its check digit is right. One finder for every layer: the outgoing
// check (mail/identifiers.h) holds mail on what it finds, the audit records and listings mask it,
// and the log (log.h) masks it too — a number the check can see is a number no log may carry.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sanso::numbers {

// 12 ASCII digits whose last is the check digit of the first 11 (番号法施行令 8条).
bool is_individual_number(std::string_view digits);
// 13 ASCII digits whose first is the check digit of the other 12 (法人番号の指定等に関する省令 2条).
bool is_corporate_number(std::string_view digits);

struct Span {
  std::size_t offset = 0;  // bytes in the text
  std::size_t length = 0;  // bytes the number takes there, its separators included
  std::string digits;      // its 12 or 13 digits, ASCII
};

// Every valid number in UTF-8 text, in order of its offset: contiguous digits (any form digit_at
// reads, mixed as they come), or groups split by separators — spaces and hyphens in any grouping, '_', '.', '/', ',',
// '・' and the Japanese dashes in the 4-4-4 / 1-4-4-4 shapes only, the same each time (dates,
// addresses and amounts are not of that shape) — not part of a longer run of digits; invisible characters between the
// digits are passed over. Numbers may overlap: in "2018.1234.5678.9018" both 201812345678 and
// 123456789018 are valid, and both are found. Not read: a number written with 十, 百, 千 (an
// amount's form), a number split across lines.
std::vector<Span> find(std::string_view text);

// The ASCII digits of text[offset, offset + length) (every form digit_at reads as ASCII),
// separators left out.
std::string digits_in(std::string_view text, std::size_t offset, std::size_t length);

// The digit at text[i] and its length in bytes; -1 (length 0) when none. Read as a digit: ASCII;
// every code point Unicode gives a single digit value (Numeric_Type Decimal or Digit: full-width
// ０–９, every script's decimal digits such as ٠١٢ ۰۱۲ ०१२, mathematical 𝟎–𝟿, superscripts ¹²³ and
// subscripts ₀₁, circled ①–⑨ and ⓪, ⑴, ⒈, ❶, ➀, 🄁), from the table scripts/gen-digit-table.py
// generates (core/internal/unicode_digits.h); and kanji numerals written digit by digit
// (〇一二三四五六七八九, 零). Not a digit: ⑩–⑳ and ⑽, ⒑ … (their value is two digits, one glyph; a
// number written with them is not read — a reader would not write one so), and bytes that are not
// well-formed UTF-8.
int digit_at(std::string_view text, std::size_t i, std::size_t& length);

// The length in bytes of an invisible character at text[i] that a reader does not see between two
// digits (a control, a soft hyphen, a zero-width space or joiner, a byte-order mark); 0 when none.
// Line breaks and tabs are not invisible.
std::size_t invisible_at(std::string_view text, std::size_t i);

}  // namespace sanso::numbers
