#include "mime/html_text.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unordered_set>
#include <vector>

#include "core/text.h"
#include "mime/html_style.h"

namespace sanso::mime {
namespace {

bool is(const xmlNode* n, const char* name) {
  return n->name != nullptr && xmlStrcasecmp(n->name, reinterpret_cast<const xmlChar*>(name)) == 0;
}

bool is_any(const xmlNode* n, std::initializer_list<const char*> names) {
  return std::any_of(names.begin(), names.end(), [&](const char* name) { return is(n, name); });
}

std::string attribute(const xmlNode* n, const char* name) {
  xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
  if (v == nullptr) return {};
  std::string out(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return out;
}

bool blank(const char* text) {
  for (const char* p = text; p != nullptr && *p != '\0'; ++p) {
    if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != '\f') return false;
  }
  return true;
}

// Whether `n` or anything in it is text a reader could have read, had it been shown.
bool has_text(const xmlNode* n) {
  std::vector<const xmlNode*> stack{n};
  while (!stack.empty()) {
    const xmlNode* c = stack.back();
    stack.pop_back();
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && !blank(reinterpret_cast<const char*>(c->content))) return true;
    if (c->type == XML_ELEMENT_NODE && is(c, "img") && !attribute(c, "alt").empty()) return true;
    if (c->type != XML_ELEMENT_NODE || is_any(c, {"script", "style", "template"})) continue;
    for (const xmlNode* k = c->children; k != nullptr; k = k->next) stack.push_back(k);
  }
  return false;
}

// An HTML colspan as browsers read it: digits after optional space, 1 to 1000.
std::size_t span_of(const std::string& value) {
  const char* p = value.c_str();
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f') ++p;
  if (*p < '0' || *p > '9') return 1;
  errno = 0;
  unsigned long long n = std::strtoull(p, nullptr, 10);
  if (errno == ERANGE || n > 1000) return 1000;
  return n == 0 ? 1 : static_cast<std::size_t>(n);
}

// Beyond this many columns a table cannot be aligned legibly (nor cheaply): it is read as
// paragraphs instead.
constexpr std::size_t kMaxTableColumns = 64;

bool is_wide(std::string_view s, bool last) {
  if (s.empty()) return false;
  std::size_t at = 0;
  if (last) {
    at = s.size() - 1;
    while (at > 0 && (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80) --at;
  }
  std::size_t len = 1;
  while (at + len < s.size() && (static_cast<unsigned char>(s[at + len]) & 0xC0) == 0x80) ++len;
  return display_width(s.substr(at, len)) == 2;
}

std::string defang_url_impl(std::string_view url);

// Bare URLs in running text are clickable in most mail clients too.
std::string defang_text_urls(const std::string& s) { return defang_links(s); }

// Builds the text line by line; prefixes (quotes, list indents) apply to every line begun.
class Renderer {
 public:
  Renderer(const HtmlTextOptions& o, std::size_t limit) : options_(o), limit_(limit) {}

  // The text reached its limit: nothing more is added.
  bool full() const { return full_; }

  void text(std::string_view s) {
    if (s.empty() || full_) return;
    if (out_.size() + line_.size() + s.size() > limit_) {
      full_ = true;
      return;
    }
    if (line_.empty() && !started_line_) {
      line_ = prefix();
      started_line_ = true;
    }
    line_ += s;
  }

  // Inline text from the document: whitespace collapsed as a browser does.
  void inline_text(std::string_view raw) {
    std::string collapsed;
    bool space = false, newline = false;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      char c = raw[i];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
        space = true;
        newline = newline || c == '\n' || c == '\r';
        continue;
      }
      if (space) {
        // A line break between two East Asian wide characters is no space (CSS Text 3).
        std::string_view before = collapsed.empty() ? std::string_view(pending_tail_) : std::string_view(collapsed);
        bool drop = newline && is_wide(before, true) && is_wide(raw.substr(i), false);
        if (!drop && !(collapsed.empty() && at_line_start())) collapsed += ' ';
        space = newline = false;
      }
      collapsed += c;
    }
    if (space && !(collapsed.empty() && at_line_start())) collapsed += ' ';
    if (!collapsed.empty()) pending_tail_ = collapsed;
    text(options_.defang_links ? defang_text_urls(collapsed) : collapsed);
  }

  // Ends the current line and makes sure `blank` empty lines separate what comes next.
  void block(int blank) {
    flush_line();
    want_blank_ = std::max(want_blank_, blank);
  }

  void line_break() {
    if (!started_line_) {
      line_ = prefix();
      started_line_ = true;
    }
    flush_line(true);
  }

  void push_prefix(std::string p) {
    // Blank lines owed before the new prefix belong to the outside (no "> " on them).
    if (!started_line_ && want_blank_ > 0 && !out_.empty()) {
      std::string outside = prefix();
      while (!outside.empty() && outside.back() == ' ') outside.pop_back();
      for (; blank_run_ < want_blank_; ++blank_run_) out_ += outside + "\n";
      want_blank_ = 0;
    }
    prefixes_.push_back(std::move(p));
  }
  void pop_prefix() { prefixes_.pop_back(); }

  std::string finish() {
    flush_line();
    if (full_) {
      // Cut at the last whole line within the limit, then say so where the text stops.
      out_.resize(std::min(out_.size(), limit_));
      auto nl = out_.rfind('\n');
      out_.resize(nl == std::string::npos ? 0 : nl + 1);
      out_ += options_.lang != "en" ? "\n[Sanso: 変換した本文が大きすぎるため、ここで打ち切りました。以降は表示されません（原本は隔離されています）]\n"
                                    : "\n[Sanso: the converted text grew too large and is cut off here; the rest is not shown (the original is quarantined)]\n";
    }
    while (!out_.empty() && out_.back() == '\n') out_.pop_back();
    return out_ + "\n";
  }

  const HtmlTextOptions& options() const { return options_; }

 private:
  bool at_line_start() const {
    return !started_line_ || line_ == prefix() || (!line_.empty() && line_.back() == ' ');
  }

  std::string prefix() const {
    std::string p;
    for (const auto& s : prefixes_) p += s;
    return p;
  }

  void flush_line(bool force = false) {
    if (!started_line_ && !force) return;
    if (full_) {
      line_.clear();
      started_line_ = false;
      return;
    }
    while (!line_.empty() && line_.back() == ' ') line_.pop_back();
    if (!out_.empty()) {
      for (int k = 0; k < want_blank_ && blank_run_ < want_blank_; ++k) {
        std::string p = prefix();
        while (!p.empty() && p.back() == ' ') p.pop_back();
        out_ += p + "\n";
        ++blank_run_;
      }
    }
    want_blank_ = 0;
    out_ += line_ + "\n";
    line_.clear();
    started_line_ = false;
    blank_run_ = 0;
    if (out_.size() > limit_) full_ = true;
  }

  const HtmlTextOptions& options_;
  const std::size_t limit_;
  bool full_ = false;
  std::string out_;
  std::string line_;
  bool started_line_ = false;
  int want_blank_ = 0;
  int blank_run_ = 0;
  std::vector<std::string> prefixes_;
  std::string pending_tail_;
};

struct Walker {
  Renderer& r;
  HtmlText& result;
  HtmlStyle& style;
  int list_depth = 0;
  std::unordered_set<const xmlNode*> counted;  // hidden pieces already counted (text is read twice for labels)

  void count_hidden(const xmlNode* n, const std::string& why) {
    if (!counted.insert(n).second) return;
    ++result.hidden;
    if (std::find(result.hidden_because.begin(), result.hidden_because.end(), why) == result.hidden_because.end()) {
      result.hidden_because.push_back(why);
    }
  }

  // An element a reader does not see at all (display:none, off-screen, …); counted as hidden
  // text when there was text in it.
  bool removed(const xmlNode* n) {
    Visibility v = style.visibility(n);
    if (v.removed.empty()) return false;
    if (has_text(n)) count_hidden(n, v.removed);
    return true;
  }

  // A text node whose element shows no text (font-size:0, white on white, visibility:hidden).
  bool hidden_text(const xmlNode* t) {
    if (t->parent == nullptr || t->parent->type != XML_ELEMENT_NODE || blank(reinterpret_cast<const char*>(t->content))) return false;
    Visibility v = style.visibility(t->parent);
    if (v.text.empty()) return false;
    count_hidden(t, v.text);
    return true;
  }

  // Text of an element as one line (for table cells and link labels).
  std::string flat_text(const xmlNode* n) {
    std::string out;
    flat_text_into(n, out);
    std::string collapsed;
    bool space = false;
    for (char ch : out) {
      if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
        space = !collapsed.empty();
        continue;
      }
      if (space) collapsed += ' ';
      space = false;
      collapsed += ch;
    }
    return collapsed;
  }

  void flat_text_into(const xmlNode* n, std::string& out) {
    for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
      if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
        if (!hidden_text(c)) out += reinterpret_cast<const char*>(c->content);
      } else if (c->type == XML_ELEMENT_NODE && !is_any(c, {"script", "style", "template"}) && !removed(c)) {
        if (is(c, "img")) {
          out += attribute(c, "alt");
        } else {
          out += ' ';
          flat_text_into(c, out);
          out += ' ';
        }
      }
    }
  }

  void children(const xmlNode* n) {
    for (const xmlNode* c = n->children; c != nullptr; c = c->next) node(c);
  }

  void node(const xmlNode* n) {
    if (r.full()) return;
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
      if (!hidden_text(n)) r.inline_text(reinterpret_cast<const char*>(n->content));
      return;
    }
    if (n->type != XML_ELEMENT_NODE) return;  // comments, processing instructions, DTDs
    if (is_any(n, {"script", "style", "head", "template", "iframe", "object", "embed", "applet", "form", "input", "button",
                   "select", "textarea", "svg", "math", "frameset", "frame", "noembed", "audio", "video", "canvas"}) ||
        removed(n)) {
      ++result.dropped;
      return;
    }
    const bool ja = r.options().lang != "en";
    if (is(n, "br")) {
      r.line_break();
    } else if (is(n, "hr")) {
      r.block(1);
      r.text("----------------------------------------");
      r.block(1);
    } else if (is_any(n, {"h1", "h2", "h3", "h4", "h5", "h6"})) {
      r.block(1);
      std::string title = flat_text(n);
      if (is(n, "h1") || is(n, "h2")) {
        r.text(title);
        r.block(0);
        r.text(std::string(std::max<std::size_t>(display_width(title), 4), is(n, "h1") ? '=' : '-'));
      } else {
        r.text((ja ? "■ " : "# ") + title);
      }
      r.block(1);
    } else if (is_any(n, {"ul", "ol", "dl"})) {
      r.block(list_depth == 0 ? 1 : 0);
      ++list_depth;
      int number = 0;
      for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && (is(c, "li") || is(c, "dt") || is(c, "dd"))) {
          if (removed(c)) {
            ++result.dropped;
            continue;
          }
          std::string marker = is(n, "ol") ? std::to_string(++number) + ". " : is(c, "dt") ? "" : is(c, "dd") ? "  " : (ja ? "・" : "* ");
          // Nesting comes from the enclosing item's prefix: items align under its text.
          r.block(0);
          r.text(marker);
          r.push_prefix(std::string(display_width(marker), ' '));
          children(c);
          r.pop_prefix();
          r.block(0);
        } else {
          node(c);
        }
      }
      --list_depth;
      r.block(list_depth == 0 ? 1 : 0);
    } else if (is(n, "blockquote")) {
      r.block(1);
      r.push_prefix("> ");
      children(n);
      r.block(0);
      r.pop_prefix();
      r.block(1);
    } else if (is(n, "pre")) {
      r.block(1);
      std::string content = pre_text(n);
      std::size_t start = 0;
      while (start <= content.size()) {
        auto nl = content.find('\n', start);
        std::string line = content.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
        if (!line.empty()) r.text(line);
        if (nl == std::string::npos) break;
        r.line_break();
        start = nl + 1;
      }
      r.block(1);
    } else if (is(n, "table")) {
      table(n);
    } else if (is(n, "a")) {
      std::string href = attribute(n, "href");
      std::size_t before = result.links;
      children(n);
      if (!href.empty() && href[0] != '#' && result.links == before) {
        std::string label = flat_text(n);
        if (href.rfind("mailto:", 0) == 0) {
          std::string address = href.substr(7, href.find('?') == std::string::npos ? std::string::npos : href.find('?') - 7);
          if (label != address) r.text(" (" + address + ")");
        } else if (label != href) {
          // The target, readable: the label alone may lie about where the link goes.
          r.text(" (" + (r.options().defang_links ? defang_url(href) : href) + ")");
        }
        ++result.links;
      }
    } else if (is(n, "img")) {
      std::string alt = attribute(n, "alt");
      r.text(alt.empty() ? (ja ? "[画像]" : "[image]") : (ja ? "[画像: " : "[image: ") + alt + "]");
      ++result.images;
    } else if (is_any(n, {"p", "div", "section", "article", "header", "footer", "address", "center", "main", "nav",
                          "aside", "figure", "figcaption", "caption", "fieldset", "details", "summary", "body", "html"})) {
      r.block(is_any(n, {"p", "section", "article"}) ? 1 : 0);
      children(n);
      r.block(is_any(n, {"p", "section", "article"}) ? 1 : 0);
    } else if (is(n, "li") || is(n, "tr")) {  // stray ones outside their parents
      r.block(0);
      children(n);
      r.block(0);
    } else {
      children(n);  // inline elements: span, b, i, em, strong, font, u, …
    }
  }

  std::string pre_text(const xmlNode* n) {
    std::string out;
    pre_text_into(n, out);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    if (!out.empty() && out.front() == '\n') out.erase(0, 1);
    return out;
  }

  void pre_text_into(const xmlNode* n, std::string& out) {
    for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
      if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
        if (!hidden_text(c)) out += reinterpret_cast<const char*>(c->content);
      } else if (c->type == XML_ELEMENT_NODE && is(c, "br")) {
        out += "\n";
      } else if (c->type == XML_ELEMENT_NODE && !is_any(c, {"script", "style"}) && !removed(c)) {
        pre_text_into(c, out);
      }
    }
  }

  // A table cell: its text, and the columns it spans (only the first holds the text).
  struct Cell {
    std::string text;
    std::size_t span = 1;
  };

  // The rows of a table, or false when a row spans more columns than can be aligned.
  bool collect_rows(const xmlNode* n, std::vector<std::vector<Cell>>& rows) {
    for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
      if (c->type != XML_ELEMENT_NODE || removed(c)) continue;
      if (is(c, "tr")) {
        std::vector<Cell> cells;
        std::size_t columns = 0;
        for (const xmlNode* d = c->children; d != nullptr; d = d->next) {
          if (d->type == XML_ELEMENT_NODE && (is(d, "td") || is(d, "th")) && !removed(d)) {
            columns += span_of(attribute(d, "colspan"));
            if (columns > kMaxTableColumns) return false;
            cells.push_back({flat_text(d), span_of(attribute(d, "colspan"))});
          }
        }
        rows.push_back(std::move(cells));
      } else if (is_any(c, {"thead", "tbody", "tfoot"})) {
        if (!collect_rows(c, rows)) return false;
      }
    }
    return true;
  }

  void table(const xmlNode* n) {
    std::vector<std::vector<Cell>> rows;
    const bool aligned = collect_rows(n, rows);
    // A layout table (one column, or one row) reads better as paragraphs, and so does one too
    // wide to align.
    std::size_t columns = 0;
    for (const auto& row : rows) {
      std::size_t in_row = 0;
      for (const auto& cell : row) in_row += cell.span;
      columns = std::max(columns, in_row);
    }
    r.block(1);
    if (!aligned || columns <= 1 || rows.size() <= 1) {
      for (const xmlNode* c = n->children; c != nullptr && !r.full(); c = c->next) {
        node(c);
        if (!aligned) r.block(0);
      }
      r.block(1);
      return;
    }
    std::vector<std::size_t> width(columns, 0);
    for (const auto& row : rows) {
      std::size_t at = 0;
      for (const auto& cell : row) {
        width[at] = std::max(width[at], display_width(cell.text));
        at += cell.span;
      }
    }
    for (const auto& row : rows) {
      if (r.full()) break;
      std::string line;
      std::size_t at = 0;
      for (std::size_t k = 0; k < row.size() || at < columns; ++k) {
        const std::string& cell = k < row.size() ? row[k].text : std::string();
        const std::size_t span = k < row.size() ? row[k].span : 1;
        for (std::size_t s = 0; s < span && at < columns; ++s, ++at) {
          const std::string& shown = s == 0 ? cell : std::string();
          line += at + 1 < columns ? pad_to_width(shown, width[at]) + " | " : shown;
        }
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      r.text(line);
      r.block(0);
    }
    r.block(1);
  }
};

}  // namespace

std::string defang_url(std::string_view url) { return defang_url_impl(url); }

namespace {

// What a URL may consist of as clients find it in text: printable ASCII but quotes and brackets.
bool url_char(char c) {
  const auto b = static_cast<unsigned char>(c);
  return b > 0x20 && b < 0x7F && c != '"' && c != '<' && c != '>' && c != '`';
}

bool scheme_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

// Where a link could not start: inside a word. A '/' or '\' before it is no word: Thunderbird
// links "abc/https://…" and "\www.…" (review31 H1).
bool continues_word(std::string_view t, std::size_t i) { return i > 0 && scheme_char(t[i - 1]); }

// The schemes WHATWG's URL parser calls special: it reads "https:evil.example", "https:/evil" and
// "http:/\evil" as https://evil.example/ — slashes, backslashes or none after the colon.
bool special_scheme(const std::string& scheme) {
  return scheme == "http" || scheme == "https" || scheme == "ftp" || scheme == "file" || scheme == "ws" || scheme == "wss";
}

// Schemes clients open without "//".
bool opaque_scheme(const std::string& scheme) {
  static constexpr std::string_view kSchemes[] = {
      "mailto",  "javascript", "vbscript", "data",     "file",      "tel",   "callto", "sip",   "sips",          "sms",       "news",
      "nntp",    "irc",        "jar",      "view-source", "search-ms", "about", "blob", "webcal", "skype",        "im",        "xmpp",
      "msteams", "zoommtg",    "zoomus",   "telnet",   "ssh",       "rdp",   "vnc",    "onenote", "notes",        "outlook",   "steam",
      "slack",   "tg",         "line",     "facetime", "itms",      "itms-services", "itms-apps", "intent", "market", "ldap",   "ldaps",
      "smb",     "nfs",        "afp",      "gopher",   "shell",     "microsoft-edge", "ws", "wss"};
  return scheme.starts_with("ms-") || std::find(std::begin(kSchemes), std::end(kSchemes), scheme) != std::end(kSchemes);
}

// The host from `from` (to the first of / ? # \ or the end of the URL characters) with its dots
// as [.], then the rest of the URL as it is; `at` moves past the URL.
std::string defanged_rest(std::string_view t, std::size_t from, std::size_t& at) {
  std::string out;
  std::size_t i = from;
  for (; i < t.size() && url_char(t[i]) && t[i] != '/' && t[i] != '?' && t[i] != '#' && t[i] != '\\'; ++i) {
    if (t[i] == '.') out += "[.]";
    else out += t[i];
  }
  const std::size_t rest = i;
  while (i < t.size() && url_char(t[i])) ++i;
  out.append(t.substr(rest, i - rest));
  at = i;
  return out;
}

}  // namespace

std::string defang_links(std::string_view t) {
  std::string out;
  out.reserve(t.size() + t.size() / 16);
  for (std::size_t i = 0; i < t.size();) {
    if (!continues_word(t, i)) {
      std::size_t j = i;
      while (j < t.size() && j - i <= 32 && scheme_char(t[j])) ++j;
      const bool letter_first = j > i && ((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z'));
      if (letter_first && j < t.size() && t[j] == ':') {
        const std::string scheme = ascii_lower(t.substr(i, j - i));
        if (t.substr(j + 1, 2) == "//") {
          out += scheme == "http" ? "hxxp://" : scheme == "https" ? "hxxps://" : scheme == "ftp" ? "fxp://" : std::string(t.substr(i, j - i)) + "[:]//";
          out += defanged_rest(t, j + 3, i);
          continue;
        }
        if (special_scheme(scheme) && j + 1 < t.size() && url_char(t[j + 1])) {
          std::size_t host = j + 1;
          while (host < t.size() && (t[host] == '/' || t[host] == '\\')) ++host;
          out += (scheme == "http" ? "hxxp" : scheme == "https" ? "hxxps" : scheme == "ftp" ? "fxp" : std::string(t.substr(i, j - i))) + "[:]";
          out.append(t.substr(j + 1, host - j - 1));
          out += defanged_rest(t, host, i);
          continue;
        }
        if (opaque_scheme(scheme) && j + 1 < t.size() && url_char(t[j + 1])) {
          out += std::string(t.substr(i, j - i)) + "[:]";
          out += defanged_rest(t, j + 1, i);
          continue;
        }
      }
      // The first letter first: this runs at every word's start, and most are no "www.".
      // Thunderbird links "ftp.host" as it links "www.host".
      if (t.size() - i > 4 && (((t[i] | 0x20) == 'w' && ascii_lower(t.substr(i, 4)) == "www.") || ((t[i] | 0x20) == 'f' && ascii_lower(t.substr(i, 4)) == "ftp.")) &&
          url_char(t[i + 4])) {
        out += defanged_rest(t, i, i);
        continue;
      }
      if (t.size() - i > 2 && t[i] == '\\' && t[i + 1] == '\\' && url_char(t[i + 2]) && t[i + 2] != '\\') {
        out += "[\\\\]";
        out += defanged_rest(t, i + 2, i);
        continue;
      }
    }
    out += t[i++];
  }
  return out;
}

namespace {

std::string defang_url_impl(std::string_view url) {
  std::string out(url);
  for (auto [from, to] : {std::pair<const char*, const char*>{"https://", "hxxps://"}, {"http://", "hxxp://"}, {"ftp://", "fxp://"}}) {
    if (out.size() >= std::strlen(from) && std::equal(from, from + std::strlen(from), out.begin(), [](char a, char b) {
          return a == (b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b);
        })) {
      out.replace(0, std::strlen(from), to);
      break;
    }
  }
  // Dots of the host only: hxxps://example[.]com/path.html
  std::size_t host_start = out.find("://");
  host_start = host_start == std::string::npos ? 0 : host_start + 3;
  std::size_t host_end = out.find_first_of("/?#", host_start);
  if (host_end == std::string::npos) host_end = out.size();
  std::string host = out.substr(host_start, host_end - host_start);
  std::string defanged;
  for (char c : host) defanged += c == '.' ? std::string("[.]") : std::string(1, c);
  return out.substr(0, host_start) + defanged + out.substr(host_end);
}

}  // namespace

HtmlText html_to_text(std::string_view html, const HtmlTextOptions& options) {
  HtmlText result;
  // One parser context per thread, reset for every document (saves its dictionary and buffers).
  struct Context {
    htmlParserCtxtPtr ctxt = htmlNewParserCtxt();
    ~Context() {
      if (ctxt != nullptr) htmlFreeParserCtxt(ctxt);
    }
  };
  thread_local Context context;
  htmlParserCtxtPtr ctxt = context.ctxt;
  if (ctxt == nullptr) {
    result.text = "\n";
    result.truncated = true;
    return result;
  }
  // libxml2 stops at 256 levels of nesting (no HTML_PARSE_HUGE: its limits protect us); text
  // beyond that is lost, which the caller must know.
  htmlDocPtr doc = htmlCtxtReadMemory(ctxt, html.data(), static_cast<int>(std::min<std::size_t>(html.size(), INT32_MAX)), "mail.html",
                                      "UTF-8", HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
  result.truncated = ctxt->errNo == XML_ERR_INTERNAL_ERROR || ctxt->errNo == XML_ERR_NO_MEMORY;
  if (doc == nullptr) {
    result.text = "\n";
    result.truncated = result.truncated || !html.empty();
    return result;
  }
  Renderer r(options, std::min(options.max_text_bytes, (std::size_t{1} << 20) + 4 * html.size()));
  {
    HtmlStyle style(doc);
    Walker w{r, result, style, 0, {}};
    for (const xmlNode* n = doc->children; n != nullptr; n = n->next) w.node(n);
  }
  xmlFreeDoc(doc);
  result.size_limited = r.full();
  result.text = r.finish();
  return result;
}

std::string decode_character_references(std::string_view html) {
  static constexpr std::pair<std::string_view, char32_t> kNamed[] = {{"amp", '&'},  {"lt", '<'},       {"gt", '>'},   {"quot", '"'}, {"apos", '\''},
                                                                     {"nbsp", ' '}, {"hyphen", '-'}, {"dash", '-'}, {"minus", '-'}};
  std::string out;
  out.reserve(html.size());
  for (std::size_t at = 0; at < html.size();) {
    // The ';' only where a reference could end (the longest read is ten characters): a search to
    // the end from every '&' made a page of '&' without one quadratic.
    const std::size_t semi = html[at] == '&' ? html.substr(at, 11).find(';') : std::string_view::npos;
    if (semi == std::string_view::npos) {
      out += html[at++];
      continue;
    }
    const std::string_view ref = html.substr(at + 1, semi - 1);
    char32_t c = 0;
    if (ref.size() > 1 && ref[0] == '#') {
      // As strtoul reads the digits (the stricter of the two readers this replaced would drop
      // "&# 49;"; a content check decodes what either did).
      const bool hex = ref[1] == 'x' || ref[1] == 'X';
      const std::string digits(ref.substr(hex ? 2 : 1));
      char* stop = nullptr;
      const unsigned long v = digits.empty() ? 0 : std::strtoul(digits.c_str(), &stop, hex ? 16 : 10);
      if (stop != nullptr && *stop == '\0' && v > 0 && v < 0x110000 && !(v >= 0xD800 && v <= 0xDFFF)) c = static_cast<char32_t>(v);
    } else {
      for (const auto& [name, value] : kNamed) {
        if (ref == name) c = value;
      }
    }
    if (c == 0) {
      out += html[at++];
      continue;
    }
    append_utf8(out, c);
    at += semi + 1;
  }
  return out;
}

}  // namespace sanso::mime
