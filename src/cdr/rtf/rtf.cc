// RTF: the document is tokenised fully (groups, control words and symbols, \'hh and \uN escapes,
// \binN data) and a new RTF is written from what is known good. A destination is recognised
// wherever Word recognises it — at the start of a group, after `\*`, or after other control words,
// text or spaces in the same group — and only destinations on the keep list are written; every
// other destination, and every `\*` destination the engine does not know, is left out with the
// rest of its group. Embedded objects keep their \result picture; fields are rebuilt from their
// instruction as Word would evaluate it (escapes decoded, every fldinst of the field, nested
// fields and QUOTE spelled out): harmless fields are written anew, the rest keep their last result
// as text. Pictures lose their property group (a linked picture's pibName lives there).
#include <algorithm>
#include <iterator>
#include <optional>
#include <string>

#include "cdr/internal/format.h"
#include "core/text.h"
#include "mime/charset.h"

namespace sanso::cdr::internal {
namespace {

enum class Tok { end, open, close, word, symbol, hex, text, bin };

struct Token {
  Tok kind = Tok::end;
  std::size_t at = 0, len = 0;  // the raw bytes: s.substr(at, len)
  std::string word;             // control word, or the symbol's character
  long long param = 0;
  bool has_param = false;
  std::size_t data = 0;  // \binN: where its N raw bytes start (they end at at + len)
};

// What a destination control word does to the rest of its group.
enum class Dest {
  keep,      // written (text, tables, pictures, headers, bookmarks, …)
  drop,      // left out silently: housekeeping Word rebuilds (rsid tables, themes, latent styles)
  object,    // an embedded object: only its \result is written
  shape,     // a drawing shape: only its \shprslt (what older readers show) is written
  field,     // a field: rebuilt from its evaluated instruction
  fldinst,   // a field instruction outside a field: left out
  picprop,   // a picture's shape properties: left out (linked pictures)
  active,    // data that loads or runs something: left out with a finding
  template_, // an attached (possibly remote) template: left out with a finding
};

struct DestRow {
  const char* word;
  Dest dest;
};

// RTF 1.9.1 destinations. A control word not listed here is formatting (written as it is); a
// `\*` destination not listed here is left out.
constexpr DestRow kDestinations[] = {
    // Document structure and text.
    {"fonttbl", Dest::keep}, {"colortbl", Dest::keep}, {"stylesheet", Dest::keep}, {"info", Dest::keep}, {"title", Dest::keep},
    {"subject", Dest::keep}, {"author", Dest::keep}, {"manager", Dest::keep}, {"company", Dest::keep}, {"operator", Dest::keep},
    {"category", Dest::keep}, {"keywords", Dest::keep}, {"comment", Dest::keep}, {"doccomm", Dest::keep}, {"creatim", Dest::keep},
    {"revtim", Dest::keep}, {"printim", Dest::keep}, {"buptim", Dest::keep}, {"listtable", Dest::keep}, {"listoverridetable", Dest::keep},
    {"list", Dest::keep}, {"listlevel", Dest::keep}, {"listoverride", Dest::keep}, {"listname", Dest::keep}, {"listtext", Dest::keep},
    {"leveltext", Dest::keep}, {"levelnumbers", Dest::keep}, {"pntext", Dest::keep}, {"pntxta", Dest::keep}, {"pntxtb", Dest::keep},
    {"pn", Dest::keep}, {"pnseclvl", Dest::keep}, {"header", Dest::keep}, {"headerl", Dest::keep}, {"headerr", Dest::keep},
    {"headerf", Dest::keep}, {"footer", Dest::keep}, {"footerl", Dest::keep}, {"footerr", Dest::keep}, {"footerf", Dest::keep},
    {"footnote", Dest::keep}, {"ftnsep", Dest::keep}, {"ftnsepc", Dest::keep}, {"ftncn", Dest::keep}, {"aftnsep", Dest::keep},
    {"aftnsepc", Dest::keep}, {"aftncn", Dest::keep}, {"annotation", Dest::keep}, {"atnid", Dest::keep}, {"atnauthor", Dest::keep},
    {"atndate", Dest::keep}, {"atnref", Dest::keep}, {"atrfstart", Dest::keep}, {"atrfend", Dest::keep}, {"bkmkstart", Dest::keep},
    {"bkmkend", Dest::keep}, {"cs", Dest::keep}, {"ds", Dest::keep}, {"ts", Dest::keep}, {"panose", Dest::keep}, {"falt", Dest::keep},
    {"fname", Dest::keep}, {"fontemb", Dest::drop}, {"fontfile", Dest::drop}, {"generator", Dest::keep}, {"upr", Dest::keep},
    {"ud", Dest::keep}, {"defchp", Dest::keep}, {"defpap", Dest::keep}, {"pict", Dest::keep}, {"shppict", Dest::keep},
    {"nonshppict", Dest::keep}, {"blipuid", Dest::keep}, {"fldrslt", Dest::keep}, {"result", Dest::keep}, {"shprslt", Dest::keep},
    {"tc", Dest::keep}, {"tcn", Dest::keep}, {"xe", Dest::keep}, {"txe", Dest::keep}, {"rxe", Dest::keep}, {"revtbl", Dest::keep},
    {"pgdsctbl", Dest::drop}, {"pgdsc", Dest::drop}, {"rsidtbl", Dest::drop}, {"latentstyles", Dest::drop}, {"lsdlockedexcept", Dest::drop},
    {"themedata", Dest::drop}, {"colorschememapping", Dest::drop}, {"xmlnstbl", Dest::drop}, {"mmathpr", Dest::drop},
    {"wgrffmtfilter", Dest::drop}, {"listpicture", Dest::drop}, {"userprops", Dest::drop}, {"docvar", Dest::drop},
    {"nesttableprops", Dest::keep}, {"nonesttables", Dest::keep}, {"protusertbl", Dest::drop}, {"password", Dest::drop},
    {"passwordhash", Dest::drop}, {"fchars", Dest::drop}, {"lchars", Dest::drop}, {"do", Dest::drop}, {"shp", Dest::shape},
    {"shpinst", Dest::drop}, {"shptxt", Dest::drop}, {"sp", Dest::drop}, {"sn", Dest::drop}, {"sv", Dest::drop},
    {"background", Dest::drop}, {"xmlopen", Dest::drop}, {"xmlclose", Dest::drop}, {"xmlattrname", Dest::drop},
    {"xmlattrvalue", Dest::drop}, {"mhtmltag", Dest::drop}, {"htmltag", Dest::drop}, {"htmlrtf", Dest::drop},
    // Fields and pictures.
    {"field", Dest::field}, {"fldinst", Dest::fldinst}, {"picprop", Dest::picprop},
    // Objects and data that load or run something.
    {"object", Dest::object}, {"objdata", Dest::active}, {"objclass", Dest::active}, {"objname", Dest::active}, {"objalias", Dest::active},
    {"objsect", Dest::active}, {"objtime", Dest::active}, {"objitem", Dest::active}, {"objtopic", Dest::active}, {"datastore", Dest::active},
    {"datafield", Dest::active}, {"formfield", Dest::active}, {"ffentrymcr", Dest::active}, {"ffexitmcr", Dest::active},
    {"ffname", Dest::active}, {"ffdeftext", Dest::active}, {"ffformat", Dest::active}, {"ffhelptext", Dest::active},
    {"ffstattext", Dest::active}, {"ffl", Dest::active}, {"template", Dest::template_},
};

const DestRow* destination_of(std::string_view word) {
  for (const auto& row : kDestinations) {
    if (word == row.word) return &row;
  }
  return nullptr;
}

// Control words that are not destinations but say what kind of object an \object group holds
// (an ActiveX control, an embedded or linked file) or make it a live link: left out wherever,
// also strayed outside any object group, where a reader may still act on them.
bool is_link_flag(std::string_view word) {
  static constexpr std::string_view kObjectWords[] = {"objupdate", "objautlink", "objlink", "objemb", "objocx",
                                                      "objsub",    "objpub",     "objicemb", "objhtml"};
  return std::find(std::begin(kObjectWords), std::end(kObjectWords), word) != std::end(kObjectWords);
}

// Fields that only show something of the document itself: rebuilt. Everything else (DDE,
// INCLUDETEXT, INCLUDEPICTURE, LINK, IMPORT, MACROBUTTON, GOTOBUTTON, DATABASE, fields the engine
// does not know) keeps its last result as text.
bool is_harmless_field(std::string_view keyword) {
  static constexpr const char* kHarmless[] = {"page", "numpages", "sectionpages", "section", "date", "time", "createdate", "savedate",
                                              "printdate", "toc", "tc", "pageref", "ref", "noteref", "seq", "symbol", "title", "author",
                                              "subject", "keywords", "numwords", "numchars", "styleref", "listnum", "eq", "xe", "index"};
  for (const char* h : kHarmless) {
    if (keyword == h) return true;
  }
  return false;
}

int hex_value(char c) { return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10; }

class RtfRewriter {
 public:
  RtfRewriter(std::string_view s, const Context& ctx) : s_(s), ctx_(ctx) {}

  Result<std::string> run() {
    Token first = next();
    if (first.kind != Tok::open) return blocked("malformed", where(), "the RTF does not start with a group");
    std::string out = "{";
    SANSO_TRY(group(&out, 1));
    std::string_view rest = s_.substr(pos_);
    if (rest.find_first_not_of(std::string_view("\r\n \t\0", 5)) != std::string_view::npos) ctx_.add(FindingKind::kTrailingData, "after the document", FindingAction::kRemoved);
    return out;
  }

  // The document's text for content checks (rtf_content()): the text of every destination — those
  // Word ignores ({\*\…}), field instructions, the font, style, list and revision tables (a style
  // name, a list's text and a revision's author are text a person wrote) — each ending a line.
  // Destinations Word writes in hex are decoded when they hold nothing but hex digits: the files
  // (theme, colour scheme mapping, data store) are read as files of their own, the small values
  // (panose, picture ids, password hashes) as text, so that a number spelled in hex is found; one
  // that holds anything else is read as text. Pictures are counted into `content` (they cannot be
  // read), embedded objects (\objdata) and \binN bytes outside a picture decoded into it as files.
  Result<std::string> plain_text(ReadContent& content) {
    if (next().kind != Tok::open) return blocked("malformed", where(), "the RTF does not start with a group");
    struct Group {
      int uc = 1;
      bool ends_line = false;  // an ignorable destination or field instruction: its text is a line of its own
    };
    std::vector<Group> groups{Group{}};
    std::string out, pending;  // `pending`: bytes in the document's code page not yet decoded
    std::string codepage = "windows-1252";
    int skip = 0;  // fallback characters still to drop after \uN
    std::size_t pictures = 0, objects = 0;
    auto flush = [&] {
      if (!pending.empty()) out += mime::decode_text(pending, codepage).utf8;
      pending.clear();
    };
    auto byte = [&](char c) {
      if (skip > 0) {
        --skip;
        return;
      }
      pending.push_back(c);
    };
    // Files Word stores in hex: the theme (a zip package), the colour scheme mapping (XML), the data
    // store (an OLE1 object wrapping a compound file of custom XML).
    static constexpr std::string_view kHexFiles[] = {"themedata", "colorschememapping", "datastore"};
    // Small values Word stores in hex, of a size the format fixes: a font's classification (10
    // bytes), a picture's id (16), a form filter (2), a protection password (4). Of that size they
    // are decoded and their bytes read as text; of any other they are read as text as written (a
    // decimal number put there is no hex value). Read as hex digits they could pass for a number
    // (a panose "0202060b050405020304" ends in twelve digits).
    struct HexValue {
      std::string_view word;
      std::size_t bytes;
    };
    static constexpr HexValue kHexValues[] = {{"panose", 10}, {"blipuid", 16}, {"wgrffmtfilter", 2}, {"password", 4}};
    std::size_t binaries = 0;
    auto whitespace = [&](const Token& t) { return t.kind == Tok::text && s_.substr(t.at, t.len).find_first_not_of("\r\n ") == std::string_view::npos; };
    while (!groups.empty()) {
      Token t = next();
      switch (t.kind) {
        case Tok::end:
          flush();
          if (pictures > 0) content.unread.emplace_back("pictures", "image: " + std::to_string(pictures) + " picture(s) in the RTF are not read");
          return out;  // an unclosed document: what was read is its text
        case Tok::open: {
          if (groups.size() > static_cast<std::size_t>(kMaxDepth)) return blocked("limit", where(), "the RTF nests groups more than 200 deep");
          const std::size_t at = pos_;
          Token first = next();
          while (whitespace(first)) first = next();
          const bool starred = first.kind == Tok::symbol && first.word == "*";
          if (starred) {
            first = next();
            while (whitespace(first)) first = next();
          }
          const std::string dest = first.kind == Tok::word ? first.word : "";
          if (dest == "objdata") {
            std::string data = SANSO_TRY(group_data());
            ++objects;
            auto object = ole1_object(data, "object " + std::to_string(objects));
            if (object) content.embedded.push_back(std::move(object).value());
            else content.unread.emplace_back("object " + std::to_string(objects), reason_of(object.error()) + ": " + object.error().message);
            break;
          }
          const bool hex_file = std::find(std::begin(kHexFiles), std::end(kHexFiles), dest) != std::end(kHexFiles);
          const auto value = std::find_if(std::begin(kHexValues), std::end(kHexValues), [&](const HexValue& v) { return v.word == dest; });
          if (hex_file || value != std::end(kHexValues)) {
            std::optional<std::string> data = SANSO_TRY(hex_only());
            if (data && hex_file) {
              read_hex_file(dest, std::move(*data), content);
              break;
            }
            if (data && data->size() == value->bytes) {
              flush();
              out += mime::decode_text(*data, "").utf8;
              out.push_back('\n');
              break;
            }
          }
          pos_ = at;
          if (dest == "pict") {
            ++pictures;
            SANSO_TRY(skip_group());
          } else {
            groups.push_back(groups.back());
            groups.back().ends_line = starred || dest == "fldinst";
          }
          break;
        }
        case Tok::close:
          if (groups.back().ends_line) {
            flush();
            out.push_back('\n');
          }
          groups.pop_back();
          skip = 0;
          break;
        case Tok::text:
          for (char c : s_.substr(t.at, t.len)) {
            if (c != '\r' && c != '\n') byte(c);
          }
          break;
        case Tok::hex:
          byte(static_cast<char>(t.param));
          break;
        case Tok::symbol:
          if (t.word == "\\" || t.word == "{" || t.word == "}") byte(t.word[0]);
          if (t.word == "~") byte(' ');
          break;
        case Tok::word:
          if (t.word == "u" && t.has_param) {
            flush();
            append_utf8(out, static_cast<char32_t>(t.param < 0 ? t.param + 65536 : t.param));
            skip = groups.back().uc;
          } else if (t.word == "uc" && t.has_param) {
            groups.back().uc = static_cast<int>(std::clamp<long long>(t.param, 0, 16));
          } else if (t.word == "ansicpg" && t.has_param) {
            flush();
            codepage = t.param == 932 ? "cp932" : t.param == 65001 ? "utf-8" : t.param == 20932 || t.param == 51932 ? "euc-jp" : "windows-1252";
          } else if (t.word == "par" || t.word == "line" || t.word == "cell" || t.word == "row" || t.word == "sect" || t.word == "page" || t.word == "tab") {
            flush();
            out.push_back(t.word == "tab" ? '\t' : '\n');
          }
          break;
        case Tok::bin:
          // Outside a picture or an object (those groups are read whole above), raw bytes Word
          // does not show; what they are is read as a file, whatever the group around them.
          if (t.at + t.len > t.data) {
            SANSO_TRY(ctx_.charge(t.at + t.len - t.data, "\\bin data"));
            content.embedded.push_back({"binary data " + std::to_string(++binaries), std::string(s_.substr(t.data, t.at + t.len - t.data))});
          }
          break;
      }
    }
    flush();
    if (pictures > 0) content.unread.emplace_back("pictures", "image: " + std::to_string(pictures) + " picture(s) in the RTF are not read");
    return out;
  }

  // The bytes of the group whose '{' came before pos_, its destination word read: hex digits (and
  // \bin data) to its '}', nested groups included.
  Result<std::string> group_data() {
    std::string out;
    int depth = 1, high = -1;
    while (depth > 0) {
      Token t = next();
      if (t.kind == Tok::end) return blocked("malformed", where(), "an RTF group is not closed");
      if (t.kind == Tok::open && ++depth > kMaxDepth) return blocked("limit", where(), "the RTF nests groups more than 200 deep");
      if (t.kind == Tok::close) --depth;
      if (t.kind == Tok::bin) out.append(s_.substr(t.data, t.at + t.len - t.data));
      if (t.kind != Tok::text) continue;
      for (char c : s_.substr(t.at, t.len)) {
        if (!std::isxdigit(static_cast<unsigned char>(c))) continue;
        if (high < 0) {
          high = hex_value(c);
        } else {
          out.push_back(static_cast<char>(high * 16 + hex_value(c)));
          high = -1;
        }
      }
    }
    SANSO_TRY(ctx_.charge(out.size(), "objdata"));
    return out;
  }

  // The bytes of the group whose destination word was just read when it holds only hex digits and
  // white space (pos_ then after its '}'); nothing when it holds anything else — text, escapes,
  // control words, groups, \bin data —, which the caller then reads as text.
  Result<std::optional<std::string>> hex_only() {
    std::string out;
    int high = -1;
    while (true) {
      Token t = next();
      if (t.kind == Tok::end) return blocked("malformed", where(), "an RTF group is not closed");
      if (t.kind == Tok::close) break;
      if (t.kind != Tok::text) return std::optional<std::string>();
      for (char c : s_.substr(t.at, t.len)) {
        if (c == ' ' || c == '\r' || c == '\n' || c == '\t') continue;
        if (!std::isxdigit(static_cast<unsigned char>(c))) return std::optional<std::string>();
        if (high < 0) {
          high = hex_value(c);
        } else {
          out.push_back(static_cast<char>(high * 16 + hex_value(c)));
          high = -1;
        }
      }
    }
    if (high >= 0) return std::optional<std::string>();  // an odd digit: no hex Word wrote
    SANSO_TRY(ctx_.charge(out.size(), "hex data"));
    return std::optional<std::string>(std::move(out));
  }

  // A file Word keeps in hex, read as a file: the data store's OLE1 wrapping taken off when it has
  // one (its compound file is the file), otherwise the bytes as they are — a reader of the file
  // decides, and bytes of no known type are named unreadable there.
  static void read_hex_file(const std::string& dest, std::string data, ReadContent& content) {
    if (dest == "datastore") {
      auto object = ole1_object(data, dest);
      if (object) {
        object->name = dest;
        content.embedded.push_back(std::move(object).value());
        return;
      }
    }
    if (!data.empty()) content.embedded.push_back({dest, std::move(data)});
  }

 private:
  std::string where() const { return ctx_.prefix.empty() ? std::string("document") : ctx_.prefix.substr(0, ctx_.prefix.size() - 1); }
  std::string here(std::size_t at) const { return "byte " + std::to_string(at); }

  // The token at pos_, and pos_ after it.
  Token next() {
    Token t;
    t.at = pos_;
    if (pos_ >= s_.size()) return t;
    const char c = s_[pos_];
    if (c == '{' || c == '}') {
      t.kind = c == '{' ? Tok::open : Tok::close;
      t.len = 1;
      ++pos_;
      return t;
    }
    if (c != '\\') {
      std::size_t j = pos_;
      while (j < s_.size() && s_[j] != '{' && s_[j] != '}' && s_[j] != '\\') ++j;
      t.kind = Tok::text;
      t.len = j - pos_;
      pos_ = j;
      return t;
    }
    std::size_t j = pos_ + 1;
    if (j < s_.size() && std::isalpha(static_cast<unsigned char>(s_[j]))) {
      // Control words are lowercase in RTF; one spelled otherwise ("\objecT") is read, judged and
      // written lowercased, so that no reader can take for an object what the engine took for text.
      while (j < s_.size() && std::isalpha(static_cast<unsigned char>(s_[j])) && t.word.size() < 32) {
        t.word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(s_[j++]))));
      }
      const bool neg = j < s_.size() && s_[j] == '-';
      std::size_t k = neg ? j + 1 : j, digits = 0;
      while (k < s_.size() && std::isdigit(static_cast<unsigned char>(s_[k])) && digits < 10) {
        t.param = t.param * 10 + (s_[k++] - '0');
        ++digits;
      }
      if (digits > 0) {
        t.has_param = true;
        if (neg) t.param = -t.param;
        j = k;
      }
      if (j < s_.size() && s_[j] == ' ') ++j;
      t.kind = Tok::word;
      if (t.word == "bin" && t.has_param && t.param > 0) {
        t.kind = Tok::bin;
        t.data = j;
        j += static_cast<std::size_t>(std::min<long long>(t.param, static_cast<long long>(s_.size() - j)));
      }
      t.len = j - pos_;
      pos_ = j;
      return t;
    }
    if (j < s_.size() && s_[j] == '\'' && j + 2 < s_.size() && std::isxdigit(static_cast<unsigned char>(s_[j + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s_[j + 2]))) {
      t.kind = Tok::hex;
      t.param = hex_value(s_[j + 1]) * 16 + hex_value(s_[j + 2]);
      t.len = 4;
      pos_ += 4;
      return t;
    }
    t.kind = Tok::symbol;
    t.len = j < s_.size() ? 2 : 1;
    if (j < s_.size()) t.word = std::string(1, s_[j]);
    pos_ += t.len;
    return t;
  }

  // Skips to after the '}' that closes the group whose '{' came before pos_.
  Result<void> skip_group() {
    int depth = 1;
    while (depth > 0) {
      Token t = next();
      if (t.kind == Tok::end) return blocked("malformed", where(), "an RTF group is not closed");
      if (t.kind == Tok::open && ++depth > kMaxDepth) return blocked("limit", where(), "the RTF nests groups more than 200 deep");
      if (t.kind == Tok::close) --depth;
    }
    return ok();
  }

  // Whether picture properties make the picture a link to a file or URL: a pibName with pibFlags
  // msoblipflagLinkToFile (8). The properties are left out either way; this only decides
  // whether it is worth a finding.
  static bool links_picture(std::string_view props) {
    if (props.find("pibname") == std::string_view::npos) return false;
    const auto flags = props.find("pibflags");
    if (flags == std::string_view::npos) return false;
    const auto sv = props.find("\\sv", flags);
    if (sv == std::string_view::npos) return false;
    std::size_t at = sv + 3;
    while (at < props.size() && props[at] == ' ') ++at;
    unsigned long value = 0;
    for (std::size_t digits = 0; at < props.size() && std::isdigit(static_cast<unsigned char>(props[at])) && digits < 9; ++at, ++digits) {
      value = value * 10 + static_cast<unsigned long>(props[at] - '0');
    }
    return (value & 0x8) != 0;
  }

  static void write_word(std::string* out, const Token& t) {
    if (out == nullptr) return;
    *out += '\\';
    *out += t.word;
    if (t.has_param) *out += std::to_string(t.param);
    *out += ' ';  // always a delimiter: a word left out must not join its neighbours ("\b" + "old")
  }

  // The content of a group, after its '{', up to and including its '}'. Written to `out` (nothing
  // written when null).
  Result<void> group(std::string* out, int depth) {
    if (depth > kMaxDepth) return blocked("limit", where(), "the RTF nests groups more than 200 deep");
    bool ignorable = false;  // a `\*` came: the next word is an ignorable destination
    bool picture = false;    // inside \pict: \bin data is the picture
    while (true) {
      const std::size_t before = pos_;
      Token t = next();
      switch (t.kind) {
        case Tok::end:
          return blocked("malformed", where(), "the RTF's groups are not balanced (a group opened before " + here(before) + " is not closed)");
        case Tok::close:
          if (out != nullptr) *out += '}';
          return ok();
        case Tok::open:
          if (out != nullptr) *out += '{';
          SANSO_TRY(group(out, depth + 1));
          break;
        case Tok::text:
        case Tok::hex:
          if (out != nullptr) out->append(s_.substr(t.at, t.len));
          break;
        case Tok::bin:
          if (out != nullptr && picture) out->append(s_.substr(t.at, t.len));  // picture data; elsewhere it is nothing Word shows
          break;
        case Tok::symbol:
          if (t.word == "*") {
            ignorable = true;
          } else if (out != nullptr) {
            out->append(s_.substr(t.at, t.len));
          }
          break;
        case Tok::word: {
          const DestRow* row = destination_of(t.word);
          if (row == nullptr) {
            if (ignorable) {  // an ignorable destination the engine does not know: not written
              if (out != nullptr) *out += '}';
              return skip_group();
            }
            if (is_link_flag(t.word)) {
              ctx_.add(FindingKind::kRtfObject, "\\" + t.word + " at " + here(t.at), FindingAction::kRemoved);
            } else {
              write_word(out, t);
            }
            break;
          }
          const bool was_ignorable = ignorable;
          ignorable = false;
          switch (row->dest) {
            case Dest::keep:
              if (out != nullptr) {
                if (was_ignorable) *out += "\\*";
                write_word(out, t);
              }
              if (t.word == "pict") picture = true;
              break;
            case Dest::drop:
              if (out != nullptr) *out += '}';
              return skip_group();
            case Dest::picprop: {
              const std::size_t from = pos_;
              SANSO_TRY(skip_group());
              if (links_picture(ascii_lower(s_.substr(from, pos_ - from)))) ctx_.add(FindingKind::kExternalRelationship, "linked picture at " + here(t.at), FindingAction::kRemoved);
              if (out != nullptr) *out += '}';
              return ok();
            }
            case Dest::active:
              ctx_.add(FindingKind::kRtfObject, "\\" + t.word + " at " + here(t.at), FindingAction::kRemoved);
              if (out != nullptr) *out += '}';
              return skip_group();
            case Dest::template_:
              ctx_.add(FindingKind::kExternalTemplate, here(t.at), FindingAction::kRemoved);
              if (out != nullptr) *out += '}';
              return skip_group();
            case Dest::fldinst:
              if (out != nullptr) *out += '}';
              return skip_group();
            case Dest::object:
              ctx_.add(FindingKind::kRtfObject, here(t.at), FindingAction::kRemoved);
              return only_children(out, depth, "result");
            case Dest::shape:
              return only_children(out, depth, "shprslt");
            case Dest::field:
              return field(out, depth, t.at);
          }
          break;
        }
      }
    }
  }

  // The rest of an \object or \shp group: only the content of its {\result …} or {\shprslt …}
  // groups is written.
  Result<void> only_children(std::string* out, int depth, std::string_view wanted) {
    while (true) {
      Token t = next();
      if (t.kind == Tok::end) return blocked("malformed", where(), "an RTF object group is not closed");
      if (t.kind == Tok::close) {
        if (out != nullptr) *out += '}';
        return ok();
      }
      if (t.kind != Tok::open) continue;
      if (child_destination() == wanted) {
        if (out != nullptr) *out += '{';
        skip_to_destination_word();
        SANSO_TRY(group(out, depth + 1));
      } else {
        SANSO_TRY(skip_group());
      }
    }
  }

  // The destination word of the child group whose '{' was just read ("" when it has none before
  // its text), without moving pos_: a `\*`, other control words and spaces may come before it.
  std::string child_destination() {
    const std::size_t saved = pos_;
    std::string found;
    while (true) {
      Token t = next();
      if (t.kind == Tok::word) {
        if (destination_of(t.word) != nullptr) {
          found = t.word;
          break;
        }
        continue;
      }
      if (t.kind == Tok::symbol && t.word == "*") continue;
      if (t.kind == Tok::text && s_.substr(t.at, t.len).find_first_not_of(" \r\n\t") == std::string_view::npos) continue;
      break;
    }
    pos_ = saved;
    return found;
  }

  // Moves pos_ past the destination word child_destination() found (the word itself is not
  // written: a \result or \fldrslt group written outside its object or field is plain content).
  void skip_to_destination_word() {
    while (true) {
      Token t = next();
      if (t.kind == Tok::end || (t.kind == Tok::word && destination_of(t.word) != nullptr)) return;
    }
  }

  // An instruction as Word reads it after updating the fields inside it.
  struct Instruction {
    std::string text;            // ASCII; anything else is '?'
    bool keyword_computed = false;  // the field's first word comes from a nested field
    bool non_ascii = false;
  };

  // Reads the text of the group whose '{' was just read into `into`: escapes decoded, `\*`
  // groups left out, nested fields replaced by their value. `uc` is the number of fallback
  // characters after \uN.
  Result<void> instruction_text(Instruction& into, std::string* result, int depth, int uc) {
    if (depth > kMaxDepth) return blocked("limit", where(), "the RTF nests groups more than 200 deep");
    int skip = 0;
    auto put = [&](unsigned code) {
      if (skip > 0) {
        --skip;
        return;
      }
      if (code >= 0x80 && result == nullptr) into.non_ascii = true;
      std::string& target = result != nullptr ? *result : into.text;
      if (target.size() < 4096) target.push_back(code < 0x80 ? static_cast<char>(code) : '?');
    };
    while (true) {
      Token t = next();
      switch (t.kind) {
        case Tok::end:
          return blocked("malformed", where(), "an RTF field is not closed");
        case Tok::close:
          return ok();
        case Tok::open: {
          const std::string dest = child_destination();
          if (dest == "field") {
            if (into.text.find_first_not_of(" \t\r\n\\") == std::string::npos && result == nullptr) into.keyword_computed = true;
            Instruction nested;
            std::string nested_result;
            SANSO_TRY(nested_field(nested, nested_result, depth + 1));
            std::string value = nested_field_value(nested.text, nested_result);
            for (char c : value) put(static_cast<unsigned char>(c));
            if (result == nullptr) into.non_ascii = into.non_ascii || nested.non_ascii;
          } else if (peek_ignorable()) {
            SANSO_TRY(skip_group());
          } else {
            SANSO_TRY(instruction_text(into, result, depth + 1, uc));
          }
          break;
        }
        case Tok::text:
          for (char c : s_.substr(t.at, t.len)) {
            if (c != '\r' && c != '\n') put(static_cast<unsigned char>(c));
          }
          break;
        case Tok::hex:
          put(static_cast<unsigned>(t.param));
          break;
        case Tok::symbol:
          if (t.word == "\\" || t.word == "{" || t.word == "}") put(static_cast<unsigned char>(t.word[0]));
          if (t.word == "~") put(' ');
          break;
        case Tok::word:
          if (t.word == "u" && t.has_param) {
            put(static_cast<unsigned>(t.param < 0 ? t.param + 65536 : t.param));
            skip = uc;
          } else if (t.word == "uc" && t.has_param) {
            uc = static_cast<int>(std::clamp<long long>(t.param, 0, 16));
          } else if (t.word == "tab") {
            put(' ');
          }
          break;
        case Tok::bin:
          break;
      }
    }
  }

  // Whether the group whose '{' was just read starts with `\*` (after spaces).
  bool peek_ignorable() {
    const std::size_t saved = pos_;
    Token t = next();
    while (t.kind == Tok::text && s_.substr(t.at, t.len).find_first_not_of(" \r\n\t") == std::string_view::npos) t = next();
    pos_ = saved;
    return t.kind == Tok::symbol && t.word == "*";
  }

  // A field inside an instruction: its instruction (every fldinst) and its result text.
  Result<void> nested_field(Instruction& instruction, std::string& result, int depth) {
    while (true) {
      Token t = next();
      if (t.kind == Tok::end) return blocked("malformed", where(), "an RTF field is not closed");
      if (t.kind == Tok::close) return ok();
      if (t.kind != Tok::open) continue;
      // Everything but the result counts as instruction: text hidden in a group Word might read
      // as a second instruction makes the field unknown, never harmless.
      if (child_destination() == "fldrslt") {
        SANSO_TRY(instruction_text(instruction, &result, depth + 1, 1));
      } else {
        SANSO_TRY(instruction_text(instruction, nullptr, depth + 1, 1));
      }
    }
  }

  // The rest of a group after its \field word: the instruction is read from every fldinst (a
  // second one counts as much as the first), then the field is written anew when harmless, or
  // as its result text otherwise.
  Result<void> field(std::string* out, int depth, std::size_t at) {
    const std::size_t start = pos_;
    Instruction instruction;
    std::string ignored_result;
    SANSO_TRY(nested_field(instruction, ignored_result, depth));
    const std::size_t end = pos_;
    std::string_view text = instruction.text;
    const auto b = text.find_first_not_of(" \t\r\n\\");
    const std::string keyword = b == std::string_view::npos ? "" : ascii_lower(text.substr(b, text.find_first_of(" \t\r\n\"\\", b) - b));
    std::optional<FindingKind> kind = dangerous_field_kind(text);
    // Only printable ASCII is written back as an instruction; anything else keeps the result only.
    const bool printable = std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7F; }) && !instruction.non_ascii;
    bool keep = false;
    if (!kind && instruction.keyword_computed) {
      kind = FindingKind::kDdeField;  // a keyword spelled by a nested field is only known when Word runs it
    } else if (!kind && keyword == "hyperlink") {
      const std::string target = ascii_lower(text.substr(b + 9));
      const auto q = target.find_first_not_of(" \"");
      const std::string_view url = q == std::string::npos ? std::string_view() : std::string_view(target).substr(q);
      const bool web = url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0 || url.rfind("mailto:", 0) == 0;
      const bool bookmark = url.rfind("\\l", 0) == 0;  // HYPERLINK \l "name": a place in this document
      keep = printable && (bookmark || (web && ctx_.policy.keep_hyperlinks));
      if (!keep) kind = FindingKind::kHyperlink;
    } else if (!kind) {
      keep = (keyword.empty() || is_harmless_field(keyword)) && printable;
      if (!keep) kind = FindingKind::kRtfField;
    }
    if (kind) ctx_.add(*kind, "field at " + here(at), *kind == FindingKind::kHyperlink ? FindingAction::kRemoved : FindingAction::kNeutralised);
    // Second pass over the same bytes: write the result (and, when kept, the new instruction).
    pos_ = start;
    if (out != nullptr && keep) {
      *out += "{\\field{\\*\\fldinst ";
      for (char c : instruction.text) {
        if (c == '\\' || c == '{' || c == '}') *out += '\\';
        *out += c;
      }
      *out += "}";
    }
    while (pos_ < end) {
      Token t = next();
      if (t.kind == Tok::close) break;
      if (t.kind != Tok::open) continue;
      if (child_destination() == "fldrslt") {
        if (out != nullptr) *out += keep ? "{\\fldrslt " : "{";
        skip_to_destination_word();
        // The result is ordinary document content: written through the same rules.
        SANSO_TRY(group(out, depth + 1));
      } else {
        SANSO_TRY(skip_group());
      }
    }
    if (out != nullptr) *out += keep ? "}}" : "}";
    pos_ = end;
    return ok();
  }

  static constexpr int kMaxDepth = 200;
  std::string_view s_;
  const Context& ctx_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<Rebuilt> sanitize_rtf(std::string_view bytes, const Context& ctx) {
  RtfRewriter rewriter(bytes, ctx);
  auto out = rewriter.run();
  if (!out) return std::move(out).error();
  return Rebuilt{std::move(out).value(), "rtf"};
}

Result<ReadContent> rtf_content(std::string_view bytes, const Context& ctx) {
  RtfRewriter reader(bytes, ctx);
  ReadContent content;
  content.text = SANSO_TRY(reader.plain_text(content));
  return content;
}

Result<std::string> rtf_text(std::string_view bytes, const Context& ctx) {
  auto content = rtf_content(bytes, ctx);
  if (!content) return std::move(content).error();
  return std::move(content->text);
}

}  // namespace sanso::cdr::internal
