#include "mime/header.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <vector>

#include "core/text.h"
#include "mime/charset.h"

namespace sanso::mime {
namespace {

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Lenient: characters outside the alphabet are skipped, missing padding is tolerated.
std::string decode_base64(std::string_view in) {
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    int v = base64_value(c);
    if (v < 0) continue;
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// RFC 2047 Q (`_` is a space, `=XX` a byte) or RFC 2231 percent-encoding (`%XX`).
std::string decode_q(std::string_view in, bool rfc2047) {
  const char escape = rfc2047 ? '=' : '%';
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (rfc2047 && in[i] == '_') {
      out += ' ';
    } else if (in[i] == escape && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

std::string unfold(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r' || raw[i] == '\n') continue;
    out += raw[i];
  }
  return out;
}

struct EncodedWord {
  std::size_t begin = 0;
  std::size_t end = 0;  // one past "?="
  std::string charset;
  std::string bytes;
};

// The encoded-word starting at `at` ("=?charset?B?text?="), if one does.
std::optional<EncodedWord> encoded_word_at(std::string_view s, std::size_t at) {
  if (s.substr(at, 2) != "=?") return std::nullopt;
  std::size_t q1 = s.find('?', at + 2);
  if (q1 == std::string_view::npos || q1 + 2 >= s.size() || s[q1 + 2] != '?') return std::nullopt;
  char enc = s[q1 + 1];
  if (enc != 'B' && enc != 'b' && enc != 'Q' && enc != 'q') return std::nullopt;
  std::size_t close = s.find("?=", q1 + 3);
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view charset = s.substr(at + 2, q1 - at - 2);
  if (charset.empty() || charset.find_first_of(" \t\"") != std::string_view::npos) return std::nullopt;
  if (auto star = charset.find('*'); star != std::string_view::npos) charset = charset.substr(0, star);  // RFC 2231 language
  std::string_view text = s.substr(q1 + 3, close - q1 - 3);
  EncodedWord w;
  w.begin = at;
  w.end = close + 2;
  w.charset = canonical_charset(charset);
  w.bytes = (enc == 'B' || enc == 'b') ? decode_base64(text) : decode_q(text, true);
  return w;
}

void append_decoded(HeaderText& out, std::string_view bytes, std::string_view charset) {
  DecodedText d = decode_text(bytes, charset);
  out.utf8 += d.utf8;
  out.replaced += d.replaced;
}

}  // namespace

HeaderText decode_header_text(std::string_view raw) {
  const std::string s = unfold(raw);
  HeaderText out;
  std::string pending_charset, pending;
  auto flush = [&] {
    if (!pending.empty() || !pending_charset.empty()) append_decoded(out, pending, pending_charset);
    pending.clear();
    pending_charset.clear();
  };
  std::string literal;
  auto flush_literal = [&] {
    if (literal.empty()) return;
    bool eight = std::any_of(literal.begin(), literal.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    out.raw_8bit = out.raw_8bit || eight;
    append_decoded(out, literal, eight ? "" : "us-ascii");
    literal.clear();
  };
  std::size_t i = 0;
  while (i < s.size()) {
    if (auto w = encoded_word_at(s, i)) {
      flush_literal();
      if (!pending.empty() && w->charset != pending_charset) flush();
      pending_charset = w->charset;
      pending += w->bytes;
      i = w->end;
      // Whitespace between two encoded-words is not text (RFC 2047 §6.2).
      std::size_t j = i;
      while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
      if (j < s.size() && encoded_word_at(s, j)) {
        i = j;
      } else {
        flush();
      }
      continue;
    }
    literal += s[i++];
  }
  flush();
  flush_literal();
  return out;
}

std::optional<HeaderText> decode_parameter(const std::vector<std::pair<std::string, std::string>>& params,
                                           std::string_view name) {
  auto lower = [](std::string v) {
    std::transform(v.begin(), v.end(), v.begin(), [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
    return v;
  };
  const std::string want = lower(std::string(name));
  // RFC 2231: name*, name*0, name*0*, name*1*, … in any order.
  std::map<int, std::pair<bool, std::string>> sections;  // index → (percent-encoded, value)
  std::optional<std::string> plain;
  for (const auto& [key_raw, value] : params) {
    std::string key = lower(key_raw);
    if (key == want) {
      plain = value;
      continue;
    }
    if (key.rfind(want + "*", 0) != 0) continue;
    std::string rest = key.substr(want.size() + 1);
    if (rest.empty()) {  // name*=charset'lang'value
      sections[0] = {true, value};
      continue;
    }
    bool encoded = rest.back() == '*';
    if (encoded) rest.pop_back();
    if (rest.empty() || rest.size() > 3 || !std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    sections[std::stoi(rest)] = {encoded, value};
  }
  if (!sections.empty()) {
    std::string charset, bytes;
    bool first = true;
    for (const auto& [index, section] : sections) {
      std::string_view v = section.second;
      if (first && section.first) {
        // charset'language'value
        auto q1 = v.find('\'');
        auto q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
        if (q2 != std::string_view::npos) {
          charset = std::string(v.substr(0, q1));
          v = v.substr(q2 + 1);
        }
      }
      first = false;
      bytes += section.first ? decode_q(v, false) : std::string(v);
    }
    HeaderText out;
    DecodedText d = decode_text(bytes, charset);
    out.utf8 = d.utf8;
    out.replaced = d.replaced;
    out.raw_8bit = charset.empty() && std::any_of(bytes.begin(), bytes.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    return out;
  }
  if (plain) return decode_header_text(*plain);
  return std::nullopt;
}

namespace {

std::string encode_base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::size_t utf8_length(unsigned char lead) { return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4; }

}  // namespace

std::string with_utf8_encoded_words(std::string_view ascii) {
  const std::string s = unfold(ascii);
  // A word is replaced only when its encoded text is what RFC 2047 5(3) allows in a phrase: then
  // no quote, bracket, comma or white space hides in it that a reader of the raw header would take
  // for structure.
  auto replaceable = [&](const EncodedWord& w) {
    const std::size_t q2 = s.find('?', s.find('?', w.begin + 2) + 1);
    const std::string_view text(s.data() + q2 + 1, w.end - 2 - (q2 + 1));
    return std::all_of(text.begin(), text.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!*+-/=_").find(c) != std::string_view::npos;
    });
  };
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    auto w = encoded_word_at(s, i);
    if (!w || !replaceable(*w)) {
      out += s[i++];
      continue;
    }
    std::string charset = w->charset, bytes = w->bytes;
    i = w->end;
    // Adjacent words of the same charset: one character may be split across them.
    while (true) {
      std::size_t j = i;
      while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
      auto next = j < s.size() ? encoded_word_at(s, j) : std::nullopt;
      if (!next || !replaceable(*next) || next->charset != charset) break;
      bytes += next->bytes;
      i = next->end;
    }
    out += "=?UTF-8?B?" + encode_base64(decode_text(bytes, charset).utf8) + "?=";
  }
  return out;
}

std::string encode_header_text(std::string_view utf8, std::string_view charset) {
  if (std::all_of(utf8.begin(), utf8.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80 && c != '\r' && c != '\n'; })) {
    return std::string(utf8);
  }
  const bool jis = canonical_charset(charset) == "iso-2022-jp";
  const std::string prefix = jis ? "=?ISO-2022-JP?B?" : "=?UTF-8?B?";
  // Each word holds whole characters (and, for ISO-2022-JP, returns to ASCII at its end), so a
  // reader that decodes words one by one still gets every character.
  constexpr std::size_t kMaxWord = 75;
  std::vector<std::string> words;
  std::string chunk;
  auto payload = [&](const std::string& text) { return jis ? encode_iso2022jp(text) : text; };
  auto word_size = [&](const std::string& text) { return prefix.size() + 2 + (payload(text).size() + 2) / 3 * 4; };
  for (std::size_t i = 0; i < utf8.size();) {
    std::size_t n = std::min(utf8_length(static_cast<unsigned char>(utf8[i])), utf8.size() - i);
    std::string next = chunk + std::string(utf8.substr(i, n));
    if (!chunk.empty() && word_size(next) > kMaxWord) {
      words.push_back(prefix + encode_base64(payload(chunk)) + "?=");
      chunk.clear();
      continue;
    }
    chunk = std::move(next);
    i += n;
  }
  if (!chunk.empty()) words.push_back(prefix + encode_base64(payload(chunk)) + "?=");
  std::string out;
  for (std::size_t k = 0; k < words.size(); ++k) out += (k == 0 ? "" : "\r\n ") + words[k];
  return out;
}

std::string address_domain(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : ascii_lower(address.substr(at + 1));
}

std::string percent_encode_ext_value(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_') {
      out += static_cast<char>(c);
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 0xF]};
    }
  }
  return out;
}

std::string extended_parameter_pieces(std::string_view parameter, std::string_view value) {
  std::vector<std::string> pieces(1, "UTF-8''");
  for (std::size_t i = 0; i < value.size();) {
    // One character: a lead byte and the continuation bytes (10xxxxxx) after it, at most three,
    // so that a run of stray continuation bytes cannot make a piece longer than the limit.
    std::size_t end = i + 1;
    while (end < value.size() && end - i < 4 && (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) ++end;
    const std::string encoded = percent_encode_ext_value(value.substr(i, end - i));
    if (pieces.back().size() + encoded.size() > kExtendedPieceOctets) pieces.emplace_back();
    pieces.back() += encoded;
    i = end;
  }
  std::string out;
  for (std::size_t i = 0; i < pieces.size(); ++i) out += ";\r\n " + std::string(parameter) + "*" + std::to_string(i) + "*=" + pieces[i];
  return out;
}

std::string attachment_disposition(std::string_view name, std::string_view ascii) {
  std::string plain;
  for (unsigned char c : ascii) plain += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '%' && c != ';') ? static_cast<char>(c) : '_';
  return "attachment; filename=\"" + plain + "\"; filename*=UTF-8''" + percent_encode_ext_value(name);
}

}  // namespace sanso::mime
