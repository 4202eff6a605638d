// Japanese-first text decoding for mail: every byte becomes UTF-8 text or a counted U+FFFD,
// never silently dropped and never mis-decoded because a label lies.
//
// ISO-2022-JP is decoded as its Microsoft superset CP50220/50221: JIS X 0208 with the NEC special
// characters (①–⑳, Ⅰ–Ⅹ, ㈱, ㍻ …) and the NEC-selected IBM extensions (髙 …), half-width
// katakana by `ESC ( I`, by SO/SI and as raw 8-bit bytes, and JIS X 0212 by `ESC $ ( D`.
// Shift_JIS is decoded as CP932 and EUC-JP as eucJP-ms. A body labelled ISO-2022-JP that carries
// 8-bit Shift_JIS or UTF-8 (common), or a Shift_JIS label on UTF-8 text, is detected and decoded
// as what it is, and the report says so.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace sanso::mime {

struct DecodedText {
  std::string utf8;
  std::string label;      // the charset as labelled, lower-case ("" when unlabelled)
  std::string decoded_as; // what the bytes were decoded as: "iso-2022-jp", "cp932", "euc-jp-ms", "utf-8", …
  std::size_t replaced = 0;  // undecodable bytes, each now one U+FFFD
  bool mislabelled = false;  // the label was present but wrong
  bool unknown_charset = false;  // no converter knows the label: decoded as if unlabelled
};

// Loads every converter glibc's gconv configuration lists (about 270 charsets, a few hundred ms)
// and the Japanese tables, once per process, and keeps them loaded: afterwards decoding any
// charset glibc knows needs no file access. Call it in the parent before forking sandboxed
// children, which then inherit the loaded converters at no cost. Returns how many charsets
// have a converter.
std::size_t preload_charsets();

// preload_charsets(), then this thread's converters for the common charsets (call in the sandboxed
// child before its filter).
void prepare_charsets();

// Canonical name of a charset label ("Shift_JIS", "x-sjis", "windows-31j" → "cp932"; "csISO2022JP"
// → "iso-2022-jp"; …), lower-case; unknown labels come back lower-cased as they are.
std::string canonical_charset(std::string_view label);

// The charset a Windows code page number declares (TNEF's PR_INTERNET_CPID, an Office file's
// CODEPAGE): 932 → "cp932", 1251 → "windows-1251", 950 → "cp950", 65001 → "utf-8", … as a label
// decode_text reads; "" for a number it does not know (the caller reads the bytes as if
// unlabelled, and as windows-1252, the code page Windows falls back on).
std::string charset_for_code_page(std::uint32_t code_page);

// Guesses a Japanese (or UTF-8) encoding from the bytes alone: "us-ascii", "iso-2022-jp",
// "utf-8", "cp932", "euc-jp-ms"; "" when the bytes fit none.
std::string detect_japanese(std::string_view bytes);

// Decodes `bytes` labelled `label` (may be empty) to UTF-8.
DecodedText decode_text(std::string_view bytes, std::string_view label);

// Unlabelled bytes as the outgoing check reads them: decode_text's reading, and when that was
// ISO-2022-JP, the bytes without their escape sequences as well — an editor that does not switch
// shows "ESC $ B 123456789018" as the digits, which the JIS reading turns into kanji.
std::string text_for_checks(std::string_view bytes);

// Encodes UTF-8 text as ISO-2022-JP (CP50220: half-width katakana become full-width, NEC and IBM
// extension characters kept) for mail clients that need it. Characters with no JIS code become
// 〓 (U+3013, the geta mark) and are counted in `unmappable`.
std::string encode_iso2022jp(std::string_view utf8, std::size_t* unmappable = nullptr);

}  // namespace sanso::mime
