// safe_name(): a sender's file name is hostile input. It becomes a file on the recipient's disk
// and a line in listings, so it must neither climb out of the download folder nor pass for
// another name on screen.
#include <algorithm>
#include <array>
#include <cctype>

#include "core/text.h"
#include "transfer/transfer.h"

namespace sanso::transfer {
namespace {

// NTFS and FAT forbid these; a recipient on Windows would fail to save, or save elsewhere.
constexpr std::string_view kWindowsForbidden = "<>:\"|?*";

char32_t decode_at(std::string_view s, std::size_t at, std::size_t len) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[at + i]); };
  switch (len) {
    case 1: return b(0);
    case 2: return (char32_t{b(0)} & 0x1F) << 6 | (b(1) & 0x3F);
    case 3: return (char32_t{b(0)} & 0x0F) << 12 | (char32_t{b(1)} & 0x3F) << 6 | (b(2) & 0x3F);
    default: return (char32_t{b(0)} & 0x07) << 18 | (char32_t{b(1)} & 0x3F) << 12 | (char32_t{b(2)} & 0x3F) << 6 | (b(3) & 0x3F);
  }
}

std::string hex4(char32_t c) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "U+";
  for (int shift = c > 0xFFFF ? 20 : 12; shift >= 0; shift -= 4) out.push_back(kHex[(c >> shift) & 0xF]);
  return out;
}

// Windows opens the device, not a file, for these names with any extension: it reads the name
// up to its first dot and ignores spaces at its end ("CON .txt" is CON), and counts the
// superscript digits ¹²³ as digits of COM and LPT.
bool is_device_name(std::string_view name) {
  std::string stem = ascii_lower(name.substr(0, name.find('.')));
  while (!stem.empty() && stem.back() == ' ') stem.pop_back();
  static constexpr std::array<std::string_view, 7> kPlain = {"con", "prn", "aux", "nul", "conin$", "conout$", "clock$"};
  if (std::find(kPlain.begin(), kPlain.end(), stem) != kPlain.end()) return true;
  if (!stem.starts_with("com") && !stem.starts_with("lpt")) return false;
  const std::string_view digit = std::string_view(stem).substr(3);
  return (digit.size() == 1 && digit[0] >= '0' && digit[0] <= '9') || digit == "\u00B9" || digit == "\u00B2" || digit == "\u00B3";
}

// The full-width form of an ASCII character that means something in a path or a Windows name, or
// that spells one (letters and digits: an extension, a device name), as NFKC folds it: Windows'
// "best fit" conversion to a code page turns ／ into /, ． into . and ＣＯＮ into CON, so a name
// must be judged by what it becomes there. Other full-width forms (（）「」, used in Japanese
// names) are kept as they are. 0 when `c` is none of these.
char fold_full_width(char32_t c) {
  if (c < 0xFF01 || c > 0xFF5E) return 0;
  const char ascii = static_cast<char>(c - 0xFEE0);
  const bool alnum = (ascii >= '0' && ascii <= '9') || (ascii >= 'A' && ascii <= 'Z') || (ascii >= 'a' && ascii <= 'z');
  return alnum || std::string_view("/\\.:*?\"<>|").find(ascii) != std::string_view::npos ? ascii : 0;
}

}  // namespace

Result<std::string> safe_name(std::string_view raw) {
  // The error shows the name as it may be shown: its hidden characters made visible.
  const auto refuse = [&](const std::string& why) { return make_error("transfer.name", visible_text(raw), why); };
  if (raw.find('\0') != std::string_view::npos) return refuse("the file name contains a NUL byte / ファイル名に NUL 文字があります");
  for (std::size_t at = 0; at < raw.size();) {
    const std::size_t len = utf8_sequence_length(raw, at);
    if (len == 0) return refuse("the file name is not UTF-8 at byte " + std::to_string(at) + " / ファイル名が UTF-8 ではありません");
    const char32_t c = decode_at(raw, at, len);
    if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F)) {
      return refuse("the file name contains the control character " + hex4(c) + " / ファイル名に制御文字があります");
    }
    // Bidirectional overrides and isolates (a "exe.docx" shown for "xcod.exe"), zero-width and
    // other invisible characters (fillers, tags, joiners): what visible_text() shows as <U+…>.
    if (const std::string_view piece = raw.substr(at, len); visible_text(piece) != piece) {
      return refuse("the file name contains " + hex4(c) +
                    ", which reorders or hides characters so that the name reads as another / ファイル名に表示を偽装する文字があります");
    }
    at += len;
  }
  std::string folded;
  for (std::size_t at = 0; at < raw.size();) {
    const std::size_t len = utf8_sequence_length(raw, at);
    const char32_t c = decode_at(raw, at, len);
    if (const char ascii = fold_full_width(c); ascii != 0) folded += ascii;
    else if (c == 0x3000) folded += ' ';  // the ideographic space, trimmed at the ends like a space
    else folded.append(raw.substr(at, len));
    at += len;
  }
  // The folders of the sender's machine are not the recipient's business, nor a way out of the
  // recipient's download folder.
  std::string_view base = folded;
  if (const auto slash = base.find_last_of("/\\"); slash != std::string_view::npos) base.remove_prefix(slash + 1);
  std::string name(base);
  for (char& c : name) {
    if (kWindowsForbidden.find(c) != std::string_view::npos) c = '_';
  }
  // Leading dots hide a file (and ".." climbs); trailing dots and spaces vanish on Windows, so
  // "a.exe." would become "a.exe" there.
  const auto first = name.find_first_not_of(". ");
  name = first == std::string::npos ? "" : name.substr(first);
  while (!name.empty() && (name.back() == '.' || name.back() == ' ')) name.pop_back();
  if (name.empty()) return refuse("no file name is left once folders and leading dots are removed / ファイル名がありません");
  if (is_device_name(name)) name = "_" + name;
  if (name.size() > 255) {
    return refuse("the file name is " + std::to_string(name.size()) + " bytes long; at most 255 are allowed / ファイル名が長すぎます");
  }
  return name;
}

}  // namespace sanso::transfer
