// Markup whose text a reader sees in another order than it is written, or with text it does not
// hold (review30 H2): `<bdo dir=rtl>810987654321</bdo>` shows 123456789018; a flex row reversed
// shows "9018 5678 1234" as "1234 5678 9018"; `.m::after{content:"5678"}` puts digits between
// others. html_to_text() and the markup read as written keep the written order, so such a page is
// named here and held, not read again in the reader's order. Scanned without a parser, fail-closed:
// a construct found in a comment or an attribute it does not apply to still names the page.
#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include "core/identification_numbers.h"
#include "core/text.h"
#include "mime/html_text.h"

namespace sanso::mime {
namespace {

// Elements written right to left looked at one by one, and the bytes read for them in all; past
// these, the page's digits decide (a page of thousands nested in one another is built to be).
constexpr std::size_t kMostRightToLeftElements = 200;
constexpr std::size_t kMostRightToLeftBytes = std::size_t{16} << 20;

// A digit a number can be written in (ASCII, full width, other scripts' digits), but not the kanji
// numerals: 一 and 三 are in most Japanese words.
bool has_digit(std::string_view t) {
  for (std::size_t i = 0; i < t.size(); ++i) {
    std::size_t length = 0;
    if (numbers::digit_at(t, i, length) < 0) continue;
    const auto lead = static_cast<unsigned char>(t[i]);
    const bool kanji = length == 3 && ((lead >= 0xE4 && lead <= 0xE9) || t.substr(i, 3) == "\xE3\x80\x87" /* 〇 */);
    if (!kanji) return true;
    i += length - 1;
  }
  return false;
}

std::string without_spaces(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\f') out += c;
  }
  return out;
}

// The value of attribute `name` in a tag's attributes (lower-cased), "" when absent; `found` says
// whether it is there.
std::string attribute(std::string_view attributes, std::string_view name, bool& found) {
  found = false;
  for (std::size_t at = attributes.find(name); at != std::string_view::npos; at = attributes.find(name, at + 1)) {
    const bool starts = at == 0 || std::string_view(" \t\r\n/\"'").find(attributes[at - 1]) != std::string_view::npos;
    std::size_t p = at + name.size();
    while (p < attributes.size() && std::isspace(static_cast<unsigned char>(attributes[p]))) ++p;
    if (!starts || p >= attributes.size() || attributes[p] != '=') continue;
    ++p;
    while (p < attributes.size() && std::isspace(static_cast<unsigned char>(attributes[p]))) ++p;
    found = true;
    if (p < attributes.size() && (attributes[p] == '"' || attributes[p] == '\'')) {
      const std::size_t close = attributes.find(attributes[p], p + 1);
      return std::string(attributes.substr(p + 1, (close == std::string_view::npos ? attributes.size() : close) - p - 1));
    }
    const std::size_t end = attributes.find_first_of(" \t\r\n>", p);
    return std::string(attributes.substr(p, (end == std::string_view::npos ? attributes.size() : end) - p));
  }
  return "";
}

// What a style sheet or a style attribute (lower-cased) declares that changes the order or adds
// text, in the flags.
struct Declared {
  bool right_to_left = false, bidi_override = false, reordered = false, generated = false;
};

// A declaration as the browser reads it (CSS Syntax §4.3.7): escapes decoded — "\72 tl" is "rtl",
// "\64 irection" is "direction", "\;" a semicolon —, ASCII letters in lower case. A code point of
// 0, a surrogate or past U+10FFFF is U+FFFD, as the browser reads it.
std::string css_unescaped(std::string_view css) {
  std::string out;
  for (std::size_t i = 0; i < css.size(); ++i) {
    if (css[i] != '\\' || i + 1 == css.size()) {
      out += css[i];
      continue;
    }
    ++i;
    if (css[i] == '\n' || css[i] == '\r' || css[i] == '\f') continue;  // an escaped line end goes on (in a string)
    if (!std::isxdigit(static_cast<unsigned char>(css[i]))) {
      out += css[i];
      continue;
    }
    char32_t c = 0;
    std::size_t taken = 0;
    for (; taken < 6 && i + taken < css.size() && std::isxdigit(static_cast<unsigned char>(css[i + taken])); ++taken) {
      const char h = css[i + taken];
      c = c * 16 + static_cast<char32_t>(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
    }
    i += taken;
    if (i < css.size() && css.substr(i, 2) == "\r\n") ++i;
    else if (i >= css.size() || !(css[i] == ' ' || css[i] == '\t' || css[i] == '\n' || css[i] == '\r' || css[i] == '\f')) --i;  // no white space to take
    if (c == 0 || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) c = 0xFFFD;
    append_utf8(out, c);
  }
  return ascii_lower(out);
}

void declarations(std::string_view css, Declared& d) {
  std::string plain;  // comments out: "dir/**/ection" is not "direction" to a browser, but read so it names no less
  for (std::size_t i = 0; i < css.size(); ++i) {
    if (css.substr(i, 2) == "/*") {
      const std::size_t close = css.find("*/", i + 2);
      if (close == std::string_view::npos) break;
      i = close + 1;
      continue;
    }
    plain += css[i];
  }
  std::size_t from = 0;
  for (std::size_t i = 0; i <= plain.size(); ++i) {
    if (i + 1 < plain.size() && plain[i] == '\\') {
      ++i;  // an escaped ';', '{' or '}' ends nothing
      continue;
    }
    if (i < plain.size() && plain[i] != ';' && plain[i] != '{' && plain[i] != '}') continue;
    const std::string_view written = std::string_view(plain).substr(from, std::min(i, plain.size()) - from);
    const std::string declaration = without_spaces(css_unescaped(written));
    from = i + 1;
    const std::size_t colon = declaration.find(':');
    if (colon == std::string::npos) continue;
    const std::string_view property = std::string_view(declaration).substr(0, colon), value = std::string_view(declaration).substr(colon + 1);
    if (property == "direction" && value.starts_with("rtl")) d.right_to_left = true;
    if (property == "unicode-bidi" && value.find("override") != std::string_view::npos) d.bidi_override = true;
    if ((property == "flex-direction" || property == "flex-flow") && value.find("row-reverse") != std::string_view::npos) d.reordered = true;
    if (property == "order" || property == "grid-area" || property == "grid-column" || property == "grid-row" || property == "grid-column-start" ||
        property == "grid-row-start" || property == "grid-template-areas") {
      d.reordered = true;
    }
    if (property == "content" &&
        (has_digit(value) || written.find('\\') != std::string_view::npos || value.find("attr(") != std::string_view::npos || value.find("counter") != std::string_view::npos)) {
      d.generated = true;
    }
  }
}

// The text inside the element whose start tag ends at `from` (its name `name`), tags taken out: up
// to its matching end tag, elements of the same name nested in it counted, or to the end.
// `budget` is charged with the bytes looked at.
std::string inner_text(std::string_view page, std::size_t from, std::string_view name, std::size_t& budget) {
  std::size_t depth = 1, at = from;
  std::string text;
  while (at < page.size() && at - from < budget) {
    const std::size_t open = page.find('<', at);
    text.append(page.substr(at, (open == std::string_view::npos ? page.size() : open) - at));
    if (open == std::string_view::npos) break;
    const bool closing = page.substr(open + 1, 1) == "/";
    const std::size_t name_at = open + (closing ? 2 : 1);
    const bool same = page.substr(name_at, name.size()) == name &&
                      (name_at + name.size() >= page.size() || !std::isalnum(static_cast<unsigned char>(page[name_at + name.size()])));
    if (same && closing && --depth == 0) break;
    if (same && !closing) ++depth;
    const std::size_t close = page.find('>', open);
    if (close == std::string_view::npos) break;
    at = close + 1;
  }
  budget -= std::min(budget, at - from);
  return text;
}

}  // namespace

std::string html_reordering(std::string_view html) {
  const std::string page = ascii_lower(decode_character_references(html));
  Declared sheet;           // <style> blocks
  Declared inline_styles;   // style attributes
  std::string body;         // text outside tags, style and script
  std::size_t right_to_left_elements = 0, right_to_left_budget = kMostRightToLeftBytes;
  std::string reason;
  for (std::size_t at = 0; at < page.size();) {
    const std::size_t open = page.find('<', at);
    body.append(page, at, (open == std::string::npos ? page.size() : open) - at);
    if (open == std::string::npos) break;
    if (page.compare(open, 4, "<!--") == 0) {
      const std::size_t close = page.find("-->", open + 4);
      at = close == std::string::npos ? page.size() : close + 3;
      continue;
    }
    // The tag's end: its first '>' outside quoted attribute values.
    std::size_t close = open + 1;
    for (char quote = 0; close < page.size(); ++close) {
      const char c = page[close];
      if (quote != 0) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '>') {
        break;
      }
    }
    if (close >= page.size()) break;
    std::size_t name_end = open + 1;
    while (name_end < close && (std::isalnum(static_cast<unsigned char>(page[name_end])) || page[name_end] == '-')) ++name_end;
    const std::string name = page.substr(open + 1, name_end - open - 1);
    const std::string_view attributes = std::string_view(page).substr(name_end, close - name_end);
    at = close + 1;
    if (name == "style" || name == "script") {
      const std::size_t end = page.find("</" + name, at);
      if (name == "style") declarations(std::string_view(page).substr(at, (end == std::string::npos ? page.size() : end) - at), sheet);
      at = end == std::string::npos ? page.size() : end;
      continue;
    }
    if (name.empty()) continue;
    bool has_style = false, has_dir = false;
    Declared own;
    declarations(attribute(attributes, "style", has_style), own);
    inline_styles.bidi_override = inline_styles.bidi_override || own.bidi_override;
    inline_styles.reordered = inline_styles.reordered || own.reordered;
    inline_styles.generated = inline_styles.generated || own.generated;
    const bool rtl = without_spaces(attribute(attributes, "dir", has_dir)) == "rtl" || own.right_to_left;
    if (rtl && reason.empty() && !attributes.ends_with("/")) {
      if (++right_to_left_elements > kMostRightToLeftElements || right_to_left_budget == 0) {
        inline_styles.right_to_left = true;  // too many to look at one by one: the page's digits decide
      } else if (has_digit(inner_text(page, at, name, right_to_left_budget))) {
        reason = name == "bdo" ? "a <bdo dir=rtl> shows its digits in reverse order" : "text written right to left (dir=rtl, direction:rtl) has digits, whose groups a reader sees in another order";
      } else if (right_to_left_budget == 0) {
        inline_styles.right_to_left = true;  // cut short: the page's digits decide
      }
    }
  }
  if (!reason.empty()) return "unsupported: the HTML's " + reason + "; what a reader sees is not read";
  const bool digits = has_digit(body);
  if (sheet.generated || inline_styles.generated) return "unsupported: the HTML's style adds text of its own (::before / ::after content with digits, escapes, attr() or counters); what a reader sees is not read";
  if (!digits) return "";
  if (sheet.bidi_override || inline_styles.bidi_override) return "unsupported: the HTML's style overrides the direction of its text (unicode-bidi), and it has digits; what a reader sees is not read";
  if (sheet.reordered || inline_styles.reordered) return "unsupported: the HTML's style shows its items in another order (flex row-reverse, order, grid placement), and it has digits; what a reader sees is not read";
  if (sheet.right_to_left || inline_styles.right_to_left) return "unsupported: the HTML's style writes text right to left (direction:rtl), and it has digits; what a reader sees is not read";
  return "";
}

}  // namespace sanso::mime
