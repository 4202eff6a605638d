// The `data:` URIs of an HTML file. Two readers, because a file leaving the city must not hide one
// from either: libxml2's HTML parser gives each attribute value decoded as a browser decodes it (a
// quote written `&quot;` inside a value does not end it), and a textual pass finds what is not in
// an attribute or what libxml2 reads otherwise than a browser. Both run in time linear in the file:
// a page of "data:data:…" without a comma must not keep the sandbox busy until its timeout.
#include "cdr/internal/data_uris.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <functional>
#include <unordered_map>
#include <utility>

#include "core/text.h"

namespace sanso::cdr::internal {
namespace {

bool url_ignored(char c) { return c == '\t' || c == '\n' || c == '\r'; }

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// The URI as a browser's URL parser takes it: tabs and line breaks gone wherever they are, control
// characters and spaces at either end gone.
std::string url_of(std::string_view written) {
  std::string url;
  url.reserve(written.size());
  for (char c : written) {
    if (!url_ignored(c)) url += c;
  }
  const auto space = [](char c) { return static_cast<unsigned char>(c) <= 0x20; };
  const auto first = std::find_if_not(url.begin(), url.end(), space);
  url.erase(url.begin(), first);
  while (!url.empty() && space(url.back())) url.pop_back();
  return url;
}

bool starts_data(std::string_view url) {
  static constexpr std::string_view kScheme = "data:";
  if (url.size() < kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (lower(url[i]) != kScheme[i]) return false;
  }
  return true;
}

// The next character of a set at or after a position that only grows, remembered: each character
// of the text is looked at once however many URIs ask.
class NextOf {
 public:
  NextOf(std::string_view text, const char* set, std::size_t& steps) : text_(text), set_(set), steps_(steps) {}
  std::size_t from(std::size_t at) {
    if (!known_ || (found_ != std::string_view::npos && found_ < at)) {
      found_ = text_.find_first_of(set_, at);
      steps_ += (found_ == std::string_view::npos ? text_.size() : found_ + 1) - std::min(at, text_.size());
      known_ = true;
    }
    return found_ == std::string_view::npos ? text_.size() : found_;
  }

 private:
  std::string_view text_;
  const char* set_;
  std::size_t& steps_;
  std::size_t found_ = std::string_view::npos;
  bool known_ = false;
};

// The markup with its character references decoded as a browser decodes them: numeric ones with or
// without their ';' (`da&#10ta:` is "da\nta:"), and the named ones that spell a URI's scheme,
// separators, percent signs or base64 padding — HTML5 names (&colon; &Tab; &NewLine; &comma;)
// that libxml2's HTML4 table and mime::decode_character_references() do not know —, the four
// legacy ones also without ';'. Other names are left as written: none spells an ASCII letter.
std::string browser_decoded(std::string_view html) {
  static constexpr std::pair<std::string_view, char> kNamed[] = {
      {"Tab;", '\t'},    {"NewLine;", '\n'}, {"colon;", ':'},  {"comma;", ','},   {"sol;", '/'},    {"semi;", ';'},   {"percnt;", '%'},
      {"equals;", '='},  {"plus;", '+'},     {"lpar;", '('},   {"rpar;", ')'},    {"quot;", '"'},   {"QUOT;", '"'},   {"apos;", '\''},
      {"amp;", '&'},     {"AMP;", '&'},      {"lt;", '<'},     {"LT;", '<'},      {"gt;", '>'},     {"GT;", '>'},     {"nbsp;", ' '},
      {"excl;", '!'},    {"num;", '#'},      {"dollar;", '$'}, {"ast;", '*'},     {"period;", '.'}, {"quest;", '?'},  {"commat;", '@'},
      {"lsqb;", '['},    {"rsqb;", ']'},     {"bsol;", '\\'},  {"lowbar;", '_'},  {"lcub;", '{'},   {"rcub;", '}'},   {"verbar;", '|'},
      {"hyphen;", '-'},  {"dash;", '-'},     {"minus;", '-'},  {"amp", '&'},      {"lt", '<'},      {"gt", '>'},      {"quot", '"'}};
  std::string out;
  out.reserve(html.size());
  for (std::size_t at = 0; at < html.size();) {
    if (html[at] != '&' || at + 1 >= html.size()) {
      out += html[at++];
      continue;
    }
    const std::string_view rest = html.substr(at + 1);
    if (rest[0] == '#') {
      const bool hex = rest.size() > 1 && (rest[1] == 'x' || rest[1] == 'X');
      std::size_t k = hex ? 2 : 1;
      std::uint32_t v = 0;
      const std::size_t first = k;
      for (; k < rest.size() && (hex ? std::isxdigit(static_cast<unsigned char>(rest[k])) : std::isdigit(static_cast<unsigned char>(rest[k]))); ++k) {
        const unsigned digit = std::isdigit(static_cast<unsigned char>(rest[k])) ? rest[k] - '0' : (lower(rest[k]) - 'a' + 10);
        v = std::min<std::uint32_t>(0x110000, v * (hex ? 16 : 10) + digit);
      }
      if (k == first) {  // "&#" with no digits is text
        out += html[at++];
        continue;
      }
      if (k < rest.size() && rest[k] == ';') ++k;
      append_utf8(out, v == 0 || v >= 0x110000 || (v >= 0xD800 && v <= 0xDFFF) ? char32_t{0xFFFD} : static_cast<char32_t>(v));
      at += 1 + k;
      continue;
    }
    bool named = false;
    for (const auto& [name, c] : kNamed) {
      if (!rest.starts_with(name)) continue;
      // A legacy name without ';' before a letter, digit or '=' is text in an attribute.
      const std::size_t after = name.size();
      if (name.back() != ';' && after < rest.size() && (std::isalnum(static_cast<unsigned char>(rest[after])) || rest[after] == '=')) continue;
      out += c;
      at += 1 + after;
      named = true;
      break;
    }
    if (!named) out += html[at++];
  }
  return out;
}

// CSS as a browser's tokenizer reads it (CSS Syntax 3, §4.3.7 "consume an escaped code point"):
// comments gone, a backslash before a line break gone (a string's continuation), `\64 ` the
// code point it spells (up to six hex digits, one white space after them taken with them; 0, a
// surrogate or past U+10FFFF is U+FFFD), a backslash before any other character that character.
// `url(\64 ata:…)`, `u\72l(` and `"da\⏎ta:"` are data: URIs to the browser, so they are to the
// search. Applied to a whole page it may also decode what is no CSS: that finds more, never less.
std::string css_decoded(std::string_view css) {
  std::string out;
  out.reserve(css.size());
  const auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  for (std::size_t at = 0; at < css.size();) {
    if (css.substr(at, 2) == "/*") {
      const std::size_t close = css.find("*/", at + 2);
      at = close == std::string_view::npos ? css.size() : close + 2;  // unclosed: to the end, as the tokenizer
      continue;
    }
    if (css[at] != '\\') {
      out += css[at++];
      continue;
    }
    if (++at >= css.size()) break;  // a backslash at the end is nothing
    if (css[at] == '\n' || css[at] == '\f' || css[at] == '\r') {
      at += css.substr(at, 2) == "\r\n" ? 2 : 1;
      continue;
    }
    if (!hex(css[at])) {
      out += css[at++];
      continue;
    }
    std::uint32_t v = 0;
    for (int digits = 0; digits < 6 && at < css.size() && hex(css[at]); ++digits, ++at) {
      v = v * 16 + static_cast<std::uint32_t>(std::isdigit(static_cast<unsigned char>(css[at])) ? css[at] - '0' : lower(css[at]) - 'a' + 10);
    }
    if (css.substr(at, 2) == "\r\n") at += 2;
    else if (at < css.size() && (css[at] == ' ' || css[at] == '\t' || css[at] == '\n' || css[at] == '\r' || css[at] == '\f')) ++at;
    append_utf8(out, v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) ? char32_t{0xFFFD} : static_cast<char32_t>(v));
  }
  return out;
}

// Whether CSS decoding could change `text` at all (a backslash or a comment in it).
bool css_escaped(std::string_view text) { return text.find('\\') != std::string_view::npos || text.find("/*") != std::string_view::npos; }

// The URIs of `more` that `found` does not hold already, each of `found` matching one of `more`
// once: the same URI written twice is two files, the same one read twice (plain and CSS-decoded)
// one.
void add_unmatched(std::vector<std::string>& found, std::vector<std::string> more, std::size_t from = 0) {
  std::unordered_multimap<std::size_t, std::size_t> unmatched;
  for (std::size_t k = from; k < found.size(); ++k) unmatched.emplace(std::hash<std::string>{}(found[k]), k);
  for (auto& uri : more) {
    auto [first, last] = unmatched.equal_range(std::hash<std::string>{}(uri));
    auto it = first;
    while (it != last && found[it->second] != uri) ++it;
    if (it != last) {
      unmatched.erase(it);
      continue;
    }
    found.push_back(std::move(uri));
  }
}

// Every URI in `text` (a decoded source or one attribute value) where one can start: in a quoted
// value (to its quote, across line breaks, with tabs and line breaks even inside "data:"), after
// `=`, in a CSS url( or a srcset's list; and only with its comma, and for one not quoted with no
// white space before that comma: "metadata:" or a line "Data: …" in the prose is no URI. `add`
// returns false to stop.
void scan_text(std::string_view text, std::size_t& steps, const std::function<bool(std::string)>& add) {
  static constexpr std::string_view kScheme = "data:";
  NextOf comma(text, ",", steps), space(text, " \t\r\n", steps), double_quote(text, "\"", steps), single_quote(text, "'", steps),
      paren(text, ")\"'", steps), bare(text, "\"'()<> \t\r\n", steps);
  for (std::size_t i = 0; i < text.size();) {
    ++steps;
    if (lower(text[i]) != 'd') {
      ++i;
      continue;
    }
    std::size_t j = i + 1, matched = 1;
    for (; j < text.size() && matched < kScheme.size(); ++j, ++steps) {
      if (url_ignored(text[j])) continue;
      if (lower(text[j]) != kScheme[matched]) break;
      ++matched;
    }
    const std::size_t at = i;
    // "data:" repeats no letter of its start, so a mismatch restarts where it failed.
    i = j;
    if (matched < kScheme.size()) continue;
    const char next_to = at == 0 ? ' ' : text[at - 1];
    std::size_t p = at;
    for (; p > 0 && static_cast<unsigned char>(text[p - 1]) <= 0x20; --p) ++steps;
    const char before = p == 0 ? ' ' : text[p - 1];
    const bool quoted = before == '"' || before == '\'';
    const bool spans = j - at != kScheme.size();  // tabs or line breaks inside "data:"
    if (std::string_view("\"'=( \t\r\n,").find(next_to) == std::string_view::npos && std::string_view("\"'=(,").find(before) == std::string_view::npos) {
      continue;
    }
    if (spans && !quoted) continue;  // outside quotes a line break ends the value
    const std::size_t end = before == '"' ? double_quote.from(j) : before == '\'' ? single_quote.from(j) : before == '(' ? paren.from(j) : bare.from(j);
    const std::size_t first_comma = comma.from(j);
    if (first_comma >= end || (!quoted && space.from(j) < first_comma)) continue;
    if (!add(url_of(text.substr(at, end - at)))) return;
    i = std::max(i, end);
  }
}

// Each attribute value of the page as libxml2's HTML parser decodes it, in document order.
void attribute_values(std::string_view html, const std::function<bool(std::string_view)>& take) {
  htmlParserCtxtPtr ctxt = htmlNewParserCtxt();
  if (ctxt == nullptr) return;
  htmlDocPtr doc = htmlCtxtReadMemory(ctxt, html.data(), static_cast<int>(std::min<std::size_t>(html.size(), INT32_MAX)), "page.html", "UTF-8",
                                      HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
  if (doc == nullptr) {
    htmlFreeParserCtxt(ctxt);
    return;
  }
  // Walked without recursion: the parser's own depth limit bounds the tree, this loop needs none.
  const xmlNode* top = reinterpret_cast<const xmlNode*>(doc);
  bool more = true;
  for (const xmlNode* n = doc->children; n != nullptr && more;) {
    if (n->type == XML_ELEMENT_NODE) {
      for (const xmlAttr* a = n->properties; a != nullptr && more; a = a->next) {
        xmlChar* v = xmlNodeListGetString(doc, a->children, 1);
        if (v != nullptr) more = take(reinterpret_cast<const char*>(v));
        xmlFree(v);
      }
    }
    if (n->children != nullptr && n->type == XML_ELEMENT_NODE) {
      n = n->children;
      continue;
    }
    while (n != nullptr && n->next == nullptr) n = n->parent == top ? nullptr : n->parent;
    if (n != nullptr) n = n->next;
  }
  xmlFreeDoc(doc);
  htmlFreeParserCtxt(ctxt);
}

}  // namespace

namespace {

// data: URIs inside data: URIs (a stylesheet's url() inside a data:text/css, a page inside a
// page) are read this deep.
constexpr int kMostNestedDataUris = 4;

void find_in(std::string_view html, std::size_t most, int depth, DataUris& found) {
  const std::size_t start = found.uris.size();
  const auto room = [&] { return found.uris.size() <= most; };
  attribute_values(html, [&](std::string_view value) {
    const std::string url = url_of(value);
    if (starts_data(url)) {
      found.uris.push_back(url);
    } else {
      // A style attribute is CSS: its escapes decoded too, a URI found both ways counted once.
      std::vector<std::string> plain, css;
      std::size_t steps = 0;
      scan_text(value, steps, [&](std::string uri) {
        plain.push_back(std::move(uri));
        return plain.size() <= most;
      });
      if (css_escaped(value)) {
        scan_text(css_decoded(value), steps, [&](std::string uri) {
          css.push_back(std::move(uri));
          return css.size() <= most;
        });
      }
      const std::size_t before = found.uris.size();
      for (auto& uri : plain) found.uris.push_back(std::move(uri));
      add_unmatched(found.uris, std::move(css), before);
    }
    return room();
  });
  if (!room()) return;
  // The textual pass counts a URI the attributes gave already once only: each of theirs matches
  // one of its own (the same URI written twice is two files, as the page holds it twice). Then the
  // same with CSS's escapes and comments decoded (a <style>, a stylesheet), likewise.
  const std::string source = browser_decoded(html);
  std::vector<std::string> textual;
  scan_text(source, found.steps, [&](std::string uri) {
    textual.push_back(std::move(uri));
    return textual.size() <= most + 1;
  });
  add_unmatched(found.uris, std::move(textual), start);
  if (!room()) return;
  if (css_escaped(source)) {
    std::vector<std::string> css;
    scan_text(css_decoded(source), found.steps, [&](std::string uri) {
      css.push_back(std::move(uri));
      return css.size() <= most + 1;
    });
    add_unmatched(found.uris, std::move(css), start);
  }
  if (!room()) {
    found.uris.resize(most + 1);
    return;
  }
  // What each URI holds is searched in turn, as a browser that loads it reads it (a stylesheet's
  // url(), a page's src): its URIs are files too, after those of this level.
  if (depth >= kMostNestedDataUris) return;
  const std::size_t end = found.uris.size();
  for (std::size_t k = start; k < end && room(); ++k) {
    std::string payload;
    if (!decoded_data_uri(found.uris[k], payload) || payload.find_first_of("dD") == std::string::npos) continue;
    find_in(payload, most, depth + 1, found);
  }
  if (found.uris.size() > most + 1) found.uris.resize(most + 1);
}

}  // namespace

DataUris find_data_uris(std::string_view html, std::size_t most) {
  DataUris found;
  find_in(html, most, 0, found);
  return found;
}

bool decoded_data_uri(std::string_view uri, std::string& payload) {
  if (!starts_data(uri)) return false;
  uri.remove_prefix(5);
  const std::size_t comma = uri.find(',');
  if (comma == std::string_view::npos) return false;
  std::string type = ascii_lower(uri.substr(0, comma));
  std::erase_if(type, [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
  const bool base64 = type.ends_with(";base64");
  const std::string_view encoded = uri.substr(comma + 1);
  std::string data;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '%') {
      data += encoded[i];
      continue;
    }
    if (i + 2 >= encoded.size() || !std::isxdigit(static_cast<unsigned char>(encoded[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(encoded[i + 2]))) {
      return false;
    }
    data += static_cast<char>(std::stoi(std::string(encoded.substr(i + 1, 2)), nullptr, 16));
    i += 2;
  }
  payload.clear();
  if (!base64) {
    payload = std::move(data);
    return true;
  }
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::uint32_t bits = 0;
  int count = 0, padding = 0;
  for (char c : data) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') continue;  // as a browser's base64 reader
    if (c == '=') {
      ++padding;
      continue;
    }
    const std::size_t v = kAlphabet.find(c);
    if (v == std::string_view::npos || padding > 0) return false;  // not base64, or data after the padding
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    if (++count % 4 == 0) {
      for (int shift : {16, 8, 0}) payload += static_cast<char>((bits >> shift) & 0xFF);
      bits = 0;
    }
  }
  const int rest = count % 4;
  if (rest == 1 || padding > 2) return false;
  if (rest == 2) payload += static_cast<char>((bits >> 4) & 0xFF);
  if (rest == 3) {
    payload += static_cast<char>((bits >> 10) & 0xFF);
    payload += static_cast<char>((bits >> 2) & 0xFF);
  }
  return true;
}

}  // namespace sanso::cdr::internal
