#include "mime/html_style.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "core/text.h"

namespace sanso::mime {
namespace {

// The properties that decide visibility; every other declaration is ignored when read.
constexpr std::string_view kProperties[] = {
    "display",   "visibility", "opacity",  "font-size", "font",       "color",      "background-color", "background",
    "background-image", "mso-hide", "position", "left",   "top",        "text-indent", "margin-left",    "margin-top",
    "height",    "max-height", "width",    "max-width", "overflow",   "overflow-x", "overflow-y",       "transform",
    "clip",      "margin"};

bool relevant(std::string_view property) { return std::find(std::begin(kProperties), std::end(kProperties), property) != std::end(kProperties); }

// Beyond these, rules are not evaluated (a stylesheet built to make every element slow to style).
constexpr std::size_t kMaxRules = 4096;
constexpr std::size_t kMaxMatchSteps = 4096;

// Distances at which text is off the page, a box is too small to show a glyph, text is too
// small to read, and an element too transparent to see.
constexpr double kOffScreenPx = -500;
constexpr double kCollapsedPx = 1;
constexpr double kUnreadablePx = 3;
constexpr double kInvisibleOpacity = 0.1;
// WCAG contrast ratio below which text does not stand out from its backdrop (#f5f5f5 on white).
constexpr double kInvisibleContrast = 1.1;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

std::string_view trim_view(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}


// A CSS escape at s[i] == '\\': appended decoded to `out`, `i` moved past it.
void take_escape(std::string_view s, std::size_t& i, std::string& out) {
  ++i;
  if (i >= s.size()) return;
  if (s[i] == '\n') {  // an escaped line break continues the line
    ++i;
    return;
  }
  if (std::isxdigit(static_cast<unsigned char>(s[i]))) {
    unsigned long c = 0;
    std::size_t n = 0;
    for (; i < s.size() && n < 6 && std::isxdigit(static_cast<unsigned char>(s[i])); ++i, ++n) {
      const char h = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
      c = c * 16 + static_cast<unsigned long>(h <= '9' ? h - '0' : h - 'a' + 10);
    }
    if (i < s.size() && is_space(s[i])) ++i;  // one white space ends a hex escape
    if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = 0xFFFD;  // as CSS reads them
    append_utf8(out, static_cast<char32_t>(c));
    return;
  }
  out += s[i++];
}

// One pass of CSS's tokenizer over a stretch of text, as far as structure goes: comments out,
// escapes decoded, strings and parentheses kept whole. `on_structural(c, cooked)` sees each
// unescaped structural character outside strings and parentheses and returns false to stop.
template <typename F>
std::size_t scan(std::string_view s, std::size_t i, std::string& cooked, std::string_view structural, F on_structural) {
  int depth = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      auto end = s.find("*/", i + 2);
      i = end == std::string_view::npos ? s.size() : end + 2;
      cooked += ' ';
      continue;
    }
    if (c == '\\') {
      take_escape(s, i, cooked);
      continue;
    }
    if (c == '"' || c == '\'') {
      cooked += c;
      for (++i; i < s.size() && s[i] != c && s[i] != '\n'; ++i) {
        if (s[i] == '\\') {
          take_escape(s, i, cooked);
          --i;
          continue;
        }
        cooked += s[i];
      }
      if (i < s.size()) cooked += s[i++];
      continue;
    }
    if (c == '(' || c == '[') ++depth;
    if ((c == ')' || c == ']') && depth > 0) --depth;
    if (depth == 0 && structural.find(c) != std::string_view::npos) {
      if (!on_structural(c, cooked)) return i;
    } else {
      cooked += c;
    }
    ++i;
  }
  return i;
}

struct Declaration {
  std::string property;
  std::string value;  // lower-case, trimmed, without !important
  bool important = false;
};

std::vector<Declaration> parse_declarations(std::string_view block) {
  std::vector<Declaration> out;
  std::string cur;
  auto finish = [&] {
    auto colon = cur.find(':');
    if (colon != std::string::npos) {
      Declaration d;
      d.property = ascii_lower(std::string(trim_view(std::string_view(cur).substr(0, colon))));
      std::string value = ascii_lower(std::string(trim_view(std::string_view(cur).substr(colon + 1))));
      auto bang = value.rfind('!');
      if (bang != std::string::npos && trim_view(std::string_view(value).substr(bang + 1)) == "important") {
        d.important = true;
        value = std::string(trim_view(std::string_view(value).substr(0, bang)));
      }
      d.value = std::move(value);
      if (relevant(d.property)) out.push_back(std::move(d));
    }
    cur.clear();
  };
  scan(block, 0, cur, ";", [&](char, std::string&) {
    finish();
    return true;
  });
  finish();
  return out;
}

struct Compound;

// [name], [name=value], [name~=value], ^= $= *= |= (values compared without case: quirks mode).
struct AttributeTest {
  std::string name;
  char op = 0;  // 0: present; '=', '~', '^', '$', '*', '|'
  std::string value;
};

// The structural pseudo-classes: an+b counts among element siblings (of the same type for
// -of-type), from the end for -last-.
struct Position {
  int a = 0, b = 1;
  bool from_end = false;
  bool of_type = false;
};

struct Compound {
  std::string tag;  // lower-case; "" for any
  std::string id;   // lower-case
  std::vector<std::string> classes;
  std::vector<AttributeTest> attributes;
  std::vector<Position> positions;
  std::vector<Compound> nots;  // :not(…): none of these may match
};

// "odd", "even", "3", "2n+1", "-n+3", "n" as a and b; nullopt when it is none of them.
std::optional<std::pair<int, int>> parse_nth(std::string_view text) {
  std::string t;
  for (char c : text) {
    if (!is_space(c)) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (t == "odd") return std::pair{2, 1};
  if (t == "even") return std::pair{2, 0};
  auto number = [](std::string_view s, int& out) {
    if (s.empty() || s.size() > 6) return false;
    std::size_t k = s[0] == '+' || s[0] == '-' ? 1 : 0;
    if (k == s.size()) return false;
    for (std::size_t j = k; j < s.size(); ++j) {
      if (!std::isdigit(static_cast<unsigned char>(s[j]))) return false;
    }
    out = std::atoi(std::string(s).c_str());
    return true;
  };
  auto n = t.find('n');
  int a = 0, b = 0;
  if (n == std::string::npos) return number(t, b) ? std::optional(std::pair{0, b}) : std::nullopt;
  std::string_view head = std::string_view(t).substr(0, n), tail = std::string_view(t).substr(n + 1);
  if (head.empty() || head == "+") a = 1;
  else if (head == "-") a = -1;
  else if (!number(head, a)) return std::nullopt;
  if (!tail.empty() && !number(tail, b)) return std::nullopt;
  return std::pair{a, b};
}

struct Selector {
  std::vector<Compound> compounds;  // left to right
  std::vector<char> combinators;    // between compounds: ' ', '>', '+', '~'
  std::tuple<int, int, int> specificity;
};

std::optional<Selector> parse_selector(std::string_view text, int nesting = 0) {
  Selector sel;
  int ids = 0, classes = 0, tags = 0;
  std::size_t i = 0;
  char pending = 0;
  text = trim_view(text);
  if (text.empty()) return std::nullopt;
  auto ident = [&](std::string& out) {
    std::size_t start = i;
    while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '-' || text[i] == '_' ||
                               static_cast<unsigned char>(text[i]) >= 0x80)) {
      ++i;
    }
    out = ascii_lower(std::string(text.substr(start, i - start)));
    return !out.empty();
  };
  while (i < text.size()) {
    if (is_space(text[i]) || text[i] == '>' || text[i] == '+' || text[i] == '~') {
      char comb = ' ';
      while (i < text.size() && (is_space(text[i]) || text[i] == '>' || text[i] == '+' || text[i] == '~')) {
        if (!is_space(text[i])) {
          if (comb != ' ') return std::nullopt;
          comb = text[i];
        }
        ++i;
      }
      if (sel.compounds.empty()) return std::nullopt;
      pending = comb;
      continue;
    }
    Compound c;
    bool any = false;
    if (text[i] == '*') {
      ++i;
      any = true;
    } else if (std::isalpha(static_cast<unsigned char>(text[i]))) {
      ident(c.tag);
      ++tags;
      any = true;
    }
    while (i < text.size() && (text[i] == '.' || text[i] == '#' || text[i] == '[' || text[i] == ':')) {
      const char kind = text[i++];
      std::string name;
      if (kind == '[') {
        AttributeTest test;
        while (i < text.size() && is_space(text[i])) ++i;
        if (!ident(test.name)) return std::nullopt;
        while (i < text.size() && is_space(text[i])) ++i;
        if (i < text.size() && std::string_view("~^$*|").find(text[i]) != std::string_view::npos && i + 1 < text.size() && text[i + 1] == '=') {
          test.op = text[i];
          i += 2;
        } else if (i < text.size() && text[i] == '=') {
          test.op = '=';
          ++i;
        }
        if (test.op != 0) {
          while (i < text.size() && is_space(text[i])) ++i;
          if (i < text.size() && (text[i] == '"' || text[i] == '\'')) {
            const char quote = text[i++];
            auto end = text.find(quote, i);
            if (end == std::string_view::npos) return std::nullopt;
            test.value = ascii_lower(std::string(text.substr(i, end - i)));
            i = end + 1;
          } else if (!ident(test.value)) {
            return std::nullopt;
          }
          while (i < text.size() && is_space(text[i])) ++i;
          if (i < text.size() && (text[i] == 'i' || text[i] == 'I' || text[i] == 's' || text[i] == 'S')) ++i;
          while (i < text.size() && is_space(text[i])) ++i;
        }
        if (i >= text.size() || text[i] != ']') return std::nullopt;
        ++i;
        c.attributes.push_back(std::move(test));
        ++classes;
        any = true;
        continue;
      }
      if (kind == ':') {
        // A pseudo-element (::before) or a state (:hover) never hides the element's own text at rest.
        if (!ident(name)) return std::nullopt;
        std::string argument;
        if (i < text.size() && text[i] == '(') {
          auto close = text.find(')', i);
          if (close == std::string_view::npos) return std::nullopt;
          argument = std::string(text.substr(i + 1, close - i - 1));
          i = close + 1;
        }
        ++classes;
        any = true;
        if (name == "first-child" || name == "last-child" || name == "first-of-type" || name == "last-of-type") {
          c.positions.push_back({0, 1, name.starts_with("last"), name.ends_with("of-type")});
        } else if (name == "only-child" || name == "only-of-type") {
          const bool of_type = name == "only-of-type";
          c.positions.push_back({0, 1, false, of_type});
          c.positions.push_back({0, 1, true, of_type});
        } else if (name == "nth-child" || name == "nth-last-child" || name == "nth-of-type" || name == "nth-last-of-type") {
          auto ab = parse_nth(argument);
          if (!ab) return std::nullopt;
          c.positions.push_back({ab->first, ab->second, name.find("last") != std::string::npos, name.ends_with("of-type")});
        } else if (name == "not" && nesting == 0) {
          // Each selector of the list a single compound (the selectors level 3 form, and more).
          std::vector<std::string> parts(1);
          for (char ch : argument) {
            if (ch == ',') parts.emplace_back();
            else parts.back() += ch;
          }
          for (const auto& part : parts) {
            auto inner = parse_selector(part, nesting + 1);
            if (!inner || inner->compounds.size() != 1) return std::nullopt;
            c.nots.push_back(std::move(inner->compounds.front()));
          }
        } else if (name == "root") {
          c.tag = c.tag.empty() || c.tag == "html" ? "html" : "-none-";
        } else {
          return std::nullopt;  // states, pseudo-elements and the rest: the rule is not evaluated
        }
        continue;
      }
      if (!ident(name)) return std::nullopt;
      if (kind == '.') {
        c.classes.push_back(std::move(name));
        ++classes;
      } else {
        c.id = std::move(name);
        ++ids;
      }
      any = true;
    }
    // Anything else: not evaluated.
    if (!any || (i < text.size() && !is_space(text[i]) && text[i] != '>' && text[i] != '+' && text[i] != '~')) return std::nullopt;
    if (!sel.compounds.empty()) sel.combinators.push_back(pending == 0 ? ' ' : pending);
    pending = 0;
    sel.compounds.push_back(std::move(c));
  }
  if (sel.compounds.empty() || pending != 0) return std::nullopt;
  sel.specificity = {ids, classes, tags};
  return sel;
}

struct Rule {
  Selector selector;
  std::vector<Declaration> declarations;
  std::size_t order = 0;
};

std::optional<double> parse_length(std::string_view v, double em, std::optional<double> percent_of = std::nullopt);

// Whether a media query list applies to the reader this text stands for: a desktop mail client
// on screen, 1024 px wide, in light mode. Print-only and dark-mode rules do not apply (a
// dark-mode rule applied alone would make dark text on a light page look hidden); width queries
// are evaluated; a feature not known here applies.
bool media_applies(std::string_view list) {
  constexpr double kViewportPx = 1024;
  std::string all = ascii_lower(std::string(list));
  std::size_t start = 0;
  while (start <= all.size()) {
    std::size_t comma = all.find(',', start);
    std::string q = all.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? all.size() + 1 : comma + 1;
    bool applies = true;
    if (q.find("print") != std::string::npos || q.find("speech") != std::string::npos) applies = false;
    if (q.find("prefers-color-scheme") != std::string::npos && q.find("dark") != std::string::npos) applies = false;
    for (const auto& [feature, is_max] : {std::pair<std::string_view, bool>{"max-width", true}, {"min-width", false},
                                          {"max-device-width", true}, {"min-device-width", false}}) {
      for (auto at = q.find(feature); at != std::string::npos; at = q.find(feature, at + 1)) {
        if (at > 0 && (q[at - 1] == '-' || std::isalpha(static_cast<unsigned char>(q[at - 1])))) continue;  // max-device-width ≠ device-width
        auto colon = q.find(':', at);
        if (colon == std::string::npos) continue;
        auto px = parse_length(q.substr(colon + 1, q.find(')', colon) - colon - 1), 16);
        if (px && (is_max ? kViewportPx > *px : kViewportPx < *px)) applies = false;
      }
    }
    if (q.find("not ") != std::string::npos) applies = !applies;
    if (applies) return true;
  }
  return false;
}

void parse_sheet(std::string_view css, std::vector<Rule>& rules, int nesting = 0) {
  std::size_t i = 0;
  while (i < css.size() && rules.size() < kMaxRules) {
    std::string prelude;
    char hit = 0;
    i = scan(css, i, prelude, "{};", [&](char c, std::string&) {
      hit = c;
      return false;
    });
    if (hit == 0) return;
    ++i;
    if (hit != '{') continue;  // "@import …;" and stray closing braces
    // The block: up to its matching brace.
    std::string block;
    int depth = 1;
    i = scan(css, i, block, "{}", [&](char c, std::string& cooked) {
      depth += c == '{' ? 1 : -1;
      if (depth == 0) return false;
      cooked += c;
      return true;
    });
    ++i;
    std::string_view p = trim_view(prelude);
    while (p.starts_with("<!--") || p.starts_with("-->")) p = trim_view(p.substr(p.starts_with("<!--") ? 4 : 3));
    if (p.starts_with('@')) {
      std::string at = ascii_lower(std::string(p.substr(0, p.find_first_of(" \t\r\n({"))));
      if ((at == "@media" && media_applies(p.substr(6))) || at == "@supports" || at == "@document") {
        if (nesting < 8) parse_sheet(block, rules, nesting + 1);
      }
      continue;
    }
    std::vector<Declaration> declarations = parse_declarations(block);
    if (declarations.empty()) continue;
    std::string list;
    std::vector<std::string> selectors;
    scan(p, 0, list, ",", [&](char, std::string& cooked) {
      selectors.push_back(std::move(cooked));
      cooked.clear();
      return true;
    });
    selectors.push_back(std::move(list));
    for (const auto& s : selectors) {
      if (auto sel = parse_selector(s)) {
        if (rules.size() >= kMaxRules) return;
        rules.push_back({std::move(*sel), declarations, rules.size()});
      }
    }
  }
}

std::string attr(const xmlNode* n, const char* name) {
  for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
    if (a->name == nullptr || xmlStrcasecmp(a->name, reinterpret_cast<const xmlChar*>(name)) != 0) continue;
    xmlChar* v = xmlNodeListGetString(n->doc, a->children, 1);
    std::string out = v != nullptr ? reinterpret_cast<const char*>(v) : "";
    xmlFree(v);
    return out;
  }
  return {};
}

bool has_attr(const xmlNode* n, const char* name) {
  for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
    if (a->name != nullptr && xmlStrcasecmp(a->name, reinterpret_cast<const xmlChar*>(name)) == 0) return true;
  }
  return false;
}

std::string tag_of(const xmlNode* n) { return n->name != nullptr ? ascii_lower(reinterpret_cast<const char*>(n->name)) : ""; }

// Mail HTML mostly has no doctype: quirks mode, where class and id match without case.
const xmlNode* element_before(const xmlNode* n);
const xmlNode* element_after(const xmlNode* n);

bool attribute_matches(const AttributeTest& t, const xmlNode* n) {
  if (!has_attr(n, t.name.c_str())) return false;
  if (t.op == 0) return true;
  const std::string v = ascii_lower(attr(n, t.name.c_str()));
  switch (t.op) {
    case '=': return v == t.value;
    case '^': return !t.value.empty() && v.starts_with(t.value);
    case '$': return !t.value.empty() && v.ends_with(t.value);
    case '*': return !t.value.empty() && v.find(t.value) != std::string::npos;
    case '|': return v == t.value || v.starts_with(t.value + "-");
    case '~': {
      std::string_view rest(v);
      while (!rest.empty()) {
        rest = trim_view(rest);
        auto end = static_cast<std::size_t>(std::find_if(rest.begin(), rest.end(), is_space) - rest.begin());
        if (!t.value.empty() && rest.substr(0, end) == t.value) return true;
        rest.remove_prefix(end);
      }
      return false;
    }
    default: return false;
  }
}

// Siblings are counted up to a bound, each one a step of the document's matching budget.
bool position_matches(const Position& p, const xmlNode* n, std::size_t& steps) {
  long index = 1;
  const std::string tag = p.of_type ? tag_of(n) : std::string();
  for (const xmlNode* s = p.from_end ? element_after(n) : element_before(n); s != nullptr && index < 100000;
       s = p.from_end ? element_after(s) : element_before(s)) {
    if (!p.of_type || tag_of(s) == tag) ++index;
    if (++steps > kMaxMatchSteps) return false;
  }
  if (p.a == 0) return index == p.b;
  const long diff = index - p.b;
  return diff % p.a == 0 && diff / p.a >= 0;
}

bool matches(const Compound& c, const xmlNode* n, std::size_t& steps) {
  if (n == nullptr || n->type != XML_ELEMENT_NODE) return false;
  for (const auto& t : c.attributes) {
    if (!attribute_matches(t, n)) return false;
  }
  for (const auto& p : c.positions) {
    if (!position_matches(p, n, steps)) return false;
  }
  for (const auto& other : c.nots) {
    if (matches(other, n, steps)) return false;
  }
  if (!c.tag.empty() && tag_of(n) != c.tag) return false;
  if (!c.id.empty() && ascii_lower(attr(n, "id")) != c.id) return false;
  if (!c.classes.empty()) {
    std::string list = ascii_lower(attr(n, "class"));
    std::vector<std::string_view> mine;
    std::string_view rest(list);
    while (!rest.empty()) {
      rest = trim_view(rest);
      auto end = std::find_if(rest.begin(), rest.end(), is_space) - rest.begin();
      if (end > 0) mine.push_back(rest.substr(0, static_cast<std::size_t>(end)));
      rest.remove_prefix(static_cast<std::size_t>(end));
    }
    for (const auto& cls : c.classes) {
      if (std::find(mine.begin(), mine.end(), cls) == mine.end()) return false;
    }
  }
  return true;
}

const xmlNode* element_parent(const xmlNode* n) {
  const xmlNode* p = n->parent;
  return p != nullptr && p->type == XML_ELEMENT_NODE ? p : nullptr;
}

const xmlNode* element_before(const xmlNode* n) {
  for (const xmlNode* p = n->prev; p != nullptr; p = p->prev) {
    if (p->type == XML_ELEMENT_NODE) return p;
  }
  return nullptr;
}

const xmlNode* element_after(const xmlNode* n) {
  for (const xmlNode* p = n->next; p != nullptr; p = p->next) {
    if (p->type == XML_ELEMENT_NODE) return p;
  }
  return nullptr;
}

// Right to left, with backtracking bounded by `steps`.
bool matches_from(const Selector& s, std::size_t k, const xmlNode* n, std::size_t& steps) {
  if (++steps > kMaxMatchSteps) return false;
  if (!matches(s.compounds[k], n, steps)) return false;
  if (k == 0) return true;
  const char comb = s.combinators[k - 1];
  if (comb == '>') return matches_from(s, k - 1, element_parent(n), steps);
  if (comb == '+') return matches_from(s, k - 1, element_before(n), steps);
  if (comb == '~') {
    for (const xmlNode* p = element_before(n); p != nullptr && steps <= kMaxMatchSteps; p = element_before(p)) {
      if (matches_from(s, k - 1, p, steps)) return true;
    }
    return false;
  }
  for (const xmlNode* p = element_parent(n); p != nullptr && steps <= kMaxMatchSteps; p = element_parent(p)) {
    if (matches_from(s, k - 1, p, steps)) return true;
  }
  return false;
}

struct Rgba {
  double r = 0, g = 0, b = 0, a = 1;
};

struct NamedColour {
  std::string_view name;
  unsigned rgb;
};
// CSS Color 4's named colours.
constexpr NamedColour kNamed[] = {
    {"aliceblue", 0xf0f8ff}, {"antiquewhite", 0xfaebd7}, {"aqua", 0x00ffff}, {"aquamarine", 0x7fffd4}, {"azure", 0xf0ffff},
    {"beige", 0xf5f5dc}, {"bisque", 0xffe4c4}, {"black", 0x000000}, {"blanchedalmond", 0xffebcd}, {"blue", 0x0000ff},
    {"blueviolet", 0x8a2be2}, {"brown", 0xa52a2a}, {"burlywood", 0xdeb887}, {"cadetblue", 0x5f9ea0}, {"chartreuse", 0x7fff00},
    {"chocolate", 0xd2691e}, {"coral", 0xff7f50}, {"cornflowerblue", 0x6495ed}, {"cornsilk", 0xfff8dc}, {"crimson", 0xdc143c},
    {"cyan", 0x00ffff}, {"darkblue", 0x00008b}, {"darkcyan", 0x008b8b}, {"darkgoldenrod", 0xb8860b}, {"darkgray", 0xa9a9a9},
    {"darkgreen", 0x006400}, {"darkgrey", 0xa9a9a9}, {"darkkhaki", 0xbdb76b}, {"darkmagenta", 0x8b008b}, {"darkolivegreen", 0x556b2f},
    {"darkorange", 0xff8c00}, {"darkorchid", 0x9932cc}, {"darkred", 0x8b0000}, {"darksalmon", 0xe9967a}, {"darkseagreen", 0x8fbc8f},
    {"darkslateblue", 0x483d8b}, {"darkslategray", 0x2f4f4f}, {"darkslategrey", 0x2f4f4f}, {"darkturquoise", 0x00ced1},
    {"darkviolet", 0x9400d3}, {"deeppink", 0xff1493}, {"deepskyblue", 0x00bfff}, {"dimgray", 0x696969}, {"dimgrey", 0x696969},
    {"dodgerblue", 0x1e90ff}, {"firebrick", 0xb22222}, {"floralwhite", 0xfffaf0}, {"forestgreen", 0x228b22}, {"fuchsia", 0xff00ff},
    {"gainsboro", 0xdcdcdc}, {"ghostwhite", 0xf8f8ff}, {"gold", 0xffd700}, {"goldenrod", 0xdaa520}, {"gray", 0x808080},
    {"green", 0x008000}, {"greenyellow", 0xadff2f}, {"grey", 0x808080}, {"honeydew", 0xf0fff0}, {"hotpink", 0xff69b4},
    {"indianred", 0xcd5c5c}, {"indigo", 0x4b0082}, {"ivory", 0xfffff0}, {"khaki", 0xf0e68c}, {"lavender", 0xe6e6fa},
    {"lavenderblush", 0xfff0f5}, {"lawngreen", 0x7cfc00}, {"lemonchiffon", 0xfffacd}, {"lightblue", 0xadd8e6}, {"lightcoral", 0xf08080},
    {"lightcyan", 0xe0ffff}, {"lightgoldenrodyellow", 0xfafad2}, {"lightgray", 0xd3d3d3}, {"lightgreen", 0x90ee90}, {"lightgrey", 0xd3d3d3},
    {"lightpink", 0xffb6c1}, {"lightsalmon", 0xffa07a}, {"lightseagreen", 0x20b2aa}, {"lightskyblue", 0x87cefa},
    {"lightslategray", 0x778899}, {"lightslategrey", 0x778899}, {"lightsteelblue", 0xb0c4de}, {"lightyellow", 0xffffe0},
    {"lime", 0x00ff00}, {"limegreen", 0x32cd32}, {"linen", 0xfaf0e6}, {"magenta", 0xff00ff}, {"maroon", 0x800000},
    {"mediumaquamarine", 0x66cdaa}, {"mediumblue", 0x0000cd}, {"mediumorchid", 0xba55d3}, {"mediumpurple", 0x9370db},
    {"mediumseagreen", 0x3cb371}, {"mediumslateblue", 0x7b68ee}, {"mediumspringgreen", 0x00fa9a}, {"mediumturquoise", 0x48d1cc},
    {"mediumvioletred", 0xc71585}, {"midnightblue", 0x191970}, {"mintcream", 0xf5fffa}, {"mistyrose", 0xffe4e1}, {"moccasin", 0xffe4b5},
    {"navajowhite", 0xffdead}, {"navy", 0x000080}, {"oldlace", 0xfdf5e6}, {"olive", 0x808000}, {"olivedrab", 0x6b8e23},
    {"orange", 0xffa500}, {"orangered", 0xff4500}, {"orchid", 0xda70d6}, {"palegoldenrod", 0xeee8aa}, {"palegreen", 0x98fb98},
    {"paleturquoise", 0xafeeee}, {"palevioletred", 0xdb7093}, {"papayawhip", 0xffefd5}, {"peachpuff", 0xffdab9}, {"peru", 0xcd853f},
    {"pink", 0xffc0cb}, {"plum", 0xdda0dd}, {"powderblue", 0xb0e0e6}, {"purple", 0x800080}, {"rebeccapurple", 0x663399},
    {"red", 0xff0000}, {"rosybrown", 0xbc8f8f}, {"royalblue", 0x4169e1}, {"saddlebrown", 0x8b4513}, {"salmon", 0xfa8072},
    {"sandybrown", 0xf4a460}, {"seagreen", 0x2e8b57}, {"seashell", 0xfff5ee}, {"sienna", 0xa0522d}, {"silver", 0xc0c0c0},
    {"skyblue", 0x87ceeb}, {"slateblue", 0x6a5acd}, {"slategray", 0x708090}, {"slategrey", 0x708090}, {"snow", 0xfffafa},
    {"springgreen", 0x00ff7f}, {"steelblue", 0x4682b4}, {"tan", 0xd2b48c}, {"teal", 0x008080}, {"thistle", 0xd8bfd8},
    {"tomato", 0xff6347}, {"turquoise", 0x40e0d0}, {"violet", 0xee82ee}, {"wheat", 0xf5deb3}, {"white", 0xffffff},
    {"whitesmoke", 0xf5f5f5}, {"yellow", 0xffff00}, {"yellowgreen", 0x9acd32}};

// The numbers inside "rgb(…)" / "hsl(…)": commas, spaces and "/" all separate; "%" kept as a flag.
std::vector<std::pair<double, bool>> function_arguments(std::string_view inside) {
  std::vector<std::pair<double, bool>> out;
  std::string s(inside);
  std::replace_if(s.begin(), s.end(), [](char c) { return c == ',' || c == '/'; }, ' ');
  const char* p = s.c_str();
  while (*p != '\0') {
    while (*p == ' ' || is_space(*p)) ++p;
    if (*p == '\0') break;
    char* end = nullptr;
    double v = std::strtod(p, &end);
    if (end == p) return {};
    bool percent = *end == '%';
    if (percent) ++end;
    while (std::isalpha(static_cast<unsigned char>(*end))) ++end;  // "deg", "turn"
    out.emplace_back(v, percent);
    p = end;
  }
  return out;
}

double hue_to_rgb(double p, double q, double t) {
  if (t < 0) t += 1;
  if (t > 1) t -= 1;
  if (t < 1.0 / 6) return p + (q - p) * 6 * t;
  if (t < 0.5) return q;
  if (t < 2.0 / 3) return p + (q - p) * (2.0 / 3 - t) * 6;
  return p;
}

// A colour value (CSS, or a legacy attribute when `legacy`: "fff" and "ffffff" without '#').
std::optional<Rgba> parse_colour(std::string_view v, bool legacy = false) {
  v = trim_view(v);
  std::string s = ascii_lower(std::string(v));
  if (s == "transparent") return Rgba{0, 0, 0, 0};
  for (const auto& c : kNamed) {
    if (c.name == s) return Rgba{double(c.rgb >> 16), double((c.rgb >> 8) & 0xFF), double(c.rgb & 0xFF), 1};
  }
  std::string_view hex = s;
  if (hex.starts_with('#')) hex.remove_prefix(1);
  else if (!legacy) hex = {};
  if (!hex.empty() && std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; })) {
    auto h = [&](std::size_t at, std::size_t len) {
      double x = std::stoul(std::string(hex.substr(at, len)), nullptr, 16);
      return len == 1 ? x * 17 : x;
    };
    if (hex.size() == 3 || hex.size() == 4) return Rgba{h(0, 1), h(1, 1), h(2, 1), hex.size() == 4 ? h(3, 1) / 255 : 1};
    if (hex.size() == 6 || hex.size() == 8) return Rgba{h(0, 2), h(2, 2), h(4, 2), hex.size() == 8 ? h(6, 2) / 255 : 1};
    return std::nullopt;
  }
  auto open = s.find('(');
  if (open == std::string::npos || s.back() != ')') return std::nullopt;
  const std::string fn = s.substr(0, open);
  auto args = function_arguments(std::string_view(s).substr(open + 1, s.size() - open - 2));
  if (args.size() < 3 || args.size() > 4) return std::nullopt;
  double alpha = args.size() == 4 ? (args[3].second ? args[3].first / 100 : args[3].first) : 1;
  if (fn == "rgb" || fn == "rgba") {
    auto channel = [](std::pair<double, bool> a) { return std::clamp(a.second ? a.first * 2.55 : a.first, 0.0, 255.0); };
    return Rgba{channel(args[0]), channel(args[1]), channel(args[2]), std::clamp(alpha, 0.0, 1.0)};
  }
  if (fn == "hsl" || fn == "hsla") {
    double h = std::fmod(args[0].first, 360) / 360;
    if (h < 0) h += 1;
    double sat = std::clamp(args[1].first / 100, 0.0, 1.0), l = std::clamp(args[2].first / 100, 0.0, 1.0);
    double q = l < 0.5 ? l * (1 + sat) : l + sat - l * sat, p = 2 * l - q;
    return Rgba{255 * hue_to_rgb(p, q, h + 1.0 / 3), 255 * hue_to_rgb(p, q, h), 255 * hue_to_rgb(p, q, h - 1.0 / 3), std::clamp(alpha, 0.0, 1.0)};
  }
  return std::nullopt;
}

double luminance(const Rgba& c) {
  auto lin = [](double v) {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}

Rgba over(const Rgba& top, const Rgba& below) {
  return {top.r * top.a + below.r * (1 - top.a), top.g * top.a + below.g * (1 - top.a), top.b * top.a + below.b * (1 - top.a), 1};
}

double contrast(const Rgba& a, const Rgba& b) {
  double la = luminance(a), lb = luminance(b);
  return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

// A length in CSS px; `em` is the font size em and % refer to (nullopt: a percentage of an
// unknown size, auto, calc(), …). Unitless numbers are px, as quirks mode reads them.
std::optional<double> parse_length(std::string_view v, double em, std::optional<double> percent_of) {
  v = trim_view(v);
  std::string s(v);
  const char* p = s.c_str();
  char* end = nullptr;
  double n = std::strtod(p, &end);
  if (end == p || !std::isfinite(n)) return std::nullopt;
  std::string unit = ascii_lower(std::string(trim_view(end)));
  if (unit.empty() || unit == "px") return n;
  if (n == 0) return 0.0;
  if (unit == "pt") return n * 4 / 3;
  if (unit == "pc") return n * 16;
  if (unit == "in") return n * 96;
  if (unit == "cm") return n * 96 / 2.54;
  if (unit == "mm") return n * 96 / 25.4;
  if (unit == "q") return n * 96 / 101.6;
  if (unit == "em") return n * em;
  if (unit == "ex" || unit == "ch") return n * em / 2;
  if (unit == "rem") return n * 16;
  if (unit == "%" && percent_of) return n * *percent_of / 100;
  return std::nullopt;
}

std::optional<double> parse_font_size(std::string_view v, double parent_px) {
  static const std::pair<std::string_view, double> kKeywords[] = {{"xx-small", 9},  {"x-small", 10}, {"small", 13},   {"medium", 16},
                                                                   {"large", 18},    {"x-large", 24}, {"xx-large", 32}, {"xxx-large", 48}};
  v = trim_view(v);
  for (const auto& [k, px] : kKeywords) {
    if (v == k) return px;
  }
  if (v == "smaller") return parent_px / 1.2;
  if (v == "larger") return parent_px * 1.2;
  return parse_length(v, parent_px, parent_px);
}

// The size in the `font` shorthand: the token before an optional "/line-height" that is a
// length or a size keyword ("bold 0/0 a", "italic 12px Arial").
std::optional<double> font_shorthand_size(std::string_view v, double parent_px) {
  std::string s(v);
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    std::size_t start = i;
    while (i < s.size() && !is_space(s[i]) && s[i] != ',') ++i;
    std::string token = s.substr(start, i - start);
    if (token.empty()) {
      ++i;
      continue;
    }
    token = token.substr(0, token.find('/'));
    if (token.empty()) continue;
    if (std::isdigit(static_cast<unsigned char>(token[0])) || token[0] == '.' || token.find("small") != std::string::npos ||
        token.find("large") != std::string::npos || token == "medium") {
      if (auto px = parse_font_size(token, parent_px)) return px;
    }
  }
  return std::nullopt;
}

// The legacy <font size=1…7> (and +n/-n relative to 3) in px.
std::optional<double> legacy_font_size(std::string_view v) {
  v = trim_view(v);
  if (v.empty()) return std::nullopt;
  int base = 0;
  if (v[0] == '+' || v[0] == '-') base = 3;
  int n = std::atoi(std::string(v).c_str());
  if (n == 0 && v.find('0') == std::string_view::npos) return std::nullopt;
  static constexpr double kPx[] = {10, 13, 16, 18, 24, 32, 48};
  return kPx[std::clamp(base + n, 1, 7) - 1];
}

struct Computed {
  const char* removed = nullptr;  // why the element is not shown at all (nullptr when it is)
  bool invisible = false;  // visibility:hidden, inherited, and undone by visibility:visible
  double font_px = 16;
  Rgba colour{0, 0, 0, 1};
  bool colour_known = true;
  Rgba backdrop{255, 255, 255, 1};  // what the text is drawn on: the nearest background
  bool backdrop_known = true;       // false under a background image
  double opacity = 1;
  const char* text_hidden = nullptr;  // why its own text cannot be read (nullptr: it can)
};

// Why text drawn in `c` cannot be read, or nullptr.
const char* text_hidden(const Computed& c) {
  if (c.invisible) return "visibility:hidden";
  if (c.font_px < kUnreadablePx) return "font-size:0";
  if (c.colour.a < kInvisibleOpacity) return "color:transparent";
  if (c.colour_known && c.backdrop_known && contrast(over(c.colour, c.backdrop), c.backdrop) < kInvisibleContrast) return "same-colour";
  return nullptr;
}

struct Winner {
  std::string value;
  std::tuple<bool, bool, int, int, int, long> rank{};  // important, inline, specificity, order
  bool set = false;
};

}  // namespace

struct HtmlStyle::Impl {
  std::vector<Rule> rules;
  std::unordered_map<std::string, std::vector<std::size_t>> by_key;  // "#id", ".class", "tag", "*"
  // Each element's computed style is an index into `computed` (plus one), kept in the node's
  // _private field, which libxml2 leaves to the application: an element with no style of its own
  // shares its parent's entry, so plain markup costs neither memory nor a lookup.
  std::vector<Computed> computed{Computed{}};  // [0]: what the document root inherits
  // Selector matching for the whole document (well under a second); a stylesheet built to take longer
  // is evaluated no further.
  std::size_t match_steps_left = 2'000'000;

  explicit Impl(const xmlDoc* doc) {
    // Every <style>, wherever it is (clients apply those in the body too), in document order.
    std::vector<const xmlNode*> order;
    const xmlNode* n = doc != nullptr ? doc->children : nullptr;
    while (n != nullptr) {
      const bool element = n->type == XML_ELEMENT_NODE;
      if (element && xmlStrcasecmp(n->name, reinterpret_cast<const xmlChar*>("style")) == 0) order.push_back(n);
      else if (element && n->children != nullptr) {
        n = n->children;
        continue;
      }
      while (n != nullptr && n->next == nullptr) n = n->parent != nullptr && n->parent->type != XML_DOCUMENT_NODE && n->parent->type != XML_HTML_DOCUMENT_NODE ? n->parent : nullptr;
      if (n != nullptr) n = n->next;
    }
    for (const xmlNode* s : order) {
      if (has_attr(s, "media") && !media_applies(attr(s, "media"))) continue;
      xmlChar* text = xmlNodeGetContent(s);
      if (text == nullptr) continue;
      parse_sheet(reinterpret_cast<const char*>(text), rules);
      xmlFree(text);
    }
    for (std::size_t i = 0; i < rules.size(); ++i) {
      const Compound& last = rules[i].selector.compounds.back();
      by_key[!last.id.empty() ? "#" + last.id : !last.classes.empty() ? "." + last.classes.front() : !last.tag.empty() ? last.tag : "*"].push_back(i);
    }
  }

  // Whether anything could give `n` a style of its own: an attribute that does, or a rule for
  // its type or for any element (rules for classes and ids need those attributes).
  bool styled(const xmlNode* n) const {
    static constexpr const char* kStyling[] = {"style", "class", "id", "hidden", "bgcolor", "background", "color", "text", "size"};
    for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
      if (a->name == nullptr) continue;
      for (const char* name : kStyling) {
        if (xmlStrcasecmp(a->name, reinterpret_cast<const xmlChar*>(name)) == 0) return true;
      }
    }
    return !rules.empty() && (by_key.contains("*") || by_key.contains(tag_of(n)));
  }

  // The cascaded value of every relevant property of `n`.
  std::unordered_map<std::string, Winner> cascade(const xmlNode* n) {
    std::unordered_map<std::string, Winner> out;
    auto offer = [&](const Declaration& d, bool is_inline, std::tuple<int, int, int> spec, long order) {
      Winner& w = out[d.property];
      auto rank = std::make_tuple(d.important, is_inline, std::get<0>(spec), std::get<1>(spec), std::get<2>(spec), order);
      if (!w.set || rank >= w.rank) {
        w.value = d.value;
        w.rank = rank;
        w.set = true;
      }
    };
    // Presentational attributes: below every author rule.
    const std::string tag = tag_of(n);
    auto presentational = [&](const char* property, std::string value) {
      if (!value.empty()) offer({property, ascii_lower(value), false}, false, {-1, 0, 0}, -1);
    };
    if (has_attr(n, "hidden")) presentational("display", "none");  // the user agent's rule: author CSS may undo it
    presentational("background-color", attr(n, "bgcolor"));
    if (has_attr(n, "background")) presentational("background-image", "url(" + attr(n, "background") + ")");
    if (tag == "font") presentational("color", attr(n, "color"));
    if (tag == "body") presentational("color", attr(n, "text"));
    if (tag == "font" && has_attr(n, "size")) {
      if (auto px = legacy_font_size(attr(n, "size"))) presentational("font-size", std::to_string(*px) + "px");
    }
    // Rules whose last compound could match, in source order.
    std::vector<std::size_t> candidates;
    auto add = [&](const std::string& key) {
      auto it = by_key.find(key);
      if (it != by_key.end()) candidates.insert(candidates.end(), it->second.begin(), it->second.end());
    };
    add("*");
    add(tag);
    if (std::string id = ascii_lower(attr(n, "id")); !id.empty()) add("#" + id);
    {
      std::string list = ascii_lower(attr(n, "class"));
      std::string_view rest(list);
      std::vector<std::string> seen;
      while (!rest.empty()) {
        rest = trim_view(rest);
        auto end = static_cast<std::size_t>(std::find_if(rest.begin(), rest.end(), is_space) - rest.begin());
        std::string cls(rest.substr(0, end));
        rest.remove_prefix(end);
        if (!cls.empty() && std::find(seen.begin(), seen.end(), cls) == seen.end()) {
          seen.push_back(cls);
          add("." + cls);
        }
      }
    }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    for (std::size_t i : candidates) {
      const Rule& r = rules[i];
      std::size_t steps = 0;
      if (match_steps_left == 0) break;
      const bool hit = matches_from(r.selector, r.selector.compounds.size() - 1, n, steps);
      match_steps_left -= std::min(match_steps_left, steps);
      if (!hit) continue;
      for (const auto& d : r.declarations) offer(d, false, r.selector.specificity, static_cast<long>(r.order));
    }
    if (has_attr(n, "style")) {
      for (const auto& d : parse_declarations(attr(n, "style"))) offer(d, true, {0, 0, 0}, 0);
    }
    return out;
  }

  static std::size_t index_of(const xmlNode* n) { return reinterpret_cast<std::uintptr_t>(n->_private); }

  const Computed& compute(const xmlNode* n) {
    if (index_of(n) != 0) return computed[index_of(n) - 1];
    // Ancestors first, iteratively (the tree may be deep).
    std::vector<xmlNode*> chain;
    for (xmlNode* p = const_cast<xmlNode*>(n); p != nullptr && p->type == XML_ELEMENT_NODE && index_of(p) == 0; p = p->parent) chain.push_back(p);
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      xmlNode* e = *it;
      const xmlNode* parent = element_parent(e);
      const std::size_t base = parent != nullptr ? index_of(parent) - 1 : 0;
      std::size_t mine = base;
      if (computed[base].removed == nullptr && styled(e)) {
        Computed c = derive(e, computed[base]);
        computed.push_back(std::move(c));
        mine = computed.size() - 1;
      }
      e->_private = reinterpret_cast<void*>(static_cast<std::uintptr_t>(mine + 1));
    }
    return computed[index_of(n) - 1];
  }

  // Whether the value of `property` came from an HTML attribute (legacy colours: "fff").
  static bool presentational(const std::unordered_map<std::string, Winner>& values, const char* property) {
    auto it = values.find(property);
    return it != values.end() && std::get<2>(it->second.rank) < 0;
  }

  Computed derive(const xmlNode* n, const Computed& parent) {
    Computed c = parent;
    if (parent.removed != nullptr) return c;
    auto values = cascade(n);
    auto get = [&](const char* property) -> std::string {
      auto it = values.find(property);
      return it == values.end() ? std::string() : it->second.value;
    };
    if (get("display") == "none") c.removed = "display:none";
    if (get("mso-hide") == "all") c.removed = "mso-hide:all";
    if (std::string v = get("visibility"); v == "hidden" || v == "collapse") c.invisible = true;
    else if (v == "visible") c.invisible = false;
    if (std::string v = get("opacity"); !v.empty() && v != "inherit") {
      char* end = nullptr;
      double o = std::strtod(v.c_str(), &end);
      if (end != v.c_str() && std::isfinite(o)) c.opacity *= std::clamp(*end == '%' ? o / 100 : o, 0.0, 1.0);
    }
    if (c.opacity < kInvisibleOpacity && c.removed == nullptr) c.removed = "opacity:0";
    if (std::string v = get("font-size"); !v.empty()) {
      if (auto px = parse_font_size(v, parent.font_px); px && *px >= 0) c.font_px = *px;  // negative: invalid, ignored
    } else if (std::string f = get("font"); !f.empty()) {
      if (auto px = font_shorthand_size(f, parent.font_px); px && *px >= 0) c.font_px = *px;
    }
    if (std::string v = get("color"); !v.empty() && v != "inherit" && v != "currentcolor") {
      if (auto colour = parse_colour(v, presentational(values, "color"))) {
        c.colour = *colour;
        c.colour_known = true;
      } else if (v.find("var(") != std::string::npos || v.find("calc(") != std::string::npos) {
        c.colour_known = false;  // a colour we cannot work out: no judgement on contrast
      }
    }
    // The backdrop: an image (unknown colours), or a colour painted over the parent's.
    std::string image = get("background-image");
    std::string shorthand = get("background");
    if ((!image.empty() && image != "none") || shorthand.find("url(") != std::string::npos || shorthand.find("gradient(") != std::string::npos) {
      c.backdrop_known = false;
    }
    std::optional<Rgba> painted;
    if (std::string v = get("background-color"); !v.empty()) {
      painted = parse_colour(v, presentational(values, "background-color"));
    } else if (!shorthand.empty()) {
      // The colour among the shorthand's words (functions kept whole).
      std::string word;
      int depth = 0;
      for (std::size_t i = 0; i <= shorthand.size() && !painted; ++i) {
        char ch = i < shorthand.size() ? shorthand[i] : ' ';
        depth += ch == '(' ? 1 : ch == ')' ? -1 : 0;
        if (is_space(ch) && depth == 0) {
          painted = parse_colour(word);
          word.clear();
        } else {
          word += ch;
        }
      }
    }
    if (painted && painted->a > 0) {
      c.backdrop = over(*painted, parent.backdrop);
      if (painted->a >= 1 && image.empty() && shorthand.find("url(") == std::string::npos) c.backdrop_known = true;
    }
    if (c.removed == nullptr) c.removed = geometry(values, c.font_px);
    c.text_hidden = text_hidden(c);
    return c;
  }

  // Off the page, clipped to nothing or scaled away.
  static const char* geometry(std::unordered_map<std::string, Winner>& values, double em) {
    auto get = [&](const char* property) -> std::string {
      auto it = values.find(property);
      return it == values.end() ? std::string() : it->second.value;
    };
    auto far_off = [&](const char* property) {
      auto px = parse_length(get(property), em);
      return px && *px <= kOffScreenPx;
    };
    const std::string position = get("position");
    if (position == "absolute" || position == "fixed" || position == "relative") {
      if (far_off("left") || far_off("top")) return "off-screen";
    }
    if (far_off("text-indent") || far_off("margin-left") || far_off("margin-top")) return "off-screen";
    if (std::string margin = get("margin"); !margin.empty()) {
      // top right bottom left: the first (top) and the last of four (left) move the box away.
      std::vector<std::string> words;
      std::string w;
      for (char ch : margin + " ") {
        if (is_space(ch)) {
          if (!w.empty()) words.push_back(w);
          w.clear();
        } else {
          w += ch;
        }
      }
      for (std::size_t k : {std::size_t{0}, std::size_t{3}}) {
        if (k < words.size()) {
          auto px = parse_length(words[k], em);
          if (px && *px <= kOffScreenPx) return "off-screen";
        }
      }
    }
    auto hidden_overflow = [](const std::string& v) { return v.find("hidden") != std::string::npos || v.find("clip") != std::string::npos; };
    if (hidden_overflow(get("overflow")) || hidden_overflow(get("overflow-x")) || hidden_overflow(get("overflow-y"))) {
      for (const auto& [size, why] : {std::pair{"height", "height:0"}, {"max-height", "max-height:0"}, {"width", "width:0"}, {"max-width", "max-width:0"}}) {
        auto px = parse_length(get(size), em);
        if (px && *px <= kCollapsedPx) return why;
      }
    }
    if (std::string clip = get("clip"); clip.starts_with("rect(") && (position == "absolute" || position == "fixed")) {
      auto args = function_arguments(std::string_view(clip).substr(5, clip.size() > 6 ? clip.size() - 6 : 0));
      if (args.size() == 4 && (args[1].first - args[3].first <= kCollapsedPx || args[2].first - args[0].first <= kCollapsedPx)) return "clip";
    }
    if (std::string t = get("transform"); !t.empty()) {
      for (std::string_view fn : {"scale(", "scalex(", "scaley(", "scale3d("}) {
        auto at = t.find(fn);
        if (at == std::string::npos) continue;
        double s = std::strtod(t.c_str() + at + fn.size(), nullptr);
        if (std::fabs(s) < kInvisibleOpacity) return "transform:scale(0)";
      }
      for (std::string_view fn : {"translate(", "translatex(", "translatey(", "translate3d("}) {
        auto at = t.find(fn);
        if (at == std::string::npos) continue;
        std::string arg = t.substr(at + fn.size(), t.find_first_of(",)", at) - at - fn.size());
        auto px = parse_length(arg, em);
        if (px && *px <= kOffScreenPx) return "off-screen";
      }
    }
    return nullptr;
  }
};

HtmlStyle::HtmlStyle(const xmlDoc* doc) : impl_(std::make_unique<Impl>(doc)) {}
HtmlStyle::~HtmlStyle() = default;

Visibility HtmlStyle::visibility(const xmlNode* n) {
  Visibility v;
  if (n == nullptr || n->type != XML_ELEMENT_NODE) return v;
  const Computed& c = impl_->compute(n);
  if (c.removed != nullptr) v.removed = c.removed;
  if (c.text_hidden != nullptr) v.text = c.text_hidden;
  return v;
}

}  // namespace sanso::mime
