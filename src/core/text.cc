#include "core/text.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace sanso {
namespace {

bool is_wide(char32_t c) {
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) ||
         (c >= 0x3041 && c <= 0x33FF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) ||
         (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
         (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
         (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD);
}

bool is_zero_width(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c < 0xA0) || (c >= 0x0300 && c <= 0x036F) ||
         (c >= 0x200B && c <= 0x200F) || (c >= 0x3099 && c <= 0x309A) ||
         (c >= 0xFE00 && c <= 0xFE0F);
}

// Characters that hide or reorder text: controls, bidi controls (UAX #9), zero-width and other
// default-ignorable format characters, separators that break a line where none is expected.
bool is_deceptive(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c < 0xA0) || c == 0xAD || c == 0x034F || c == 0x061C || c == 0x115F || c == 0x1160 ||
         (c >= 0x17B4 && c <= 0x17B5) || c == 0x180E || (c >= 0x200B && c <= 0x200F) || (c >= 0x2028 && c <= 0x202E) ||
         (c >= 0x2060 && c <= 0x206F) || c == 0x3164 || c == 0xFEFF || c == 0xFFA0 || (c >= 0xFFF0 && c <= 0xFFFB) ||
         (c >= 0x1BCA0 && c <= 0x1BCA3) || (c >= 0x1D173 && c <= 0x1D17A) || (c >= 0xE0000 && c <= 0xE0FFF);
}

}  // namespace

std::string visible_text(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size();) {
    const std::size_t n = utf8_sequence_length(utf8, i);
    char marker[16];
    if (n == 0) {
      std::snprintf(marker, sizeof marker, "<0x%02X>", static_cast<unsigned char>(utf8[i]));
      out += marker;
      ++i;
      continue;
    }
    const char32_t cp = utf8_code_point_at(utf8, i).value;
    if (is_deceptive(cp)) {
      std::snprintf(marker, sizeof marker, "<U+%04X>", static_cast<unsigned>(cp));
      out += marker;
    } else {
      out.append(utf8.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::size_t display_width(std::string_view utf8) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < utf8.size();) {
    const auto [cp, length] = utf8_code_point_at(utf8, i);
    i += std::max<std::size_t>(length, 1);
    width += is_zero_width(cp) ? 0 : is_wide(cp) ? 2 : 1;
  }
  return width;
}

std::string pad_to_width(std::string_view utf8, std::size_t width) {
  std::string out(utf8);
  const std::size_t w = display_width(utf8);
  if (w < width) out.append(width - w, ' ');
  return out;
}

std::size_t utf8_sequence_length(std::string_view text, std::size_t at) {
  auto byte = [&](std::size_t k) { return at + k < text.size() ? static_cast<unsigned char>(text[at + k]) : 0u; };
  auto cont = [](unsigned b) { return b >= 0x80 && b <= 0xBF; };
  const unsigned b = byte(0);
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return cont(byte(1)) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    const unsigned lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
    return byte(1) >= lo && byte(1) <= hi && cont(byte(2)) ? 3 : 0;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    const unsigned lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
    return byte(1) >= lo && byte(1) <= hi && cont(byte(2)) && cont(byte(3)) ? 4 : 0;
  }
  return 0;
}

Utf8CodePoint utf8_code_point_at(std::string_view text, std::size_t at) {
  const std::size_t length = at < text.size() ? utf8_sequence_length(text, at) : 0;
  if (length == 0) return {};
  static constexpr unsigned char kLeadBits[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  char32_t cp = static_cast<unsigned char>(text[at]) & kLeadBits[length];
  for (std::size_t k = 1; k < length; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[at + k]) & 0x3F);
  return {cp, length};
}

// With an ASCII fast path: mail bodies and audit records are mostly ASCII and this runs over
// every one of them. Japanese text is all multi-byte, so each sequence is checked in line here
// rather than through utf8_sequence_length (a call and a bounds check per byte): the same rules
// (no overlong form, no surrogate, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = p + text.size();
  auto cont = [](unsigned b) { return (b & 0xC0) == 0x80; };
  while (p < end) {
    if (end - p >= 8) {
      std::uint64_t v;
      std::memcpy(&v, p, 8);
      if ((v & 0x8080808080808080ULL) == 0) {
        p += 8;
        continue;
      }
    }
    const unsigned b = *p;
    if (b < 0x80) {
      ++p;
    } else if (b >= 0xC2 && b <= 0xDF) {
      if (end - p < 2 || !cont(p[1])) return false;
      p += 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      const unsigned lo = b == 0xE0 ? 0xA0 : 0x80, hi = b == 0xED ? 0x9F : 0xBF;
      if (end - p < 3 || p[1] < lo || p[1] > hi || !cont(p[2])) return false;
      p += 3;
    } else if (b >= 0xF0 && b <= 0xF4) {
      const unsigned lo = b == 0xF0 ? 0x90 : 0x80, hi = b == 0xF4 ? 0x8F : 0xBF;
      if (end - p < 4 || p[1] < lo || p[1] > hi || !cont(p[2]) || !cont(p[3])) return false;
      p += 4;
    } else {
      return false;
    }
  }
  return true;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string file_extension(std::string_view path) {
  auto slash = path.find_last_of("/\\");
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  // As Windows names the file: "x.ps1::$DATA" and "x.exe:zone" are streams of "x.ps1" / "x.exe",
  // and trailing periods and spaces are dropped ("x.vbs. " is "x.vbs").
  if (auto colon = path.find(':'); colon != std::string_view::npos) path = path.substr(0, colon);
  while (!path.empty() && (path.back() == '.' || path.back() == ' ')) path.remove_suffix(1);
  auto dot = path.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return "";
  return ascii_lower(path.substr(dot + 1));
}

namespace {

// Digits with at most a sign in front and '.' or ',' between them: what a spreadsheet reads as a
// number, never as a formula.
bool is_plain_number(std::string_view s) {
  std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  bool digit = false;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      digit = true;
    } else if (s[i] != '.' && s[i] != ',') {
      return false;
    }
  }
  return digit;
}

}  // namespace

bool is_spreadsheet_formula(std::string_view cell) {
  if (cell.empty()) return false;
  char c = cell[0];
  if (c == '=' || c == '@' || c == '\t' || c == '\r') return true;
  if (c == '+' || c == '-') return !is_plain_number(cell);
  // The full-width forms (U+FF1D ＝, U+FF20 ＠, U+FF0B ＋, U+FF0D －), which Japanese input
  // produces and spreadsheets may take for the ASCII ones (OWASP lists them too).
  if (cell.starts_with("\xEF\xBC\x9D") || cell.starts_with("\xEF\xBC\xA0")) return true;
  if (cell.starts_with("\xEF\xBC\x8B") || cell.starts_with("\xEF\xBC\x8D")) {
    std::string_view rest = cell.substr(3);
    return rest.empty() || !is_plain_number(rest) || rest[0] == '+' || rest[0] == '-';
  }
  return false;
}

std::string human_size(std::uint64_t n) {
  char buf[32];
  if (n < 1024) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(n));
  else if (n < 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(n) / 1024);
  else std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(n) / (1024 * 1024));
  return buf;
}

void append_json_string(std::string& out, std::string_view utf8) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char ch : utf8) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

bool is_plain_mail_address(std::string_view address) {
  const std::size_t at = address.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= address.size() || address.size() > 254 || address.rfind('@') != at) return false;
  for (char c : address) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F || std::string_view("<>,;:\"()\\[]").find(c) != std::string_view::npos) return false;
  }
  return true;
}

std::optional<HostPort> split_host_port(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size() || text.size() - colon - 1 > 5) return std::nullopt;
  HostPort hp;
  std::string_view host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt;
  }
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    hp.port = hp.port * 10 + (c - '0');
  }
  if (hp.port > 65535) return std::nullopt;
  hp.host = std::string(host);
  return hp;
}

}  // namespace sanso
