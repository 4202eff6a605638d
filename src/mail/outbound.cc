#include "mail/outbound.h"

#include <fribidi.h>
#include <gmime/gmime.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "cdr/cdr.h"
#include "core/text.h"
#include "mail/identifiers.h"
#include "mail/internal/message_text.h"
#include "mail/internal/signatures.h"
#include "mail/sanitize.h"
#include "mime/charset.h"
#include "mime/embedded.h"
#include "mime/header.h"
#include "mime/html_text.h"
#include "mime/transfer.h"
#include "sandbox/sandbox.h"

namespace sanso::mail {
namespace {

// The character at rest[at] as a level's ASCII (NFKC-folded as offices write it, upper case): '0'–'9'
// and 'A'–'Z' in ASCII and full width (３, ａ, Ａ), Roman numerals (Ⅲ, ⅲ) and circled digits (③) for
// the level's digit. Its length in bytes, 0 when it is none of them.
std::size_t level_character_at(std::string_view rest, std::size_t at, char& folded) {
  const auto byte = [&](std::size_t k) { return at + k < rest.size() ? static_cast<unsigned char>(rest[at + k]) : 0u; };
  const unsigned c = byte(0);
  if (c < 0x80 && std::isalnum(static_cast<int>(c)) != 0) {
    folded = static_cast<char>(std::toupper(static_cast<int>(c)));
    return 1;
  }
  if (c == 0xEF && byte(1) == 0xBC && byte(2) >= 0x90 && byte(2) <= 0x99) folded = static_cast<char>('0' + byte(2) - 0x90);       // ０–９
  else if (c == 0xEF && byte(1) == 0xBC && byte(2) >= 0xA1 && byte(2) <= 0xBA) folded = static_cast<char>('A' + byte(2) - 0xA1);  // Ａ–Ｚ
  else if (c == 0xEF && byte(1) == 0xBD && byte(2) >= 0x81 && byte(2) <= 0x9A) folded = static_cast<char>('A' + byte(2) - 0x81);  // ａ–ｚ
  else if (c == 0xE2 && byte(1) == 0x85 && byte(2) >= 0xA0 && byte(2) <= 0xA2) folded = static_cast<char>('1' + byte(2) - 0xA0);  // Ⅰ–Ⅲ
  else if (c == 0xE2 && byte(1) == 0x85 && byte(2) >= 0xB0 && byte(2) <= 0xB2) folded = static_cast<char>('1' + byte(2) - 0xB0);  // ⅰ–ⅲ
  else if (c == 0xE2 && byte(1) == 0x91 && byte(2) >= 0xA0 && byte(2) <= 0xA2) folded = static_cast<char>('1' + byte(2) - 0xA0);  // ①–③
  else return 0;
  return 3;
}

// One separator offices write between a level's digit and its letter (機密性3 A, 機密性３-Ａ,
// 機密性3・A): its length in bytes, 0 when there is none.
std::size_t level_separator_at(std::string_view rest, std::size_t at) {
  for (std::string_view s : {" ", "-", "\xE3\x80\x80" /* ideographic space */, "\xEF\xBC\x8D" /* － */, "\xE3\x83\xBB" /* ・ */, "\xEF\xBD\xA5" /* ･ */}) {
    if (rest.substr(at, s.size()) == s) return s.size();
  }
  return 0;
}

// The level written at the start of `rest` (what follows "機密性"): the longest of `levels` that
// it begins with, its characters folded as level_character_at() folds them (機密性３ｂ, 機密性Ⅲ), one
// separator allowed between the digit and a letter (機密性3 A), after spaces and a colon; "" when
// none. `consumed` is set to the bytes the level took.
std::string level_at(std::string_view rest, const std::vector<std::string>& levels, std::size_t& consumed) {
  std::size_t at = 0;
  auto skip = [&](std::string_view what) {
    if (rest.substr(at, what.size()) != what) return false;
    at += what.size();
    return true;
  };
  while (skip(" ") || skip(":") || skip("\xEF\xBC\x9A") /* ： */ || skip("\xE3\x80\x80") /* ideographic space */) {
  }
  std::string ascii;
  std::vector<std::size_t> ends;  // byte offset in `rest` after each folded character
  while (ascii.size() < 4 && at < rest.size()) {
    char folded = 0;
    std::size_t length = level_character_at(rest, at, folded);
    if (length == 0 && ascii.size() == 1 && std::isdigit(static_cast<unsigned char>(ascii[0])) != 0) {
      // "3 A": the separator, then a letter.
      const std::size_t separator = level_separator_at(rest, at);
      char letter = 0;
      if (separator != 0 && level_character_at(rest, at + separator, letter) != 0 && std::isalpha(static_cast<unsigned char>(letter)) != 0) {
        at += separator;
        length = level_character_at(rest, at, folded);
      }
    }
    if (length == 0) break;
    ascii.push_back(folded);
    at += length;
    ends.push_back(at);
  }
  std::string best;
  for (const auto& level : levels) {
    if (level.size() > best.size() && level.size() <= ascii.size() && ascii.compare(0, level.size(), level) == 0) best = level;
  }
  consumed = best.empty() ? 0 : ends[best.size() - 1];
  return best;
}

std::size_t rank(const std::vector<std::string>& levels, const std::string& level) {
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (levels[i] == level) return i + 1;
  }
  return 0;  // "" (unmarked) ranks below every level
}

// A mark in running text stands on its own: bracketed (【機密性2】, ［機密性３Ａ］, (機密性2)) or
// alone between spaces, tabs and line ends (a document's header line "自治体機密性３Ａ"), never a
// word inside a sentence ("機密性2以上の情報は…" describes the scheme; it marks nothing).
bool opens_mark(std::string_view before) {
  static constexpr std::string_view kMunicipal = "自治体";  // 自治体機密性３Ａ, the 2024 scheme's name
  if (before.ends_with(kMunicipal)) before.remove_suffix(kMunicipal.size());
  if (before.empty()) return true;
  for (std::string_view b : {"\n", "\r", "\t", " ", "\xE3\x80\x80", "[", "(", "<", "【", "［", "（", "〔", "＜", "「", "『", "《", "〈"}) {
    if (before.ends_with(b)) return true;
  }
  return false;
}

bool closes_mark(std::string_view after) {
  if (after.empty()) return true;
  for (std::string_view a : {"\n", "\r", "\t", " ", "\xE3\x80\x80", "]", ")", ">", "】", "］", "）", "〕", "＞", "」", "』", "》", "〉"}) {
    if (after.starts_with(a)) return true;
  }
  return false;
}

// The highest level marked in `text`. A subject is a label as a whole, so any "機密性N" in it counts;
// in a body or a file's text only marks that stand on their own do (`standalone`).
std::string marked_level(std::string_view text, const std::vector<std::string>& levels, bool standalone = false) {
  static constexpr std::string_view kMark = "機密性";
  std::string best;
  for (std::size_t at = text.find(kMark); at != std::string_view::npos; at = text.find(kMark, at + kMark.size())) {
    std::size_t consumed = 0;
    std::string level = level_at(text.substr(at + kMark.size()), levels, consumed);
    if (level.empty()) continue;
    if (standalone && !(opens_mark(text.substr(0, at)) && closes_mark(text.substr(at + kMark.size() + consumed)))) continue;
    if (rank(levels, level) > rank(levels, best)) best = level;
  }
  return best;
}

// Keeps the higher of the scan's level and `level`, and where that one was found.
void raise_classification(OutboundScan& scan, const std::vector<std::string>& levels, const std::string& level, const std::string& where) {
  if (!level.empty() && rank(levels, level) > scan.classification_rank) {
    scan.classification = level;
    scan.classification_rank = rank(levels, level);
    scan.classification_where = where;
  }
}

// RFC 3676: in a format=flowed text a line that ends in a space goes on in the next, one line in
// Thunderbird and Apple Mail ("1234 5678 ⏎9018"); with DelSp=yes that space goes too, and a line's
// first space is stuffing. Read both ways whatever the part declares — a number the joined lines
// show is one a reader may see. Empty when no line ends so.
std::string flowed_lines_joined(std::string_view text, bool delsp) {
  if (text.find(" \n") == std::string_view::npos && text.find(" \r\n") == std::string_view::npos) return {};
  std::string out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    std::size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(at, nl - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!out.empty() && out.back() != '\n' && !line.empty() && line.front() == ' ') line.remove_prefix(1);  // stuffing
    const bool soft = !line.empty() && line.back() == ' ' && line != "-- ";
    if (soft && delsp) line.remove_suffix(1);
    out.append(line);
    if (!soft && nl < text.size()) out += '\n';
    at = nl + 1;
  }
  return out;
}

// Whether a line has a letter written right to left (Hebrew, Arabic, an RLM, an embedding or
// isolate that starts right-to-left text) and at least two groups of digits: a reader may see such
// a line's digit groups in another order than they are stored ("א 9018 5678 1234" shows
// "1234 5678 9018 א").
bool may_show_digits_reordered(std::u32string_view line) {
  bool right_to_left = false;
  std::size_t groups = 0;
  bool in_digits = false;
  for (const char32_t c : line) {
    const FriBidiCharType type = fribidi_get_bidi_type(static_cast<FriBidiChar>(c));
    right_to_left = right_to_left || type == FRIBIDI_TYPE_RTL || type == FRIBIDI_TYPE_AL || type == FRIBIDI_TYPE_RLE || type == FRIBIDI_TYPE_RLO ||
                    type == FRIBIDI_TYPE_RLI;
    const bool digit = type == FRIBIDI_TYPE_EN || type == FRIBIDI_TYPE_AN;
    if (digit && !in_digits) ++groups;
    in_digits = digit;
  }
  return right_to_left && groups >= 2;
}

// The lines of `text` that may show their digit groups in another order
// (may_show_digits_reordered), each as a reader sees it — the Unicode bidi algorithm's visual
// order, by GNU FriBidi — in a paragraph that runs right to left and in one that runs left to
// right (a mail client picks either, by the first letter or by the message's direction). Each
// reading a line of its own; "" when no line is such.
std::string as_displayed_right_to_left(std::string_view text) {
  // A line longer than this is read in pieces of it that overlap by kBidiOverlap bytes: a number
  // and the letters that reorder it stand close together.
  constexpr std::size_t kBidiPiece = std::size_t{1} << 20, kBidiOverlap = 1024;
  std::string out;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::size_t next = end + 1;
    if (end - at > kBidiPiece) {
      end = at + kBidiPiece;
      next = end - kBidiOverlap;
      while (next > at && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) --next;  // on a character's first byte
    }
    const std::string_view line = text.substr(at, end - at);
    at = next;
    if (line.empty()) continue;
    // A line of ASCII alone has no letter written right to left.
    if (std::all_of(line.begin(), line.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) continue;
    // Decoded here, not by FriBidi's UTF-8 reader, which reads past a sequence cut short.
    std::u32string logical;
    for (std::size_t i = 0; i < line.size();) {
      const Utf8CodePoint c = utf8_code_point_at(line, i);
      logical += c.value;
      i += std::max<std::size_t>(c.length, 1);
    }
    if (!may_show_digits_reordered(logical)) continue;
    const auto length = static_cast<FriBidiStrIndex>(logical.size());
    for (const FriBidiParType direction : {FRIBIDI_PAR_RTL, FRIBIDI_PAR_LTR}) {
      std::u32string visual(logical.size(), U'\0');
      FriBidiParType base = direction;
      if (fribidi_log2vis(reinterpret_cast<const FriBidiChar*>(logical.data()), length, &base, reinterpret_cast<FriBidiChar*>(visual.data()), nullptr, nullptr, nullptr) == 0) {
        continue;
      }
      for (const char32_t c : visual) append_utf8(out, c);
      out += '\n';
    }
  }
  return out;
}

// The ASCII or full-width digit at line[i] as ASCII ('\0' when none), its length in bytes. Not
// numbers::digit_at's every form: a line of prose ending in 一 and the next starting with 二 would
// join.
char plain_digit_at(std::string_view line, std::size_t i, std::size_t& length) {
  length = 0;
  if (i < line.size() && line[i] >= '0' && line[i] <= '9') {
    length = 1;
    return line[i];
  }
  if (i + 2 < line.size() && line.substr(i, 2) == "\xEF\xBC" && static_cast<unsigned char>(line[i + 2]) >= 0x90 && static_cast<unsigned char>(line[i + 2]) <= 0x99) {
    length = 3;
    return static_cast<char>('0' + (static_cast<unsigned char>(line[i + 2]) - 0x90));
  }
  return '\0';
}

// review30 L2: a number a sender breaks over two lines of a plain-text body ("個人番号 1234 5678⏎
// 9018 です", "1234-5678-⏎9018"). The digit groups that end a line (a space or hyphen between
// groups, one hyphen after the last, after a space,
// a colon or a word of Japanese, never after an ASCII letter or '.', ',', '/': "No.", "v1.2",
// amounts) and the groups that begin the next one (after a quote's '>', followed by nothing or a
// space: not "12月", "10:00"), joined, one reading a line — only where the two together are 12 or
// 13 digits, so the finder sees only such a join. "" when no lines join so.
std::string digit_groups_joined_across_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  for (std::size_t at = 0; at <= text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    at = end + 1;
  }
  const auto blank = [](std::string_view l, std::size_t i) { return l[i] == ' ' || l[i] == '\t'; };
  std::string out;
  for (std::size_t n = 0; n + 1 < lines.size(); ++n) {
    // The groups that end line n, read backwards.
    std::string_view a = lines[n];
    while (!a.empty() && (a.back() == ' ' || a.back() == '\t')) a.remove_suffix(1);
    if (a.ends_with("\xE3\x80\x80")) continue;  // an ideographic space: not a number broken off
    if (a.size() >= 2 && a.back() == '-' && a[a.size() - 2] >= '0' && a[a.size() - 2] <= '9') a.remove_suffix(1);  // "1234-5678-⏎9018"
    std::vector<std::size_t> starts;  // each character's start in `a`
    for (std::size_t i = 0; i < a.size();) {
      starts.push_back(i);
      i += std::max<std::size_t>(utf8_code_point_at(a, i).length, 1);
    }
    std::string tail;
    std::size_t k = starts.size();
    while (k > 0) {
      std::size_t length = 0;
      const char d = plain_digit_at(a, starts[k - 1], length);
      if (d != '\0') {
        tail.insert(tail.begin(), d);
        --k;
        continue;
      }
      // One space or hyphen between two groups.
      const char c = a[starts[k - 1]];
      if ((c == ' ' || c == '-') && k >= 2 && plain_digit_at(a, starts[k - 2], length) != '\0' && !tail.empty()) {
        --k;
        continue;
      }
      break;
    }
    if (tail.empty() || tail.size() > 12) continue;
    if (k > 0) {
      const char before = a[starts[k - 1]];
      const bool after_a_word = static_cast<unsigned char>(before) >= 0x80 || before == ' ' || before == '\t' || before == ':';
      if (!after_a_word) continue;
    }
    // The groups that begin line n + 1, after a quote's markers.
    std::string_view b = lines[n + 1];
    std::size_t i = 0;
    while (i < b.size() && (blank(b, i) || b[i] == '>')) ++i;
    std::string head;
    while (i < b.size()) {
      std::size_t length = 0;
      if (const char d = plain_digit_at(b, i, length); d != '\0') {
        head += d;
        i += length;
        continue;
      }
      if ((b[i] == ' ' || b[i] == '-') && !head.empty() && plain_digit_at(b, i + 1, length) != '\0') {
        ++i;
        continue;
      }
      break;
    }
    if (head.empty() || (i < b.size() && !blank(b, i))) continue;
    if (tail.size() + head.size() == 12 || tail.size() + head.size() == 13) out += tail + head + "\n";
  }
  return out;
}

// The numbers in one reading of a place's text.
void add_numbers(std::vector<OutboundFinding>& out, std::string_view reading, const std::string& where) {
  for (auto& m : find_identification_numbers(reading)) out.push_back({m.kind, m.masked, where});
}

void add_matches(std::vector<OutboundFinding>& out, std::string_view text, const std::string& where) {
  add_numbers(out, text, where);
  for (const bool delsp : {false, true}) add_numbers(out, flowed_lines_joined(text, delsp), where);
  // The scan keeps one finding of a number in a place (read_outbound, scan_envelope): one found in
  // both readings is pushed twice here and kept once.
  add_numbers(out, internal::as_shown_by_overrides(text), where);
  add_numbers(out, as_displayed_right_to_left(text), where);
}

}  // namespace

namespace {

// The markup with its tags taken out, comments included: text a tag splits ("1234<b>5678</b>9018")
// joins up again, hidden or not.
std::string without_tags(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  for (std::size_t at = 0; at < html.size();) {
    if (html[at] != '<') {
      out += html[at++];
      continue;
    }
    const std::size_t close = html.find('>', at);
    if (close == std::string_view::npos) break;
    at = close + 1;
  }
  return out;
}

// The file a uuencode, uuencode-base64 or yEnc block in a text carries; nothing for BinHex, which
// mime::decode_binhex() decodes with its forks and CRCs.
std::optional<std::string> decode_embedded_file(std::string_view block, const std::string& kind) {
  // Lines as the block finder split them: LF, CRLF or a CR alone (an old Mac's text).
  std::vector<std::string_view> lines;
  for (std::size_t at = 0; at < block.size();) {
    std::size_t end = block.find_first_of("\r\n", at);
    if (end == std::string_view::npos) end = block.size();
    lines.push_back(block.substr(at, end - at));
    at = end + (block.substr(end, 2) == "\r\n" ? 2 : 1);
  }
  std::string out;
  if (kind == "uuencode") {
    for (std::size_t i = 1; i < lines.size(); ++i) {  // after the "begin 644 name" line
      const std::string_view line = lines[i];
      std::string_view word = line;
      while (!word.empty() && (word.back() == ' ' || word.back() == '\t')) word.remove_suffix(1);
      if (ascii_lower(word) == "end") break;
      if (line.empty()) continue;
      const int n = (line[0] - 0x20) & 0x3f;
      auto six = [&](std::size_t k) { return static_cast<unsigned>(k < line.size() ? (line[k] - 0x20) & 0x3f : 0); };
      int got = 0;
      for (std::size_t k = 1; got < n; k += 4) {
        const unsigned a = six(k), b = six(k + 1), c = six(k + 2), d = six(k + 3);
        const unsigned char three[3] = {static_cast<unsigned char>(a << 2 | b >> 4), static_cast<unsigned char>((b << 4 | c >> 2) & 0xff),
                                        static_cast<unsigned char>((c << 6 | d) & 0xff)};
        for (int j = 0; j < 3 && got < n; ++j, ++got) out += static_cast<char>(three[j]);
      }
    }
    return out;
  }
  if (kind == "uuencode-base64") {
    std::string text;
    for (std::size_t i = 1; i < lines.size() && lines[i] != "===="; ++i) text.append(lines[i]);
    return internal::from_base64(text);
  }
  if (kind == "yenc") {
    for (const auto line : lines) {
      if (line.starts_with("=ybegin") || line.starts_with("=ypart") || line.starts_with("=yend")) continue;
      for (std::size_t k = 0; k < line.size(); ++k) {
        if (line[k] == '=' && k + 1 < line.size()) out += static_cast<char>(static_cast<unsigned char>(line[++k]) - 64 - 42);
        else out += static_cast<char>(static_cast<unsigned char>(line[k]) - 42);
      }
    }
    return out;
  }
  return std::nullopt;
}

// The extension a part without a name is read under, from its MIME type ("" when the type names
// nothing a reader opens: the bytes alone then say what it is).
std::string extension_of_type(const std::string& type) {
  static constexpr std::pair<std::string_view, std::string_view> kExtensions[] = {
      {"application/pdf", ".pdf"},
      {"application/msword", ".doc"},
      {"application/vnd.ms-excel", ".xls"},
      {"application/vnd.ms-powerpoint", ".ppt"},
      {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"},
      {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"},
      {"application/vnd.openxmlformats-officedocument.presentationml.presentation", ".pptx"},
      {"application/vnd.oasis.opendocument.text", ".odt"},
      {"application/vnd.oasis.opendocument.spreadsheet", ".ods"},
      {"application/vnd.oasis.opendocument.presentation", ".odp"},
      {"application/rtf", ".rtf"},
      {"application/zip", ".zip"},
      {"application/x-7z-compressed", ".7z"},
      {"application/gzip", ".gz"},
      {"application/mac-binhex40", ".hqx"},
      {"application/binhex", ".hqx"},
  };
  for (const auto& [mime, extension] : kExtensions) {
    if (type == mime) return std::string(extension);
  }
  return "";
}

OutboundScan read_outbound(std::string_view raw, const std::vector<std::string>& levels, int depth);

// Signed content nested in signed content is read this deep; deeper cannot be checked.
constexpr int kMostSignedDepth = 4;

// Files written into text (uuencode, yEnc, BinHex) inside one another are read this deep.
constexpr int kMostEmbeddedDepth = 8;

// A BinHex file's forks are decoded up to this size: its runs code 255 bytes in 3, so a small
// text can ask for much.
constexpr std::uint64_t kMostBinHexBytes = std::uint64_t{64} << 20;

bool ends_with_ascii_ci(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && std::equal(suffix.begin(), suffix.end(), s.end() - static_cast<std::ptrdiff_t>(suffix.size()),
                                                 [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); });
}

// Reads one message for the outgoing check: every leaf part (plan_message with keep_leaves), each
// named where it is. `depth`: how many signed-data structures the message is inside.
class LeafScan {
 public:
  LeafScan(OutboundScan& scan, const std::vector<std::string>& levels, int depth = 0) : scan_(scan), levels_(levels), depth_(depth) {}

  // Text read as a reader reads it: marks standing on their own, numbers; files written into it
  // (uuencode, yEnc, BinHex) as files named after it ("body/numbers.csv").
  // `written`: a text/plain body or a multipart's preamble, where a line is a line its sender
  // wrote; not a file's lines, a table's as often (a CSV column of six-digit amounts would join one
  // pair in eleven into a valid number), nor an HTML page's rendering (a table's cells).
  void text(std::string_view text, const std::string& where, bool written = false) {
    raise_classification(scan_, levels_, marked_level(text, levels_, true), where);
    add_matches(scan_.identifiers, text, where);
    if (written) add_numbers(scan_.identifiers, digit_groups_joined_across_lines(text), where);
    embedded_files(text, where);
  }

  // The files written into a text — a body's, or a text file's ("notes.txt"): uuencode, yEnc and
  // BinHex decoded and read as files named after it ("notes.txt/numbers.csv"). Their encoded lines
  // say nothing of what they carry. `blocks`: the text's, when the caller has them already.
  void embedded_files(std::string_view text, const std::string& where, const std::vector<mime::EmbeddedFile>* blocks = nullptr) {
    const std::vector<mime::EmbeddedFile> found = blocks == nullptr ? mime::find_embedded_files(text) : std::vector<mime::EmbeddedFile>{};
    for (const auto& f : blocks == nullptr ? found : *blocks) {
      const std::string inner = where + "/" + (f.name.empty() ? "(" + f.kind + ")" : f.name);
      // Each level can grow what it carries (BinHex's runs): files inside files inside files are
      // read this deep, no deeper.
      if (nested_ >= kMostEmbeddedDepth) {
        scan_.unchecked.push_back({inner, "limit: files written into text nested more than " + std::to_string(kMostEmbeddedDepth) + " deep"});
        continue;
      }
      ++nested_;
      if (f.kind == "binhex") {
        // In a .hqx file (`blocks` given) a block that does not decode is the file not read.
        binhex_file(text.substr(f.data_at, f.end - f.data_at), where, blocks == nullptr ? inner : where);
      } else if (auto bytes = decode_embedded_file(text.substr(f.begin, f.end - f.begin), f.kind)) {
        file(*bytes, inner, f.name.empty() ? "" : f.name);
      } else {
        scan_.unchecked.push_back({inner, "unsupported: a " + f.kind + " block in the text is not decoded"});
      }
      --nested_;
    }
  }

  // BinHex data (from its opening ':') decoded in the sandbox as StuffIt and Python's binhex
  // decode it: its data fork is the file, read by the name its header gives ("notes.txt/a.csv"),
  // a resource fork a file beside it ("a.csv.rsrc"). A CRC that does not match or data cut short
  // cannot be read: `failed` names where (the block, or the .hqx file itself).
  void binhex_file(std::string_view data, const std::string& where, const std::string& failed) {
    auto decoded = mime::decode_binhex(data, kMostBinHexBytes);
    if (!decoded) {
      scan_.unchecked.push_back({failed, decoded.error().message});
      return;
    }
    const std::string name = decoded->name.empty() ? "(binhex)" : decoded->name;
    file(decoded->data, where + "/" + name, name);
    if (!decoded->resource.empty()) file(decoded->resource, where + "/" + name + ".rsrc", "");
  }

  // A BinHex file (.hqx, application/mac-binhex40; an archive's member named so): text only in its
  // encoding. Its text is read (marks, numbers), and the BinHex in it decoded and read as the file
  // it is ("data.hqx/a.csv"); one in which no BinHex decodes is a file the check cannot read,
  // named for itself.
  void hqx(std::string_view text, const std::string& where) {
    raise_classification(scan_, levels_, marked_level(text, levels_, true), where);
    add_matches(scan_.identifiers, text, where);
    const std::vector<mime::EmbeddedFile> blocks = mime::find_embedded_files(text);
    if (std::none_of(blocks.begin(), blocks.end(), [](const mime::EmbeddedFile& f) { return f.kind == "binhex"; })) {
      scan_.unchecked.push_back({where, "malformed: a BinHex file (.hqx) holds no BinHex data that decodes (no ':' opening a header with its CRC)"});
    }
    embedded_files(text, where, &blocks);
  }

  // HTML: the text a reader sees, and the markup itself (comments, attribute values, what CSS
  // hides, character references), all of it the part's own.
  void html(std::string_view markup, const std::string& where) {
    mime::HtmlTextOptions options;
    options.defang_links = false;
    const mime::HtmlText seen = mime::html_to_text(markup, options);
    if (seen.truncated) scan_.unchecked.push_back({where, "limit: the HTML nests deeper than its text is read"});
    // What a reader sees past the limit is not read (review30 H3: nested quotes grow the text).
    if (seen.size_limited) scan_.unchecked.push_back({where, "limit: the HTML's text is larger than its reader reads; the rest is not read"});
    text(seen.text, where);
    const std::string source = mime::decode_character_references(markup);
    raise_classification(scan_, levels_, marked_level(source, levels_, true), where);
    add_matches(scan_.identifiers, source, where);
    add_matches(scan_.identifiers, mime::decode_character_references(without_tags(markup)), where);
    // What its data: URIs hold (a text behind a link, a picture in an <img>) is a file inside it,
    // read as an HTML attachment's are (review21b: the body's were not read at all).
    for (auto& f : cdr::data_uri_files(markup)) {
      const std::string inner = where + "/" + f.name;
      if (!f.unreadable.empty()) scan_.unchecked.push_back({inner, std::move(f.unreadable)});
      else file(f.bytes, inner, "");
    }
    // Digits shown reversed, reordered or added by the style (review30 H2): not read in the order shown.
    if (std::string why = mime::html_reordering(markup); !why.empty()) scan_.unchecked.push_back({where, std::move(why)});
  }

  // A file (an attachment, an inline part, a TNEF member, a decoded block): its name's mark, then
  // every file inside it, archives recursively, each member's marks and numbers the file's own,
  // named by their path ("a.zip/b.pdf"). A PDF's page text comes from pdftotext after the scan;
  // what cannot be read at all is named, and the gateway treats it as a file that could not be checked.
  // A part without a name is read under `typing` (its place with the extension its MIME type
  // gives, "部分2.docx": the readers take the type from the extension and the bytes), its pieces
  // named after `where`.
  void file(std::string_view bytes, const std::string& where, const std::string& name, const std::string& typing = "") {
    if (!name.empty()) named(where);
    // A BinHex file (.hqx, application/mac-binhex40) is text only in its encoding: read as text,
    // its 6-bit lines would pass for read while the file inside them went unread.
    if (ends_with_ascii_ci(typing.empty() ? where : typing, ".hqx")) {
      hqx(mime::decode_text(bytes, "").utf8, where);
      return;
    }
    for (auto& piece : cdr::extract_texts(bytes, typing.empty() ? where : typing)) {
      if (!typing.empty() && piece.where.starts_with(typing)) piece.where = where + piece.where.substr(typing.size());
      if (piece.where != where) {
        raise_classification(scan_, levels_, marked_level(piece.where, levels_), piece.where);
        add_matches(scan_.identifiers, piece.where.starts_with(where) ? piece.where.substr(where.size()) : piece.where, piece.where);  // a member's path ("a.zip/123456789018.txt")
      }
      // A member named .hqx (review21b 14) is BinHex as much as an attachment named so: decoded,
      // not passed as the text of its encoding.
      if (piece.where != where && piece.unreadable.empty() && ends_with_ascii_ci(piece.where, ".hqx")) {
        hqx(piece.text, piece.where);
        continue;
      }
      const bool pages_of_pdf = piece.pdf.empty() && !piece.pdf_digest.empty();  // a PDF's "pages" piece
      if (!piece.unreadable.empty()) scan_.unchecked.push_back({piece.where, piece.unreadable, pages_of_pdf ? piece.pdf_digest : ""});
      if (!piece.pdf.empty()) scan_.pdfs.push_back({piece.where, std::move(piece.pdf), {}, piece.pdf_digest});
      if (pages_of_pdf) pages(piece);
      if (!piece.picture.empty()) scan_.pictures.push_back({piece.where, std::move(piece.picture), {}, {}, piece.drawing});
      raise_classification(scan_, levels_, marked_level(piece.text, levels_, true), piece.where);
      add_matches(scan_.identifiers, piece.text, piece.where);
      embedded_files(piece.text, piece.where);
    }
  }

  // A PDF's "pages" piece goes to its own PDF, the one of its name and bytes, read last: not to the last
  // PDF read (one written into the PDF's own text comes between), nor to an attachment of the same name.
  void pages(cdr::ExtractedText& piece) {
    const auto pdf = std::find_if(scan_.pdfs.rbegin(), scan_.pdfs.rend(),
                                  [&](const UnreadFile& f) { return f.digest == piece.pdf_digest && piece.where == f.name + "/pages"; });
    if (pdf != scan_.pdfs.rend()) {
      pdf->pages = std::move(piece.pages);
      pdf->glyph_sheets = std::move(piece.glyph_sheets);
    }
  }

  // A file with a name: an attachment, whose name is text that leaves too (山田_123456789018.csv,
  // 【機密性2】報告.docx).
  void named(const std::string& where) {
    scan_.attachments.push_back(where);
    raise_classification(scan_, levels_, marked_level(where, levels_), where);
    add_matches(scan_.identifiers, where, where);
  }

  // The detached signature of a signed mail (S/MIME, OpenPGP): the text it carries is read (a
  // certificate's names, attributes, armour headers, notations); a part of such a type that is not
  // a detached signature alone — content signed inside it, something that does not parse —
  // cannot be checked. Without this every signed mail would wait for an approver.
  void signature(std::string_view bytes, const std::string& type, const std::string& where, bool has_name) {
    if (has_name) named(where);
    const internal::SignatureText read = type == "application/pgp-signature" ? internal::read_pgp_signature(bytes) : internal::read_pkcs7_signature(bytes);
    if (!read.readable) {
      scan_.unchecked.push_back({where, read.why});
      return;
    }
    raise_classification(scan_, levels_, marked_level(read.text, levels_, true), where);
    add_matches(scan_.identifiers, read.text, where);
  }

  // Opaque S/MIME (application/pkcs7-mime with smime-type=signed-data) or a signed file (.p7m,
  // .p7s): the certificates' and signers' text as a detached signature's, and the content signed
  // inside it as what it is — a MIME entity read as a message of its own (its findings named
  // "smime.p7m/body"), a file as the file it signs ("報告.docx.p7m/報告.docx"). Encrypted
  // (enveloped-data), broken or nested too deep: cannot be checked.
  void signed_data(std::string_view bytes, const std::string& where, bool has_name, bool mime_entity) {
    if (has_name) named(where);
    if (depth_ >= kMostSignedDepth) {
      scan_.unchecked.push_back({where, "limit: signed content nested more than " + std::to_string(kMostSignedDepth) + " deep"});
      return;
    }
    const internal::SignedContent read = internal::read_pkcs7_signed_data(bytes);
    if (!read.readable) {
      scan_.unchecked.push_back({where, read.why});
      return;
    }
    raise_classification(scan_, levels_, marked_level(read.text, levels_, true), where);
    add_matches(scan_.identifiers, read.text, where);
    if (read.content.empty()) return;
    if (!mime_entity) {
      std::string inner = where.substr(where.rfind('/') + 1);
      if (ends_with_ascii_ci(inner, ".p7m") || ends_with_ascii_ci(inner, ".p7s")) inner.resize(inner.size() - 4);
      file(read.content, where + "/" + inner, inner);
      return;
    }
    OutboundScan message = read_outbound(read.content, levels_, depth_ + 1);
    const std::string prefix = where + "/";
    if (!message.error.empty()) scan_.unchecked.push_back({where, "the signed content could not be read: " + message.error});
    for (auto& f : message.identifiers) scan_.identifiers.push_back({f.kind, f.masked, prefix + f.where});
    for (auto& f : message.unchecked) scan_.unchecked.push_back({prefix + f.where, f.why, f.pdf});
    for (auto& f : message.pdfs) scan_.pdfs.push_back({prefix + f.name, std::move(f.bytes), std::move(f.pages), f.digest, false, std::move(f.glyph_sheets)});
    for (auto& f : message.pictures) scan_.pictures.push_back({prefix + f.name, std::move(f.bytes), {}, {}, f.drawing});
    for (auto& name : message.attachments) scan_.attachments.push_back(prefix + name);
    raise_classification(scan_, levels_, message.classification, prefix + message.classification_where);
  }

  void leaf(const SanitizePlan::Leaf& leaf, const PartReport& part) {
    using Kind = SanitizePlan::Leaf::Kind;
    const bool unknown_charset = std::find(part.flags.begin(), part.flags.end(), "unknown-charset") != part.flags.end();
    const std::string anonymous = leaf.prefix + "部分" + part.path + "(" + part.type + ")";
    switch (leaf.kind) {
      case Kind::kText:
      case Kind::kHtml: {
        // The body (or, for an attached message, its body) keeps its name; another rendering of it
        // (the HTML of a multipart/alternative) or a text part beside it is named for what it is.
        const bool body = part.action == PartAction::kBody || part.action == PartAction::kConverted;
        const std::string where = leaf.prefix + (body ? "body" : leaf.kind == Kind::kHtml ? "本文(HTML)" : "本文(" + part.path + ")");
        if (unknown_charset) scan_.unchecked.push_back({where, "charset: the part's charset (" + part.charset + ") is unknown, its text may be misread"});
        if (leaf.kind == Kind::kHtml) html(leaf.bytes, where);
        else text(leaf.bytes, where, true);
        return;
      }
      case Kind::kHeader: {
        const std::string where = leaf.prefix + leaf.name;
        raise_classification(scan_, levels_, marked_level(leaf.bytes, levels_), where);
        add_matches(scan_.identifiers, leaf.bytes, where);
        return;
      }
      case Kind::kField: {
        // A header field is read as text is, marks standing on their own: "X-Note: 機密性2以上は…"
        // describes, "Content-Description: 【機密性3A】" marks.
        const std::string where = leaf.prefix + leaf.name;
        raise_classification(scan_, levels_, marked_level(leaf.bytes, levels_, true), where);
        add_matches(scan_.identifiers, leaf.bytes, where);
        return;
      }
      case Kind::kOutside:
        text(leaf.bytes, leaf.prefix + leaf.name, true);  // a file uuencoded into a preamble is a file too
        return;
      case Kind::kUnreadable:
        scan_.unchecked.push_back({leaf.prefix + (leaf.name.empty() ? anonymous : leaf.name), leaf.bytes});
        return;
      case Kind::kFile:
        break;
    }
    const bool p7m_named = ends_with_ascii_ci(leaf.name, ".p7m") || ends_with_ascii_ci(leaf.name, ".p7s");
    if (part.type == "application/pkcs7-mime" || part.type == "application/x-pkcs7-mime" || (p7m_named && part.type != "application/pkcs7-signature" && part.type != "application/x-pkcs7-signature")) {
      // A mail part of the S/MIME type holds a MIME entity; a file named so (a transfer's, an
      // upload's, an attachment sent as octet-stream) holds the file it signs.
      const bool entity = part.type == "application/pkcs7-mime" || part.type == "application/x-pkcs7-mime";
      signed_data(leaf.bytes, leaf.name.empty() ? anonymous : leaf.prefix + leaf.name, !leaf.name.empty(), entity);
      return;
    }
    if (part.type == "application/pkcs7-signature" || part.type == "application/x-pkcs7-signature" || part.type == "application/pgp-signature") {
      signature(leaf.bytes, part.type, leaf.name.empty() ? anonymous : leaf.prefix + leaf.name, !leaf.name.empty());
      return;
    }
    if (leaf.name.empty() && part.type.starts_with("text/")) {
      // A text part without a name that is not the body (text/csv, text/calendar, text/x-vcard):
      // its text, in its charset.
      mime::DecodedText d = mime::decode_text(leaf.bytes, part.charset);
      if (d.unknown_charset) scan_.unchecked.push_back({anonymous, "charset: the part's charset (" + part.charset + ") is unknown, its text may be misread"});
      // By its type, not as plain text: HTML's character references and comments, RTF's escapes
      // and objects are read as such.
      if (part.type == "text/html") html(d.utf8, anonymous);
      else if (part.type == "text/rtf" || part.type == "text/xml") file(leaf.bytes, anonymous, "", anonymous + (part.type == "text/xml" ? ".xml" : ".rtf"));
      else text(d.utf8, anonymous);
      return;
    }
    // A named part is read by its name, but a BinHex part by its type whatever it is named.
    if (!leaf.name.empty()) file(leaf.bytes, leaf.prefix + leaf.name, leaf.name, extension_of_type(part.type) == ".hqx" ? leaf.prefix + leaf.name + ".hqx" : "");
    else file(leaf.bytes, anonymous, "", leaf.prefix + "部分" + part.path + extension_of_type(part.type));
  }

 private:
  OutboundScan& scan_;
  const std::vector<std::string>& levels_;
  int depth_ = 0;
  int nested_ = 0;  // how many files written into text the one being read is inside
};

// Every text of a finished scan that names a place, a file or a reason, with the numbers in it
// masked: a file named "山田_123456789018.csv" or a member "a.zip/123456789018.txt" would
// otherwise carry the number whole into the hold reason, the audit record and the notice. Done
// here, once, so that no reader of a scan can forget it; masking twice changes nothing. The
// message's own bytes (kept in quarantine for the approver) are not touched.
OutboundScan masked_names(OutboundScan scan) {
  auto mask = [](std::string& text) { text = mask_identification_numbers(text); };
  mask(scan.subject);
  mask(scan.from);
  mask(scan.message_id);  // kept with a held message and shown where it has no subject
  mask(scan.classification_where);
  mask(scan.error);
  for (auto& f : scan.identifiers) mask(f.where);
  for (auto& name : scan.attachments) mask(name);
  for (auto& f : scan.pdfs) mask(f.name);
  for (auto& f : scan.pictures) mask(f.name);
  for (auto& f : scan.unchecked) {
    mask(f.where);
    mask(f.why);
  }
  return scan;
}

OutboundScan read_outbound(std::string_view raw, const std::vector<std::string>& levels, int depth) {
  OutboundScan scan;
  SanitizeOptions options;
  options.attachment_action = AttachmentAction::kRemove;  // the files' bytes are in the leaves; none is rebuilt
  options.keep_leaves = true;
  options.keep_headers.push_back("X-Classification");
  SanitizePlan plan = plan_message(raw, options);
  scan.subject = plan.subject;
  scan.from = plan.from;
  scan.message_id = plan.message_id;
  // Whatever made the parse hold the message (a structure readers disagree on, a limit, nesting
  // too deep) also leaves parts of it unread: the check did not see everything, so it fails.
  if (plan.verdict == Verdict::kHeld) {
    scan.error = plan.reason.empty() ? "the message could not be read completely (a limit of its structure) [mail.scan]" : plan.reason;
    return scan;
  }
  raise_classification(scan, levels, marked_level(plan.subject, levels), "subject");
  for (const auto& h : plan.headers) {
    if (h.name.size() == 16 && (h.name == "X-Classification" || h.name == "x-classification")) {
      // The level alone or after 機密性, folded as a mark in the text is (3a, ３Ａ, 3-A), and nothing after it.
      const std::string decoded = mime::decode_header_text(h.value).utf8;  // kept as written: encoded words too
      std::string_view value = decoded;
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
      if (value.starts_with("機密性")) value.remove_prefix(std::string_view("機密性").size());
      std::size_t consumed = 0;
      const std::string level = level_at(value, levels, consumed);
      if (!level.empty() && consumed == value.size()) raise_classification(scan, levels, level, "X-Classification");
    }
  }
  add_matches(scan.identifiers, plan.subject, "subject");
  // A header field with a right-to-left override: its text as a viewer shows it (the plan's text
  // has the override taken out, the digits after it left backwards).
  for (const auto& [name, shown] : plan.overridden_headers) add_matches(scan.identifiers, shown, ascii_lower(name) == "subject" ? "subject" : "ヘッダー(" + name + ")");
  // Every leaf, not only the body and the attachments: the HTML alternative, inline pictures and
  // documents, other text parts, attached messages, TNEF's files and body. A file carries its own
  // mark: in its name (【機密性2】報告.docx) or its text; the highest mark of the message and its
  // files decides.
  LeafScan leaves(scan, levels, depth);
  static const PartReport kNoPart;  // a message's header fields come before any part, or with none
  for (const auto& leaf : plan.leaves) leaves.leaf(leaf, leaf.part < plan.parts.size() ? plan.parts[leaf.part] : kNoPart);
  // One number found twice in one place (the HTML's text and its markup) is one finding.
  std::vector<OutboundFinding> distinct;
  std::set<std::tuple<NumberKind, std::string, std::string>> seen;
  for (auto& f : scan.identifiers) {
    if (seen.emplace(f.kind, f.masked, f.where).second) distinct.push_back(std::move(f));
  }
  scan.identifiers = std::move(distinct);
  return scan;
}

}  // namespace

OutboundScan scan_outbound(std::string_view raw, const std::vector<std::string>& levels) { return masked_names(read_outbound(raw, levels, 0)); }

void scan_envelope(OutboundScan& scan, std::string_view sender, const std::vector<std::string>& recipients) {
  std::vector<OutboundFinding> found;
  add_matches(found, sender, "エンベロープ送信者");
  for (const auto& r : recipients) add_matches(found, r, "エンベロープ宛先");
  for (auto& f : found) {
    const bool again = std::any_of(scan.identifiers.begin(), scan.identifiers.end(),
                                   [&](const OutboundFinding& g) { return g.kind == f.kind && g.masked == f.masked && g.where == f.where; });
    if (!again) scan.identifiers.push_back(std::move(f));
  }
}

std::string scan_to_json(const OutboundScan& s) {
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& f : s.identifiers) ids.push_back({{"kind", to_string(f.kind)}, {"masked", f.masked}, {"where", f.where}});
  nlohmann::json j{{"subject", s.subject}, {"from", s.from},       {"message_id", s.message_id}, {"classification", s.classification},
                   {"classification_rank", s.classification_rank}, {"classification_where", s.classification_where}, {"identifiers", ids},   {"attachments", s.attachments}, {"error", s.error}};
  nlohmann::json pdfs = nlohmann::json::array();
  const auto pages_json = [](const std::vector<cdr::PdfPage>& of) {
    nlohmann::json pages = nlohmann::json::array();
    for (const auto& page : of) {
      nlohmann::json one{{"number", page.number}, {"dpi", page.dpi}};
      if (const auto& r = page.region) {
        one["region"] = {{"x", r->x}, {"y", r->y}, {"width", r->width}, {"height", r->height}, {"page_width", r->page_width}, {"page_height", r->page_height}};
      }
      pages.push_back(std::move(one));
    }
    return pages;
  };
  for (const auto& f : s.pdfs) {
    nlohmann::json sheets = nlohmann::json::array();
    for (const auto& sheet : f.glyph_sheets) {
      nlohmann::json fonts = nlohmann::json::array();
      for (const auto& font : sheet.fonts) {
        nlohmann::json cells = nlohmann::json::array();
        for (const auto& c : font.cells) cells.push_back({c.x, c.y, c.width, c.height, c.code, c.read_known, c.read});
        fonts.push_back({{"name", font.name}, {"unrenderable", font.unrenderable}, {"pages", pages_json(font.pages)}, {"cells", std::move(cells)}});
      }
      sheets.push_back({{"pdf", internal::to_base64(sheet.pdf)}, {"dpi", sheet.dpi}, {"fonts", std::move(fonts)}});
    }
    pdfs.push_back({{"name", f.name}, {"bytes", internal::to_base64(f.bytes)}, {"pages", pages_json(f.pages)}, {"digest", f.digest}, {"glyph_sheets", std::move(sheets)}});
  }
  j["pdfs"] = std::move(pdfs);
  nlohmann::json pictures = nlohmann::json::array();
  for (const auto& f : s.pictures) pictures.push_back({{"name", f.name}, {"bytes", internal::to_base64(f.bytes)}, {"drawing", f.drawing}});
  j["pictures"] = std::move(pictures);
  nlohmann::json unchecked = nlohmann::json::array();
  for (const auto& f : s.unchecked) {
    unchecked.push_back({{"where", f.where}, {"why", f.why}});
    if (!f.pdf.empty()) unchecked.back()["pdf"] = f.pdf;
  }
  j["unchecked"] = std::move(unchecked);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<OutboundScan> scan_from_json(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error("mail.scan", "", "the outbound scan's answer is not JSON");
  try {
    OutboundScan s;
    s.subject = j.at("subject").get<std::string>();
    s.from = j.at("from").get<std::string>();
    s.message_id = j.at("message_id").get<std::string>();
    s.classification = j.at("classification").get<std::string>();
    s.classification_rank = j.at("classification_rank").get<std::size_t>();
    s.classification_where = j.at("classification_where").get<std::string>();
    for (const auto& f : j.at("identifiers")) {
      auto kind = parse_number_kind(f.at("kind").get<std::string>(), "outbound scan JSON identifiers[].kind");
      if (!kind) return make_error("mail.scan", kind.error().where, "the outbound scan's answer is broken: " + kind.error().message);
      s.identifiers.push_back({*kind, f.at("masked").get<std::string>(), f.at("where").get<std::string>()});
    }
    s.attachments = j.at("attachments").get<std::vector<std::string>>();
    const auto pages_of = [](const nlohmann::json& of) {
      std::vector<cdr::PdfPage> pages;
      for (const auto& page : of) {
        cdr::PdfPage one{page.at("number").get<std::uint32_t>(), page.at("dpi").get<std::uint32_t>()};
        if (page.contains("region")) {
          const auto& r = page.at("region");
          one.region = cdr::PdfRegion{r.at("x").get<std::uint32_t>(),     r.at("y").get<std::uint32_t>(),          r.at("width").get<std::uint32_t>(),
                                      r.at("height").get<std::uint32_t>(), r.at("page_width").get<std::uint32_t>(), r.at("page_height").get<std::uint32_t>()};
        }
        pages.push_back(one);
      }
      return pages;
    };
    for (const auto& f : j.at("pdfs")) {
      auto bytes = internal::from_base64(f.at("bytes").get<std::string>());
      std::vector<cdr::GlyphSheet> sheets;
      for (const auto& sheet : f.at("glyph_sheets")) {
        cdr::GlyphSheet one{internal::from_base64(sheet.at("pdf").get<std::string>()), sheet.at("dpi").get<std::uint32_t>(), {}};
        for (const auto& font : sheet.at("fonts")) {
          cdr::GlyphFont described{font.at("name").get<std::string>(), {}, pages_of(font.at("pages")), font.at("unrenderable").get<std::string>()};
          for (const auto& c : font.at("cells")) {
            described.cells.push_back({c.at(0).get<std::uint32_t>(), c.at(1).get<std::uint32_t>(), c.at(2).get<std::uint32_t>(), c.at(3).get<std::uint32_t>(),
                                       c.at(4).get<long long>(), c.at(5).get<bool>(), c.at(6).get<std::string>()});
          }
          one.fonts.push_back(std::move(described));
        }
        sheets.push_back(std::move(one));
      }
      s.pdfs.push_back({f.at("name").get<std::string>(), std::move(bytes), pages_of(f.at("pages")), f.at("digest").get<std::string>(), false, std::move(sheets)});
    }
    for (const auto& f : j.at("pictures")) {
      s.pictures.push_back({f.at("name").get<std::string>(), internal::from_base64(f.at("bytes").get<std::string>()), {}, {}, f.at("drawing").get<bool>()});
    }
    for (const auto& f : j.at("unchecked")) s.unchecked.push_back({f.at("where").get<std::string>(), f.at("why").get<std::string>(), f.value("pdf", std::string())});
    s.error = j.at("error").get<std::string>();
    return s;
  } catch (const std::exception& e) {
    return make_error("mail.scan", "", std::string("the outbound scan's answer is incomplete: ") + e.what());
  }
}

namespace {

void prepare_scan_sandbox() {
  setenv("TZ", "UTC", 1);
  tzset();
  g_mime_init();
  mime::prepare_charsets();
  (void)mime::html_to_text("<p>warm</p>");
}

sandbox::Limits scan_limits() {
  sandbox::Limits limits;
  limits.timeout = std::chrono::seconds(60);
  limits.memory_bytes = std::size_t{2} << 30;
  return limits;
}

// At most this many PDF attachments of one message are read (a pdftotext run each); more is an error
// the gateway holds the message for, not a way to make it skip some.
constexpr std::size_t kMostPdfsRead = 32;
// One pdftotext run's limit, within the whole check's budget.
constexpr std::chrono::milliseconds kPdfTextTimeout = std::chrono::seconds(60);
// Pictures read by OCR in one outgoing check (a document of many photographs: the rest are
// unchecked, held), and the time one may take (a scanned page takes about a second here).
constexpr std::size_t kMostPicturesRead = 64;
constexpr std::chrono::milliseconds kPictureTextTimeout = std::chrono::seconds(30);
// A PDF's pages of pictures rendered for OCR, per PDF (each also counts as a picture read).
constexpr std::size_t kMostPdfPagesRead = 16;

}  // namespace

std::string message_carrying(std::string_view bytes, std::string_view name) {
  std::string subject = mime::encode_base64_lines(name);
  std::erase_if(subject, [](char c) { return c == '\r' || c == '\n'; });
  // The boundary has '-', which base64 never writes, so no file's bytes can end a part early.
  return "From: scan@sanso.invalid\r\nSubject: =?UTF-8?B?" + subject +
         "?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"sanso-scan\"\r\n\r\n"
         "--sanso-scan\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n\r\n"
         "--sanso-scan\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=UTF-8''" +
         mime::percent_encode_ext_value(name) + "\r\nContent-Transfer-Encoding: base64\r\n\r\n" + mime::encode_base64_lines(bytes) + "--sanso-scan--\r\n";
}

namespace {

// A message whose only content is `text`, as its UTF-8 body.
std::string message_with_body(std::string_view text) {
  return "From: scan@sanso.invalid\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
         mime::encode_base64_lines(text);
}

// Fail closed: a scan that did not come back is an error the gateway holds the message for.
OutboundScan from_answer(Result<std::string> answer) {
  Result<OutboundScan> scan = answer ? scan_from_json(*answer) : Result<OutboundScan>(answer.error());
  if (scan) return std::move(scan).value();
  OutboundScan failed;
  failed.error = scan.error().message + " [" + scan.error().code + "]";
  return failed;
}

}  // namespace

sandbox::Task outbound_scan_task(const std::vector<std::string>& levels) {
  mime::preload_charsets();  // once per process; every sandboxed child inherits the converters
  // OpenSSL's set-up draws randomness (a key of its own to read): once, in the pool's template.
  return sandbox::Task{[levels](std::string_view in) -> Result<std::string> { return scan_to_json(scan_outbound(in, levels)); }, &prepare_scan_sandbox,
                       scan_limits(), 200, &internal::prepare_signature_reader};
}

namespace {

// Why OCR's `text` of a picture may hide a number it misread: the picture names one (個人番号,
// マイナンバー, 法人番号), or holds a run of 12 or 13 digits — once spaces and hyphens between them
// are dropped and the letters OCR confuses with digits (O, o, D → 0; l, I, | → 1; S → 5; B → 8) read
// as digits — that is no valid number. "" when neither.
std::string doubtful_ocr(std::string_view text) {
  for (std::string_view word : {"個人番号", "マイナンバー", "法人番号"}) {
    if (text.find(word) != std::string_view::npos) return "the picture names " + std::string(word) + " but no valid number could be read from it";
  }
  std::string digits;
  const auto run_doubtful = [&] {
    const bool doubtful = (digits.size() == 12 || digits.size() == 13) && find_identification_numbers(digits).empty();
    digits.clear();
    return doubtful;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == 'O' || c == 'o' || c == 'D') c = '0';
    else if (c == 'l' || c == 'I' || c == '|') c = '1';
    else if (c == 'S') c = '5';
    else if (c == 'B') c = '8';
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if ((c == ' ' || c == '-') && !digits.empty()) {
      continue;
    } else if (!digits.empty() && run_doubtful()) {
      return "a run of digits that could be a misread 個人番号 or 法人番号";
    }
  }
  if (!digits.empty() && run_doubtful()) return "a run of digits that could be a misread 個人番号 or 法人番号";
  return "";
}

OutboundScan read_outbound_sandboxed(sandbox::Executor& scanner, std::string_view raw, std::chrono::milliseconds budget, PictureReading pictures) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  auto left = [&] { return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()); };
  OutboundScan scan = from_answer(scanner.run(raw));
  if (!scan.error.empty()) return scan;
  // A file whose text comes from a program outside the scanner (a PDF's from pdftotext, a
  // picture's from OCR): the text goes back through the scanner as the body of a message of its own,
  // read as the text it is — as a file it would be typed again by its content, and text that begins
  // "From:" or "%PDF-" would pass as a mail or a PDF unread. What it finds is reported as the file's.
  // False (and the file named unchecked, `label: why`) when it could not be read.
  const auto read_outside = [&](const UnreadFile& file, const std::string& label, const Result<std::string>& text) {
    const std::string name = file.name.substr(0, 200);
    if (!text) {
      scan.unchecked.push_back({name, label + ": " + text.error().message});
      return false;
    }
    OutboundScan read = from_answer(scanner.run(message_with_body(*text)));
    if (!read.error.empty()) {
      scan.unchecked.push_back({name, label + ": its text could not be scanned: " + read.error});
      return false;
    }
    // Its body is the file's text; a file written into that text ("body/x.csv") is the file's too.
    const auto as_files = [&](const std::string& where) -> std::optional<std::string> {
      if (where == "body") return file.name;
      if (where.starts_with("body/")) return file.name + where.substr(4);
      return std::nullopt;
    };
    for (auto& id : read.identifiers) {
      if (auto where = as_files(id.where)) scan.identifiers.push_back({id.kind, id.masked, *where});
    }
    for (auto& f : read.unchecked) {
      if (auto where = as_files(f.where)) scan.unchecked.push_back({*where, f.why});
    }
    for (auto& f : read.pdfs) {  // a PDF written into such a text is not read a second time round
      if (auto where = as_files(f.name)) scan.unchecked.push_back({*where, label + ": a PDF written into another file's text is not read"});
    }
    if (read.classification_rank > scan.classification_rank) {
      scan.classification = read.classification;
      scan.classification_rank = read.classification_rank;
      scan.classification_where = file.name;
    }
    return true;
  };
  // Past the budget or the count, such a file could not be checked: held, never passed.
  const auto within_limits = [&](const UnreadFile& file, std::size_t& count, std::size_t most, const char* what) {
    const std::string name = file.name.substr(0, 200);
    if (++count > most) {
      scan.unchecked.push_back({name, std::string("limit: more ") + what + " than are read for marks and numbers (" + std::to_string(most) + ")"});
      return false;
    }
    if (left() < std::chrono::milliseconds(100)) {
      scan.unchecked.push_back({name, "timeout: the outgoing check's time budget (" + std::to_string(budget.count() / 1000) + " s) ran out before its text was read"});
      return false;
    }
    return true;
  };
  // A PDF's glyph sheets (fonts whose glyphs only their programs know: cdr::GlyphSheet), read
  // before its text and pages: a font OCR sees otherwise than pdftotext reads it has its pages
  // added to those read by OCR; one that cannot be read (no OCR, a limit, an error) too. The
  // letters pdftotext reads for glyphs seen as digits are folded into those digits for a second
  // reading of the PDF's text (cdr::glyph_sheet_reading()).
  std::size_t rendered = 0;  // pages (or parts) and glyph sheets rendered for OCR
  std::vector<std::vector<std::pair<std::string, std::string>>> folds(scan.pdfs.size());
  for (std::size_t i = 0; i < scan.pdfs.size(); ++i) {
    auto& pdf = scan.pdfs[i];
    std::string misread;
    for (const cdr::GlyphSheet& sheet : pdf.glyph_sheets) {
      const UnreadFile shown{pdf.name + "/glyphs", {}, {}};
      cdr::GlyphSheetReading reading;
      std::string failed;
      if (pictures == PictureReading::kHold) {
        failed = "pictures are held unread ([mail] pictures = \"hold\")";
      } else if (!within_limits(shown, rendered, kMostPicturesRead, "pages of pictures")) {
        failed = "not rendered (a limit or the budget)";
      } else if (auto png = cdr::pdf_page_picture(sheet.pdf, cdr::PdfPage{1, sheet.dpi, {}}, "/usr/bin/pdftoppm", std::min<std::chrono::milliseconds>(kPictureTextTimeout, left())); !png) {
        failed = png.error().message;
      } else {
        ++scan.ocr_passes;
        const auto words = cdr::picture_words(*png, "/usr/bin/tesseract", std::min<std::chrono::milliseconds>(kPictureTextTimeout, left()));
        if (words) reading = cdr::glyph_sheet_reading(sheet, *words);
        else failed = words.error().message;
      }
      for (std::size_t f = 0; f < sheet.fonts.size(); ++f) {
        const cdr::GlyphFont& font = sheet.fonts[f];
        const std::string why = failed.empty() ? reading.why[f] : "its glyph sheet could not be read by OCR: " + failed;
        if (why.empty()) continue;
        if (!font.unrenderable.empty()) {
          scan.unchecked.push_back({pdf.name.substr(0, 200) + "/pages", "image: " + font.name + " (" + why + ") is shown on a page not read by OCR: " + font.unrenderable});
          continue;
        }
        for (const cdr::PdfPage& page : font.pages) {
          if (std::find(pdf.pages.begin(), pdf.pages.end(), page) == pdf.pages.end()) pdf.pages.push_back(page);
        }
        misread += (misread.empty() ? "" : "; ") + font.name + ": " + why;
      }
      folds[i].insert(folds[i].end(), reading.folds.begin(), reading.folds.end());
    }
    // One reading seen as different digits on different sheets cannot be folded into one: every
    // font of the sheets is read by OCR.
    std::map<std::string, std::string> folded;
    const bool conflicting = std::any_of(folds[i].begin(), folds[i].end(), [&](const auto& fold) { return folded.emplace(fold).first->second != fold.second; });
    if (conflicting) {
      for (const cdr::GlyphSheet& sheet : pdf.glyph_sheets) {
        for (const cdr::GlyphFont& font : sheet.fonts) {
          if (!font.unrenderable.empty()) scan.unchecked.push_back({pdf.name.substr(0, 200) + "/pages", "image: " + font.name + " is shown on a page not read by OCR: " + font.unrenderable});
          for (const cdr::PdfPage& page : font.pages) {
            if (std::find(pdf.pages.begin(), pdf.pages.end(), page) == pdf.pages.end()) pdf.pages.push_back(page);
          }
        }
      }
      misread += (misread.empty() ? "" : "; ") + std::string("a reading pdftotext gives glyphs seen as different digits on different glyph sheets");
    }
    if (misread.empty()) continue;
    std::sort(pdf.pages.begin(), pdf.pages.end(), [](const cdr::PdfPage& a, const cdr::PdfPage& b) { return a.number < b.number; });
    const std::string why = "フォントの字形を OCR で読むと、pdftotext の読みと数字が合わない（そのフォントのページを OCR で読む）/ fonts whose glyphs OCR reads otherwise than pdftotext "
                            "reads their digits, their pages read by OCR: " + misread.substr(0, 600);
    const auto entry = std::find_if(scan.unchecked.begin(), scan.unchecked.end(),
                                    [&](const UncheckedFile& f) { return f.pdf == pdf.digest && f.where == pdf.name + "/pages" && f.why.starts_with("image:"); });
    if (entry == scan.unchecked.end()) scan.unchecked.push_back({pdf.name + "/pages", "image: " + why, pdf.digest});
    else entry->why += "; " + why;
  }
  std::size_t read_pdfs = 0;
  for (std::size_t i = 0; i < scan.pdfs.size(); ++i) {
    const auto& pdf = scan.pdfs[i];
    if (!within_limits(pdf, read_pdfs, kMostPdfsRead, "PDF files")) continue;
    Result<std::string> text = cdr::pdf_text(pdf.bytes, "/usr/bin/pdftotext", std::min<std::chrono::milliseconds>(kPdfTextTimeout, left()));
    if (text && !folds[i].empty()) text = *text + "\n" + cdr::folded_text(*text, folds[i]);
    read_outside(pdf, "pdf-text", text);
  }
  // A PDF's pages of pictures (a scanned card, a pasted screenshot; the scanner named them
  // unchecked as "a.pdf/pages"): each page rendered by pdftoppm becomes a picture OCR reads below,
  // "a.pdf/page-2" — the page as a reader sees it, its text and pictures together. The scanner
  // names pages only when OCR can read them rendered (pictures drawn at half their pixels or more
  // at the page's dpi — 200, or what a finer scan needs —, a page of bounded pixels, its drawing
  // counted); with none named the entry stays. A page too large to render whole at the dpi its
  // pictures need comes in parts (cdr::PdfRegion), each read as a picture of its own:
  // "a.pdf/page-2/part-1" is the first region of page 2 read apart from the page.
  if (pictures == PictureReading::kOcr) {
    for (const auto& pdf : scan.pdfs) {
      const auto entry = std::find_if(scan.unchecked.begin(), scan.unchecked.end(),
                                      [&](const UncheckedFile& f) { return f.pdf == pdf.digest && f.where == pdf.name + "/pages" && f.why.starts_with("image:"); });
      if (pdf.pages.empty() || entry == scan.unchecked.end()) continue;
      if (pdf.pages.size() > kMostPdfPagesRead) {
        entry->why = "limit: more pages (or parts of pages) of pictures (" + std::to_string(pdf.pages.size()) + ") than are read by OCR in one PDF (" +
                     std::to_string(kMostPdfPagesRead) + "); " + entry->why;
        continue;
      }
      scan.unchecked.erase(entry);
      std::map<std::uint32_t, std::size_t> parts;  // a page's regions so far, to number them
      for (const cdr::PdfPage& page : pdf.pages) {
        const std::string part = page.region ? "/part-" + std::to_string(++parts[page.number]) : "";
        const UnreadFile shown{pdf.name + "/page-" + std::to_string(page.number) + part, {}, {}};
        if (!within_limits(shown, rendered, kMostPicturesRead, "pages of pictures")) continue;
        auto png = cdr::pdf_page_picture(pdf.bytes, page, "/usr/bin/pdftoppm", std::min<std::chrono::milliseconds>(kPictureTextTimeout, left()));
        if (!png) {
          scan.unchecked.push_back({shown.name, "ocr: " + png.error().message});
          continue;
        }
        scan.unchecked.push_back({shown.name, "image: the page's pictures are read by OCR"});
        scan.pictures.push_back({shown.name, std::move(png).value(), {}});
      }
    }
  }
  // Pictures: the scanner named each unchecked ("image: …"); that entry gives way to what OCR
  // makes of it — read and checked like any text (a photographed 個人番号 card is found, a logo
  // passes), or unchecked with why OCR could not read it (or the limit, the budget).
  std::size_t read_pictures = 0;
  for (const auto& picture : scan.pictures) {
    const auto it = std::find_if(scan.unchecked.begin(), scan.unchecked.end(),
                                 [&](const UncheckedFile& f) { return f.where == picture.name && f.why.starts_with("image:"); });
    if (pictures == PictureReading::kHold) {
      // Left unread on purpose: the entry says so, so that the approver knows no OCR looked at it.
      if (it != scan.unchecked.end()) it->why = "image: pictures are held unread ([mail] pictures = \"hold\"); " + it->why.substr(7);
      continue;
    }
    if (it != scan.unchecked.end()) scan.unchecked.erase(it);
    if (!within_limits(picture, read_pictures, kMostPicturesRead, "pictures")) continue;
    // A metafile that paints shapes ("a.emf/drawing"): what a viewer shows of it, rendered first.
    std::string rendered;
    if (picture.drawing) {
      auto png = cdr::metafile_picture(picture.bytes, "/usr/lib/libreoffice/program/soffice.bin", std::min<std::chrono::milliseconds>(kPictureTextTimeout, left()));
      if (!png) {
        scan.unchecked.push_back({picture.name, "ocr: " + png.error().message});
        continue;
      }
      rendered = std::move(png).value();
    }
    ++scan.ocr_passes;
    const auto text = cdr::picture_text(picture.drawing ? std::string_view(rendered) : std::string_view(picture.bytes), "/usr/bin/tesseract",
                                        std::min<std::chrono::milliseconds>(kPictureTextTimeout, left()));
    const std::size_t found_before = scan.identifiers.size();
    if (!read_outside(picture, "ocr", text)) continue;
    // OCR misreads: one wrong digit fails the check digit and the number passes unseen. A picture
    // that names the number, or shows a run of 12 or 13 digits that is no valid number, is held
    // for a person to look at, unless a number was found in it.
    if (scan.identifiers.size() == found_before) {
      if (const std::string why = doubtful_ocr(*text); !why.empty()) scan.unchecked.push_back({picture.name, "ocr: " + why});
    }
  }
  scan.pictures.clear();
  scan.pdfs.clear();
  return scan;
}

}  // namespace

// The scanner's answer is masked already (scan_outbound); masked again here because its errors
// and what the PDFs' texts add are written on this side.
OutboundScan scan_outbound_sandboxed(sandbox::Executor& scanner, std::string_view raw, std::chrono::milliseconds budget, PictureReading pictures) {
  return masked_names(read_outbound_sandboxed(scanner, raw, budget, pictures));
}

std::string unchecked_reason(const OutboundScan& scan) {
  std::string names;
  for (const auto& f : scan.unchecked) {
    if (names.size() > 1000) {
      names += "、…";
      break;
    }
    names += (names.empty() ? "" : "、") + f.where + "（" + f.why + "）";
  }
  return "本文を確認できない添付ファイル（個人番号・機密性の表示を検査できない）: " + names + " / attachments whose text could not be checked";
}

}  // namespace sanso::mail
