#include "mail/sanitize.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <cstdio>

#include "core/text.h"
#include "mail/internal/message_text.h"

namespace sanso::mail::internal {

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n')) --e;
  return std::string(s.substr(b, e - b));
}

// Bidi embeddings, overrides, isolates and marks: they reorder what a reader sees ("gpj.exe"
// shown as "exe.jpg", a link's visible text reversed).
bool is_bidi_control(gunichar c) {
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F || c == 0x061C;
}

// C0 and C1 controls and DEL.
bool is_control(gunichar c) { return c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0); }

void add_flag(std::vector<std::string>& flags, const char* flag) {
  if (std::find(flags.begin(), flags.end(), flag) == flags.end()) flags.emplace_back(flag);
}

// `text` as a viewer shows it where a right-to-left override (U+202E) reverses what follows it, up
// to the pop (U+202C) or the line's end: digits written backwards after it show forwards, and the
// number finder reads characters in their stored order (review23a M1). "" when it holds none.
std::string as_shown_by_overrides(std::string_view text) {
  static constexpr std::string_view kOverride = "\xE2\x80\xAE", kPop = "\xE2\x80\xAC";
  if (text.find(kOverride) == std::string_view::npos) return "";
  std::string out;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t start = text.find(kOverride, at);
    if (start == std::string_view::npos) {
      out.append(text.substr(at));
      break;
    }
    out.append(text.substr(at, start - at));
    std::size_t end = std::min(text.find(kPop, start), text.find('\n', start));
    if (end == std::string_view::npos) end = text.size();
    // The span's characters in reverse: each UTF-8 sequence kept whole.
    std::vector<std::string_view> characters;
    for (std::size_t i = start + kOverride.size(); i < end;) {
      std::size_t n = 1;
      while (i + n < end && (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80) ++n;
      characters.push_back(text.substr(i, n));
      i += n;
    }
    for (auto c = characters.rbegin(); c != characters.rend(); ++c) out.append(*c);
    at = end;
  }
  return out;
}

// Text without what would change how it shows: C0/C1 controls (NUL, ESC, BEL, BS, …) and bidi
// controls removed. With `lines` (a body), tab and LF stay and CRLF and bare CR become LF — a bare
// CR lets a later line overwrite an earlier one on a terminal or in a log; without (a file name),
// they go too. Bytes that are not UTF-8 (callers pass decoded text) become U+FFFD, never dropped.
// Flags say what was found.
std::string strip_controls(std::string_view text, bool lines, std::vector<std::string>& flags) {
  std::string out;
  out.reserve(text.size());
  bool control = false, bidi = false;
  for (std::size_t i = 0; i < text.size();) {
    // Most of a body is plain text: a run of it is kept as it is, in one append. Plain: printable
    // ASCII, and whole UTF-8 characters whose first byte no control or bidi mark has (C1 controls
    // begin C2, U+061C D8, the other bidi marks E2).
    std::size_t plain = i;
    while (plain < text.size()) {
      const auto b = static_cast<unsigned char>(text[plain]);
      if (b >= 0x20 && b < 0x7F) {
        ++plain;
        continue;
      }
      if (b < 0x80 || b == 0xC2 || b == 0xD8 || b == 0xE2) break;
      // Kana and kanji (lead bytes E3–EC, EE–EF: any continuation bytes follow) in line.
      if (((b >= 0xE3 && b <= 0xEC) || b >= 0xEE) && b <= 0xEF && plain + 2 < text.size() &&
          (static_cast<unsigned char>(text[plain + 1]) & 0xC0) == 0x80 && (static_cast<unsigned char>(text[plain + 2]) & 0xC0) == 0x80) {
        plain += 3;
        continue;
      }
      const std::size_t len = utf8_sequence_length(text, plain);
      if (len == 0) break;
      plain += len;
    }
    if (plain != i) {
      out.append(text, i, plain - i);
      i = plain;
      continue;
    }
    const std::size_t len = utf8_sequence_length(text, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    const gunichar c = g_utf8_get_char(text.data() + i);
    if (lines && c == '\r') {
      out += '\n';
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      else control = true;
    } else if (lines && (c == '\n' || c == '\t')) {
      out += static_cast<char>(c);
    } else if (is_control(c)) {
      control = true;
    } else if (is_bidi_control(c)) {
      bidi = true;
    } else {
      out.append(text, i, len);
    }
    i += len;
  }
  if (bidi) add_flag(flags, "bidi-control");
  if (control) add_flag(flags, "control-characters");
  return out;
}

// NFC, without controls and bidi overrides (a "gpj.exe" shown as "exe.jpg"), flags for what changed.
std::string clean_file_name(const std::string& name, std::vector<std::string>& flags) {
  // Each piece between NULs normalised on its own: GLib stops at a NUL, and what followed one (a
  // TNEF title "a.txt\0" "123456789018") was dropped unread. The NULs go with the other controls.
  std::string normalised;
  for (std::size_t at = 0;;) {
    const std::size_t nul = name.find('\0', at);
    const std::string piece = name.substr(at, nul == std::string::npos ? std::string::npos : nul - at);
    gchar* nfc = g_utf8_normalize(piece.c_str(), -1, G_NORMALIZE_NFC);
    normalised += nfc != nullptr ? std::string(nfc) : piece;
    g_free(nfc);
    if (nul == std::string::npos) break;
    normalised += '\0';
    at = nul + 1;
  }
  std::string out = strip_controls(normalised, false, flags);
  std::string low = ascii_lower(out);
  static const char* kRisky[] = {".exe", ".scr", ".js", ".jse", ".vbs", ".vbe", ".bat", ".cmd", ".com", ".pif", ".lnk",
                                 ".hta", ".ps1", ".jar", ".msi", ".wsf", ".cpl", ".iso", ".img"};
  auto last = low.rfind('.');
  if (last != std::string::npos && last > 0) {
    auto prev = low.rfind('.', last - 1);
    bool risky = std::any_of(std::begin(kRisky), std::end(kRisky), [&](const char* e) { return low.substr(last) == e; });
    if (prev != std::string::npos && risky && last - prev >= 3 && last - prev <= 5) flags.emplace_back("double-extension");
  }
  return out;
}

std::string human_size(std::size_t n) {
  char buf[32];
  if (n < 1024) std::snprintf(buf, sizeof buf, "%zu B", n);
  else if (n < 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(n) / 1024);
  else std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(n) / (1024 * 1024));
  return buf;
}

bool is_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// Line and paragraph separators: a reader's client may start a new line at them.
bool is_line_separator(gunichar c) { return c == 0x2028 || c == 0x2029; }

// Letters of other scripts that look like Latin ones ("ѕаnѕо", "сity"), as the Latin letter.
gunichar latin_lookalike(gunichar c) {
  static const std::pair<gunichar, char> kLookalikes[] = {
      {0x0430, 'a'}, {0x0435, 'e'}, {0x043E, 'o'}, {0x0440, 'p'}, {0x0441, 'c'}, {0x0455, 's'}, {0x0445, 'x'}, {0x0443, 'y'},
      {0x0456, 'i'}, {0x0458, 'j'}, {0x0501, 'd'}, {0x04CF, 'l'}, {0x043A, 'k'}, {0x043D, 'h'}, {0x0442, 't'}, {0x0432, 'b'},
      {0x043C, 'm'}, {0x03BF, 'o'}, {0x03B1, 'a'}, {0x03BD, 'v'}, {0x03B9, 'i'}, {0x03BA, 'k'}, {0x03C1, 'p'}, {0x03C4, 't'},
      {0x03C5, 'u'}, {0x03C7, 'x'}, {0x0131, 'i'}, {0x0261, 'g'}, {0x1D0F, 'o'}, {0x0251, 'a'}};
  for (const auto& [from, to] : kLookalikes) {
    if (c == from) return static_cast<gunichar>(to);
  }
  return c;
}

// Text as a reader compares it: NFKC (full-width and half-width forms as one), case folded, other
// scripts' Latin look-alikes as Latin, without white space, invisible format characters, combining
// marks left over and the separators a name is written with or without (・ - _).
std::string comparable(std::string_view text) {
  if (auto plain = read_plain(text)) return std::move(plain->comparable);
  gchar* valid = g_utf8_make_valid(text.data(), static_cast<gssize>(text.size()));
  gchar* nfkc = g_utf8_normalize(valid, -1, G_NORMALIZE_NFKC);
  g_free(valid);
  if (nfkc == nullptr) return {};
  std::string out = comparable_of_nfkc(nfkc);
  g_free(nfkc);
  return out;
}

std::string comparable_of_nfkc(const char* nfkc) {
  gchar* folded = g_utf8_casefold(nfkc, -1);
  std::string out;
  for (const gchar* p = folded; *p != '\0'; p = g_utf8_next_char(p)) {
    const gunichar c = latin_lookalike(g_utf8_get_char(p));
    const GUnicodeType type = g_unichar_type(c);
    if (g_unichar_isspace(c) || is_line_separator(c) || type == G_UNICODE_FORMAT || type == G_UNICODE_CONTROL || type == G_UNICODE_SPACE_SEPARATOR) continue;
    // Marks NFKC could not compose (a U+0301 after 策, a variation selector) draw on or beside a
    // letter a reader still reads as the same name.
    if (type == G_UNICODE_NON_SPACING_MARK || type == G_UNICODE_ENCLOSING_MARK) continue;
    if (c == 0x30FB || c == 0xFF65 || c == 0x00B7 || c == '-' || c == '_' || (c >= 0x2010 && c <= 0x2015) || c == 0x2212) continue;
    char buf[6];
    out.append(buf, static_cast<std::size_t>(g_unichar_to_utf8(c, buf)));
  }
  g_free(folded);
  return out;
}

namespace {

// Characters a line of the banner could be imitated with: its frame (box drawing) and what looks
// like it (block elements, vertical bars of every width and script).
bool looks_like_banner_frame(gunichar c) {
  return (c >= 0x2500 && c <= 0x259F) || c == '|' || c == 0x2223 || c == 0x23B8 || c == 0x23B9 || (c >= 0x2758 && c <= 0x275A) ||
         c == 0x4E28 || c == 0x01C0 || c == 0x05C0 || c == 0x2016 || c == 0x2225 || c == 0x239C || c == 0x239F || c == 0x23A2 || c == 0x23A5 ||
         c == 0x23AA || c == 0x23AE;
}

// Characters of Japanese text that NFKC and case folding leave as they are, that compose with
// nothing before or after them, that comparable() keeps, and that neither frame the banner nor
// look like a Latin letter: kana, the CJK unified ideographs but 丨 (a frame look-alike), the
// ideographic punctuation and brackets. Checked against Unicode's data by the tests
// (BannerLookalike.*): NFKC-stable, casefold-stable, not a mark, space or format character, and
// never the second of a canonical pair.
bool is_plain_japanese(char32_t c) {
  return (c >= 0x3041 && c <= 0x3096) || (c >= 0x30A1 && c <= 0x30FA) || (c >= 0x30FC && c <= 0x30FE) || (c >= 0x309D && c <= 0x309E) ||
         (c >= 0x4E00 && c <= 0x9FFF && c != 0x4E28) || (c >= 0x3001 && c <= 0x3003) || (c >= 0x3005 && c <= 0x3011) || (c >= 0x3014 && c <= 0x301C);
}

}  // namespace

// Text of printable ASCII, full-width ASCII, kana and kanji — nearly every line and name in the
// mail a city receives — read as comparable() reads it, without GLib: NFKC makes full-width ASCII
// ASCII and the ideographic space a space and leaves the rest as it is, case folding changes only
// ASCII letters, no look-alike letter is among them, and comparable() drops white space, '-', '_'
// and '・'. Also whether the first visible character is a bar (the banner's frame). Anything else
// (another script, a mark that could compose, a control, bad UTF-8): nullopt, and GLib reads it.
std::optional<PlainReading> read_plain(std::string_view text) {
  PlainReading r;
  r.comparable.reserve(text.size());
  bool first = true;
  for (std::size_t i = 0; i < text.size();) {
    char32_t c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
    } else {
      const Utf8CodePoint at = utf8_code_point_at(text, i);
      if (at.length != 3) return std::nullopt;  // every character taken here is three bytes long
      c = at.value;
      if (c >= 0xFF01 && c <= 0xFF5E) {
        c -= 0xFEE0;  // full-width ASCII: NFKC gives the ASCII character
      } else if (c == 0x3000) {
        c = ' ';  // the ideographic space
      } else if (c == 0x30FB) {
        first = false;  // '・' is visible (no bar) and comparable() drops it
        i += 3;
        continue;
      } else if (is_plain_japanese(c)) {
        first = false;
        r.comparable.append(text, i, 3);
        i += 3;
        continue;
      } else {
        return std::nullopt;
      }
      i += 3;
    }
    if (c >= 0x7F || (c < 0x20 && (c < 0x09 || c > 0x0D))) return std::nullopt;
    if (c <= 0x20) continue;  // white space
    if (first) r.bar_first = c == '|';
    first = false;
    if (c == '-' || c == '_') continue;  // separators comparable() drops
    r.comparable.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c));
  }
  return r;
}

std::optional<bool> plain_line_imitates_banner(std::string_view line) {
  const auto plain = read_plain(line);
  if (!plain) return std::nullopt;
  return plain->bar_first || plain->comparable.find("sanso") != std::string::npos;
}

bool normalized_line_imitates_banner(std::string_view line) {
  gchar* valid = g_utf8_make_valid(line.data(), static_cast<gssize>(line.size()));
  gchar* nfkc = g_utf8_normalize(valid, -1, G_NORMALIZE_NFKC);
  g_free(valid);
  if (nfkc == nullptr) return false;
  bool frame = false;
  for (const gchar* p = nfkc; *p != '\0'; p = g_utf8_next_char(p)) {
    const gunichar c = g_utf8_get_char(p);
    const GUnicodeType type = g_unichar_type(c);
    // Letters and symbols that draw nothing (Hangul fillers, the Braille blank) look like spaces
    // before a frame (review31 M4).
    const bool blank = c == 0x3164 || c == 0x115F || c == 0x1160 || c == 0xFFA0 || c == 0x2800;
    if (blank || g_unichar_isspace(c) || type == G_UNICODE_FORMAT || type == G_UNICODE_CONTROL || type == G_UNICODE_SPACE_SEPARATOR) continue;
    frame = looks_like_banner_frame(c);
    break;
  }
  const bool named = !frame && comparable_of_nfkc(nfkc).find("sanso") != std::string::npos;
  g_free(nfkc);
  return frame || named;
}

bool imitates_banner(std::string_view line) {
  if (const auto plain = plain_line_imitates_banner(line)) return *plain;
  return normalized_line_imitates_banner(line);
}

}  // namespace sanso::mail::internal
