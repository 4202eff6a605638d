// A second reader for rebuilt Office packages (OOXML, ODF) and RTF, for tests and the fuzz
// oracle. Written apart from the rebuilders and simpler than they are: it lists what must never
// be in an output — macros, scripts, OLE objects and controls, links that fetch or run something,
// fields of a forbidden type — reading names through their namespaces (its own resolution, not
// the rebuilders'), so a mistake in a rebuilder's rules shows here instead of being repeated.
#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

#include "cdr/internal/format.h"
#include "cdr/internal/zip_package.h"
#include "core/text.h"

namespace sanso::cdr::internal {
namespace {

bool starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool contains(std::string_view s, std::string_view p) { return s.find(p) != std::string_view::npos; }

constexpr std::string_view kOdf = "urn:oasis:names:tc:opendocument:xmlns:";
constexpr std::string_view kWord = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
constexpr std::string_view kXlink = "http://www.w3.org/1999/xlink";

// Field types that load, run or fetch something (the engine keeps only an allow-list; anything
// here in an output is a miss).
constexpr std::array kForbiddenFields = {"dde", "ddeauto", "include", "includetext", "includepicture", "import", "link", "macrobutton", "embed", "database", "autotext"};

// A relative reference (no scheme, not rooted, not UNC) stays inside the package.
bool is_relative(std::string_view v) {
  const auto colon = v.find(':');
  const auto slash = v.find_first_of("/\\");
  return !starts(v, "/") && !starts(v, "\\") && (colon == std::string_view::npos || (slash != std::string_view::npos && slash < colon));
}

bool is_web(std::string_view v) {
  const std::string l = ascii_lower(v.substr(0, 8));
  return starts(l, "http://") || starts(l, "https://") || starts(l, "mailto:");
}

// The first word of a field instruction, lower case.
std::string field_word(std::string_view instruction) {
  std::string word;
  std::size_t i = 0;
  while (i < instruction.size() && (std::isspace(static_cast<unsigned char>(instruction[i])) || instruction[i] == '\\')) ++i;
  while (i < instruction.size() && !std::isspace(static_cast<unsigned char>(instruction[i])) && instruction[i] != '"' && instruction[i] != '\\') {
    word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(instruction[i++]))));
  }
  return word;
}

// The target of a HYPERLINK instruction: its first argument that is not a switch (\l, \o and
// \t take one of their own); "" when it has none (a jump to a bookmark).
std::string hyperlink_target(std::string_view instruction) {
  std::size_t i = instruction.find_first_not_of(" \t\r\n\\");
  i = i == std::string_view::npos ? instruction.size() : i + std::string_view("hyperlink").size();
  auto argument = [&]() {
    while (i < instruction.size() && std::isspace(static_cast<unsigned char>(instruction[i]))) ++i;
    std::string a;
    if (i < instruction.size() && instruction[i] == '"') {
      for (++i; i < instruction.size() && instruction[i] != '"'; ++i) a.push_back(instruction[i]);
      ++i;
    } else {
      for (; i < instruction.size() && !std::isspace(static_cast<unsigned char>(instruction[i])); ++i) a.push_back(instruction[i]);
    }
    return a;
  };
  while (i < instruction.size()) {
    while (i < instruction.size() && std::isspace(static_cast<unsigned char>(instruction[i]))) ++i;
    if (i >= instruction.size()) break;
    if (instruction[i] == '\\' && i + 1 < instruction.size()) {
      const char sw = static_cast<char>(std::tolower(static_cast<unsigned char>(instruction[i + 1])));
      i += 2;
      if (sw == 'l' || sw == 'o' || sw == 't') argument();
      continue;
    }
    return argument();
  }
  return "";
}

// A formula that reaches outside the document: a call of a web service, a DDE or real-time-data
// server or a DLL (spaces allowed before the parenthesis, case ignored), a reference into
// another file ('file:///x.ods'#Sheet1.A1), a DDE reference (app|topic!item).
bool reaches_outside(std::string_view formula) {
  const std::string f = [&] {
    std::string u(formula);
    for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return u;
  }();
  auto name_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; };
  for (std::string_view call : {"WEBSERVICE", "DDE", "RTD", "CALL", "REGISTER", "REGISTER.ID", "EXEC"}) {
    for (std::size_t at = f.find(call); at != std::string::npos; at = f.find(call, at + 1)) {
      const bool own_name = at == 0 || !name_char(f[at - 1]) || (at >= 6 && f.compare(at - 6, 6, "_XLFN.") == 0);
      std::size_t after = at + call.size();
      while (after < f.size() && f[after] == ' ') ++after;
      if (own_name && after < f.size() && f[after] == '(') return true;
    }
  }
  return contains(f, "'#") || contains(f, "|");
}

void judge_field(std::string_view instruction, const std::string& where, std::vector<std::string>& out) {
  const std::string word = field_word(instruction);
  if (std::find(kForbiddenFields.begin(), kForbiddenFields.end(), word) != kForbiddenFields.end()) out.push_back(where + ": field " + word);
  if (word == "hyperlink") {
    const std::string target = hyperlink_target(instruction);
    if (!target.empty() && !is_web(target)) out.push_back(where + ": hyperlink field to " + target);
  }
}

struct XmlChecker {
  const std::string& where;
  std::vector<std::string>& out;
  struct Scope {
    std::string prefix, uri;
  };
  std::vector<Scope> scope;
  std::vector<std::string> fields;  // Word complex fields' instructions, innermost last

  std::string resolve(std::string_view qname, bool attribute) const {
    const auto colon = qname.find(':');
    if (colon == std::string_view::npos && attribute) return "";
    const std::string prefix = colon == std::string_view::npos ? "" : std::string(qname.substr(0, colon));
    if (prefix == "xml") return "http://www.w3.org/XML/1998/namespace";
    for (auto it = scope.rbegin(); it != scope.rend(); ++it) {
      if (it->prefix == prefix) return it->uri;
    }
    return "";
  }

  static std::string local(std::string_view qname) {
    const auto colon = qname.find(':');
    return std::string(colon == std::string_view::npos ? qname : qname.substr(colon + 1));
  }

  void element(pugi::xml_node n, int depth) {
    if (depth > 512) {
      out.push_back(where + ": nesting beyond any document");
      return;
    }
    const std::size_t mark = scope.size();
    for (pugi::xml_attribute a : n.attributes()) {
      const std::string_view an = a.name();
      if (an == "xmlns") scope.push_back({"", a.value()});
      else if (starts(an, "xmlns:")) scope.push_back({std::string(an.substr(6)), a.value()});
    }
    const std::string ns = resolve(n.name(), false);
    const std::string name = local(n.name());
    const std::string at = where + ": <" + name + ">";
    auto odf = [&](std::string_view part, std::initializer_list<std::string_view> names) {
      if (ns != std::string(kOdf) + std::string(part) + ":1.0") return false;
      return names.size() == 0 || std::find(names.begin(), names.end(), name) != names.end();
    };
    if (odf("script", {}) || odf("office", {"scripts", "script", "event-listeners"}) || odf("text", {"execute-macro"}) || odf("presentation", {"event-listener"})) {
      out.push_back(at + " script");
    }
    if (odf("drawing", {"object", "object-ole", "plugin", "applet"})) out.push_back(at + " embedded object");
    if (odf("text", {"dde-connection-decl", "dde-connection-decls", "dde-connection"}) || odf("table", {"dde-link", "dde-links"}) || odf("office", {"dde-source"})) {
      out.push_back(at + " DDE link");
    }
    if (ns == "http://www.w3.org/2002/xforms" || ns == "http://www.w3.org/2001/xml-events") out.push_back(at + " XForms or DOM events");
    static constexpr std::array kOoxmlObjects = {"altChunk", "attachedTemplate", "mailMerge", "control", "subDoc", "OLEObject", "oleObj", "oleObjects", "controls", "objectEmbed", "objectLink"};
    if (!starts(ns, kOdf) && std::find(kOoxmlObjects.begin(), kOoxmlObjects.end(), name) != kOoxmlObjects.end()) out.push_back(at + " object, control or import");
    if (ns == kWord && (name == "fldChar")) {
      const std::string type = ascii_lower(resolve_attribute(n, kWord, "fldCharType"));
      if (type == "begin") fields.emplace_back();
      if ((type == "separate" || type == "end") && !fields.empty()) {
        judge_field(fields.back(), where, out);
        fields.pop_back();
        if (type == "separate") fields.emplace_back("\x01");  // the result: nothing to judge
      }
    }
    if (ns == kWord && (name == "instrText" || name == "delInstrText") && !fields.empty() && fields.back() != "\x01") fields.back() += n.text().get();
    if (ns == "http://schemas.openxmlformats.org/spreadsheetml/2006/main" && name == "f" && reaches_outside(n.text().get())) out.push_back(at + " formula " + n.text().get());
    if (ns == kWord && name == "fldSimple") judge_field(resolve_attribute(n, kWord, "instr"), where, out);
    for (pugi::xml_attribute a : n.attributes()) {
      const std::string ans = resolve(a.name(), true);
      const std::string al = local(a.name());
      const std::string v = a.value();
      if (ans == kXlink && al == "href") {
        const bool link = name == "a" && starts(ns, kOdf);
        if (!(is_relative(v) || (link && is_web(v)))) out.push_back(at + " reference " + v);
      }
      if (al == "action" && starts(ascii_lower(v), "ppaction://") && !starts(ascii_lower(v), "ppaction://hlink") && !starts(ascii_lower(v), "ppaction://noaction") &&
          !starts(ascii_lower(v), "ppaction://customshow") && !starts(ascii_lower(v), "ppaction://media")) {
        out.push_back(at + " action " + v);
      }
      if (al == "formula" && starts(ans, kOdf) && reaches_outside(v)) out.push_back(at + " formula " + v);
      const std::string lv = ascii_lower(v);
      if (starts(lv, "vnd.sun.star.script:") || starts(lv, "macro:") || starts(lv, "javascript:") || starts(lv, "vnd.sun.star.basic:")) out.push_back(at + " script reference " + v);
    }
    for (pugi::xml_node c : n.children()) {
      if (c.type() == pugi::node_element) element(c, depth + 1);
    }
    scope.resize(mark);
  }

  std::string resolve_attribute(pugi::xml_node n, std::string_view ns, std::string_view name) const {
    for (pugi::xml_attribute a : n.attributes()) {
      if (local(a.name()) == name && resolve(a.name(), true) == ns) return a.value();
    }
    return "";
  }
};

void check_relationships(const pugi::xml_document& doc, const std::string& where, std::vector<std::string>& out) {
  static constexpr std::array kForbidden = {"vbaproject", "wordvbadata", "oleobject", "package", "control", "activexcontrolbinary", "attachedtemplate", "afchunk",
                                            "webextension", "webextensiontaskpanes", "mailmergesource", "externallink", "connections", "querytable",
                                            "xlmacrosheet", "xlintlmacrosheet", "dialogsheet", "extensibility", "font", "subdocument", "frame"};
  for (pugi::xml_node r : doc.document_element().children()) {
    if (r.type() != pugi::node_element) continue;
    const std::string type = ascii_lower(r.attribute("Type").value());
    const std::string last = type.substr(type.rfind('/') + 1);
    if (std::find(kForbidden.begin(), kForbidden.end(), last) != kForbidden.end()) out.push_back(where + ": relationship " + last);
    if (ascii_lower(r.attribute("TargetMode").value()) == "external" && (last != "hyperlink" || !is_web(r.attribute("Target").value()))) {
      out.push_back(where + ": external " + last + " to " + r.attribute("Target").value());
    }
  }
}

}  // namespace

std::vector<std::string> package_active_content(std::string_view package) {
  std::vector<std::string> out;
  static const CdrPolicy policy;
  std::vector<Finding> findings;
  std::uint64_t budget = 0;
  Context ctx{policy, findings, budget, 0, ""};
  auto zip = ZipReader::open(package, ctx);
  if (!zip) return {"the package does not open: " + zip.error().message};
  for (const auto& e : (*zip)->entries()) {
    if (e.directory) continue;
    const std::string lname = ascii_lower(e.name);
    for (std::string_view bad : {"vbaproject", "vbadata", "activex", "embeddings/", "macrosheets/", "customui", "webextensions/"}) {
      if (contains(lname, bad)) out.push_back(e.name + ": member of a macro, object or add-in kind");
    }
    if (starts(lname, "basic/") || starts(lname, "scripts/") || starts(lname, "object ") || contains(lname, "/object ") || lname.ends_with(".bin") || lname.ends_with(".exe")) {
      out.push_back(e.name + ": member of a macro, object or binary kind");
    }
    auto data = (*zip)->read(e, ctx);
    if (!data) {
      out.push_back(e.name + ": does not read: " + data.error().message);
      continue;
    }
    const bool xml = lname.ends_with(".xml") || lname.ends_with(".rels") || lname.ends_with(".rdf") || lname.ends_with(".vml");
    if (!xml) continue;
    pugi::xml_document doc;
    if (!doc.load_buffer(data->data(), data->size())) {
      out.push_back(e.name + ": not well-formed XML");
      continue;
    }
    if (lname == "[content_types].xml") {
      for (pugi::xml_node n : doc.document_element().children()) {
        const std::string t = ascii_lower(n.attribute("ContentType").value());
        for (std::string_view bad : {"macroenabled", "vbaproject", "oleobject", "activex", "macrosheet", "vnd.ms-office.vbaproject"}) {
          if (contains(t, bad)) out.push_back(e.name + ": content type " + t);
        }
      }
      continue;
    }
    if (lname.ends_with(".rels")) {
      check_relationships(doc, e.name, out);
      continue;
    }
    XmlChecker checker{e.name, out, {}, {}};
    if (pugi::xml_node root = doc.document_element()) checker.element(root, 0);
  }
  return out;
}

// RTF is read as a stream of groups and control words; a destination's text (\'hh escapes
// decoded) is collected for field instructions.
std::vector<std::string> rtf_active_content(std::string_view rtf) {
  std::vector<std::string> out;
  static constexpr std::array kForbidden = {"object", "objdata", "objclass", "objemb", "objlink", "objautlink", "objocx", "template", "datastore", "objupdate"};
  std::vector<char> stack{0};  // one entry per open group
  std::string instruction;
  int instruction_depth = -1;
  // A shape property's name ({\sn pibName}: a picture linked to a file or URL).
  std::string shape_property;
  int shape_property_depth = -1;
  for (std::size_t i = 0; i < rtf.size(); ++i) {
    const char c = rtf[i];
    if (c == '{') {
      if (stack.size() > 10000) return {"groups nested beyond any document"};
      stack.push_back(0);
    } else if (c == '}') {
      if (stack.size() > 1) stack.pop_back();
      if (shape_property_depth >= 0 && static_cast<int>(stack.size()) < shape_property_depth) {
        if (ascii_lower(shape_property) == "pibname") out.push_back("\\sn pibName (a linked picture)");
        shape_property.clear();
        shape_property_depth = -1;
      }
      if (instruction_depth >= 0 && static_cast<int>(stack.size()) <= instruction_depth) {
        judge_field(instruction, "fldinst", out);
        instruction.clear();
        instruction_depth = -1;
      }
    } else if (c == '\\' && i + 1 < rtf.size()) {
      const char n = rtf[i + 1];
      if (std::isalpha(static_cast<unsigned char>(n))) {
        std::size_t j = i + 1;
        std::string word;
        while (j < rtf.size() && std::isalpha(static_cast<unsigned char>(rtf[j]))) word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(rtf[j++]))));
        std::size_t param = 0;
        bool negative = false;
        while (j < rtf.size() && (rtf[j] == '-' || std::isdigit(static_cast<unsigned char>(rtf[j])))) {
          if (rtf[j] == '-') negative = true;
          else param = std::min<std::size_t>(param * 10 + static_cast<std::size_t>(rtf[j] - '0'), rtf.size());
          ++j;
        }
        if (j < rtf.size() && rtf[j] == ' ') ++j;
        // \binN: the next N bytes are a picture's raw data, not words, as every reader takes them.
        if (word == "bin" && !negative) j = std::min(rtf.size(), j + param);
        i = j - 1;
        if (std::find(kForbidden.begin(), kForbidden.end(), word) != kForbidden.end()) out.push_back("\\" + word);
        if (word == "sn") shape_property_depth = static_cast<int>(stack.size());
        if (word == "fldinst" && instruction_depth < 0) instruction_depth = static_cast<int>(stack.size());
      } else if (n == '\'' && i + 3 < rtf.size()) {
        if (instruction_depth >= 0 && std::isxdigit(static_cast<unsigned char>(rtf[i + 2])) && std::isxdigit(static_cast<unsigned char>(rtf[i + 3]))) {
          instruction.push_back(static_cast<char>(std::stoi(std::string(rtf.substr(i + 2, 2)), nullptr, 16)));
        }
        i += 3;
      } else {
        if (instruction_depth >= 0 && (n == '\\' || n == '{' || n == '}')) instruction.push_back(n);
        ++i;
      }
    } else if (c != '\r' && c != '\n') {
      if (instruction_depth >= 0) instruction.push_back(c);
      if (shape_property_depth >= 0 && c != ' ') shape_property.push_back(c);
    }
  }
  if (instruction_depth >= 0) judge_field(instruction, "fldinst", out);
  return out;
}

}  // namespace sanso::cdr::internal
