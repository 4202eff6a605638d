#include "cdr/ooxml/disarm.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "core/text.h"

namespace sanso::cdr::internal {

std::optional<FindingKind> dangerous_field_kind(std::string_view instruction) {
  std::string s = ascii_lower(instruction);
  auto b = s.find_first_not_of(" \t\r\n\\");
  if (b == std::string::npos) return std::nullopt;
  auto e = s.find_first_of(" \t\r\n\"\\", b);
  std::string word = s.substr(b, e == std::string::npos ? std::string::npos : e - b);
  if (word == "dde" || word == "ddeauto") return FindingKind::kDdeField;
  if (word == "includetext" || word == "includepicture" || word == "include" || word == "import" || word == "link") return FindingKind::kRemoteField;
  return std::nullopt;
}

namespace ooxml {
namespace {

// Stands for a nested field's result inside an outer field's instruction: Word computes it when
// it updates the field, so nothing about it can be trusted.
constexpr char kNested = '\x01';

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Elements removed with everything inside, by canonical name (SpreadsheetML is the default
// namespace, so its names have no prefix), and the finding they give (none when the removal only
// follows from a part already reported).
struct Removed {
  std::string_view name;
  std::optional<FindingKind> kind;
};
constexpr Removed kRemovedElements[] = {
    {"w:altChunk", FindingKind::kAltChunk},
    {"w:attachedTemplate", FindingKind::kExternalTemplate},
    {"w:mailMerge", FindingKind::kMailMerge},
    {"w:control", FindingKind::kActivex},
    {"o:OLEObject", FindingKind::kOleObject},
    {"w:objectEmbed", FindingKind::kOleObject},
    {"w:objectLink", FindingKind::kOleObject},
    {"w:subDoc", FindingKind::kSubDocument},
    {"w:entryMacro", FindingKind::kVbaMacro},  // a form field's macro to run on entry or exit
    {"w:exitMacro", FindingKind::kVbaMacro},
    {"w:saveThroughXslt", FindingKind::kExternalRelationship},
    {"w:embedRegular", std::nullopt},
    {"w:embedBold", std::nullopt},
    {"w:embedItalic", std::nullopt},
    {"w:embedBoldItalic", std::nullopt},
    {"oleObjects", FindingKind::kOleObject},
    {"controls", FindingKind::kActivex},
    {"externalReferences", std::nullopt},
    {"p:oleObj", FindingKind::kOleObject},
    {"p:control", FindingKind::kActivex},
    {"p:controls", FindingKind::kActivex},
    {"p:embeddedFontLst", std::nullopt},
};

// Elements that are nothing without the relationship they name: when that reference is cut, the
// element goes (a workbook <sheet> whose sheet was removed, a slide list entry, …).
constexpr std::string_view kNeedTheirReference[] = {
    "sheet",         "externalReference", "pivotCache",   "drawing",        "legacyDrawing",      "legacyDrawingHF",
    "picture",       "tablePart",         "p:sldId",      "p:sldMasterId",  "p:notesMasterId",    "p:handoutMasterId",
    "w:headerReference", "w:footerReference", "p:custData", "p:tags",   "w:printerSettings", "c:externalData", "c:userShapes",
    "a:videoFile",   "a:audioFile",       "a:quickTimeFile",
};

// PowerPoint click and hover actions that stay inside the presentation.
constexpr std::string_view kSafeActions[] = {"ppaction://hlinkshowjump", "ppaction://hlinksldjump", "ppaction://noaction", "ppaction://customshow",
                                             "ppaction://media"};

// Field types that neither run, load nor fetch anything: they number, date, cross-reference,
// index, compute or show document properties. Everything else — DDE/DDEAUTO, INCLUDE*, LINK,
// EMBED, IMPORT, MACROBUTTON, DATABASE, PRINT, AUTOTEXT, ASK, FILLIN, unknown words — is not kept.
constexpr std::string_view kAllowedFields[] = {
    "ADVANCE",    "AUTHOR",     "AUTONUM",  "AUTONUMLGL", "AUTONUMOUT", "BIBLIOGRAPHY", "CITATION",  "COMMENTS",     "COMPARE",  "CREATEDATE",
    "DATE",       "DOCPROPERTY", "DOCVARIABLE", "EDITTIME", "EQ",       "FILENAME",     "FILESIZE",  "FORMCHECKBOX", "FORMDROPDOWN", "FORMTEXT",
    "HYPERLINK",  "IF",         "INDEX",    "KEYWORDS",   "LASTSAVEDBY", "LISTNUM",     "MERGEFIELD", "MERGEREC",    "MERGESEQ", "NEXT",
    "NEXTIF",     "NOTEREF",    "NUMCHARS", "NUMPAGES",   "NUMWORDS",   "PAGE",         "PAGEREF",   "PRINTDATE",    "QUOTE",    "RD",
    "REF",        "REVNUM",     "SAVEDATE", "SECTION",    "SECTIONPAGES", "SEQ",        "SET",       "SKIPIF",       "STYLEREF", "SUBJECT",
    "SYMBOL",     "TA",         "TC",       "TEMPLATE",   "TIME",       "TITLE",        "TOA",       "TOC",          "USERADDRESS", "USERINITIALS",
    "USERNAME",   "XE",
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// One argument of a field instruction from `pos`: a quoted string or a bare word.
std::string next_argument(std::string_view s, std::size_t& pos) {
  while (pos < s.size() && is_space(s[pos])) ++pos;
  std::string out;
  if (pos < s.size() && s[pos] == '"') {
    ++pos;
    while (pos < s.size() && s[pos] != '"') out.push_back(s[pos++]);
    if (pos < s.size()) ++pos;
  } else {
    while (pos < s.size() && !is_space(s[pos])) out.push_back(s[pos++]);
  }
  return out;
}

// The finding for a field instruction, or none when the field may stay.
std::optional<FindingKind> field_finding(std::string_view instruction, const CdrPolicy& policy) {
  std::size_t pos = 0;
  while (pos < instruction.size() && is_space(instruction[pos])) ++pos;
  if (pos == instruction.size()) return std::nullopt;
  std::string word;
  if (instruction[pos] == '=') return std::nullopt;  // a formula: arithmetic on numbers and bookmarks
  while (pos < instruction.size() && !is_space(instruction[pos]) && instruction[pos] != '\\' && instruction[pos] != '"') word.push_back(instruction[pos++]);
  if (word.find(kNested) != std::string::npos || word.empty()) return FindingKind::kComputedField;
  if (auto kind = dangerous_field_kind(word)) return kind;
  std::string upper = word;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (std::find(std::begin(kAllowedFields), std::end(kAllowedFields), upper) == std::end(kAllowedFields)) return FindingKind::kField;
  if (upper != "HYPERLINK") return std::nullopt;
  // HYPERLINK "target" with switches; \l, \o and \t take an argument of their own.
  while (pos < instruction.size()) {
    while (pos < instruction.size() && is_space(instruction[pos])) ++pos;
    if (pos >= instruction.size()) break;
    if (instruction[pos] == '\\') {
      char sw = pos + 1 < instruction.size() ? static_cast<char>(std::tolower(static_cast<unsigned char>(instruction[pos + 1]))) : '\0';
      pos += 2;
      if (sw == 'l' || sw == 'o' || sw == 't') next_argument(instruction, pos);
      continue;
    }
    std::string target = next_argument(instruction, pos);
    if (target.find(kNested) != std::string::npos) return FindingKind::kComputedField;
    if (!policy.keep_hyperlinks) return FindingKind::kHyperlink;
    if (!is_safe_link_target(target)) return FindingKind::kExternalRelationship;
    return std::nullopt;
  }
  return std::nullopt;
}

std::string_view name_of(pugi::xml_node n) { return n.name(); }

// Removes nodes later in document order first, so no node is removed after an ancestor of it.
void remove_all(std::vector<std::pair<std::size_t, pugi::xml_node>>& nodes) {
  std::sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  nodes.erase(std::unique(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) { return a.first == b.first; }), nodes.end());
  for (auto& [order, node] : nodes) node.parent().remove_child(node);
}

// Elements in document order.
std::vector<pugi::xml_node> elements_in_order(pugi::xml_node root) {
  std::vector<pugi::xml_node> out;
  std::vector<pugi::xml_node> stack{root};
  while (!stack.empty()) {
    pugi::xml_node n = stack.back();
    stack.pop_back();
    out.push_back(n);
    std::vector<pugi::xml_node> children;
    for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
      if (c.type() == pugi::node_element) children.push_back(c);
    }
    for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back(*it);
  }
  return out;
}

// Word complex fields (fldChar begin … instrText … separate … result … end), nested in each
// other's instructions and results. A field that may not stay loses its markers and its
// instruction — including nested fields inside the instruction — and its result stays as text.
Result<void> judge_complex_fields(pugi::xml_document& doc, const std::string& where, const Context& ctx) {
  struct Open {
    std::string instruction;
    std::vector<std::size_t> own;     // indices of its begin/separate/end markers
    std::vector<std::size_t> region;  // indices of everything inside its instruction
    bool in_instruction = true;
  };
  constexpr std::size_t kMaxNesting = 32;  // Word itself refuses deeper nesting long before this
  const std::vector<pugi::xml_node> order = elements_in_order(doc.document_element());
  std::vector<Open> stack;
  std::vector<std::pair<std::size_t, pugi::xml_node>> doomed;
  auto record = [&](std::size_t i) {
    for (auto& f : stack) {
      if (f.in_instruction) f.region.push_back(i);
    }
  };
  auto judge = [&](Open& f) {
    if (auto kind = field_finding(f.instruction, ctx.policy)) {
      ctx.add(*kind, where, FindingAction::kNeutralised);
      for (std::size_t i : f.own) doomed.emplace_back(i, order[i]);
      for (std::size_t i : f.region) doomed.emplace_back(i, order[i]);
    }
  };
  for (std::size_t i = 0; i < order.size(); ++i) {
    pugi::xml_node n = order[i];
    std::string_view name = name_of(n);
    if (name == "w:fldChar") {
      // Compared without case: a reader more lenient than the schema must not see a field we missed.
      const std::string type = ascii_lower(n.attribute("w:fldCharType").value());
      if (type == "begin") {
        record(i);
        if (!stack.empty() && stack.back().in_instruction) stack.back().instruction.push_back(kNested);
        if (stack.size() >= kMaxNesting) return blocked("malformed", ctx.prefix + where, "fields nested more than " + std::to_string(kMaxNesting) + " deep");
        stack.push_back({});
        stack.back().own.push_back(i);
      } else if (type == "separate" && !stack.empty()) {
        stack.back().own.push_back(i);
        stack.back().in_instruction = false;
        record(i);
      } else if (type == "end" && !stack.empty()) {
        stack.back().own.push_back(i);
        Open f = std::move(stack.back());
        stack.pop_back();
        record(i);
        judge(f);
      }
    } else if (name == "w:instrText" || name == "w:delInstrText") {
      if (!stack.empty() && stack.back().in_instruction) stack.back().instruction += n.text().get();
      record(i);
    } else if (name == "w:t" || name == "w:delText") {
      record(i);
    } else if (name == "w:fldSimple") {
      if (!stack.empty() && stack.back().in_instruction) stack.back().instruction.push_back(kNested);
      record(i);
    }
  }
  for (auto& f : stack) judge(f);  // unterminated fields are judged as they stand
  remove_all(doomed);
  return ok();
}

// Simple fields (<w:fldSimple w:instr="…">): one that may not stay is replaced by its result.
void judge_simple_fields(pugi::xml_document& doc, const std::string& where, const Context& ctx) {
  std::vector<pugi::xml_node> bad;
  for (pugi::xml_node n : elements_in_order(doc.document_element())) {
    if (name_of(n) != "w:fldSimple") continue;
    if (auto kind = field_finding(n.attribute("w:instr").value(), ctx.policy)) {
      ctx.add(*kind, where, FindingAction::kNeutralised);
      bad.push_back(n);
    }
  }
  for (auto it = bad.rbegin(); it != bad.rend(); ++it) {
    pugi::xml_node field = *it;
    while (pugi::xml_node c = field.first_child()) field.parent().insert_move_before(c, field);
    field.parent().remove_child(field);
  }
}

// Worksheet functions that reach outside the workbook: a COM real-time-data server, a web
// service, a DLL entry point, a DDE server (LibreOffice Calc's DDE function).
constexpr std::string_view kOutsideFunctions[] = {"RTD", "WEBSERVICE", "CALL", "REGISTER.ID", "REGISTER", "EXEC", "DDE"};

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }

}  // namespace

bool is_external_formula(std::string_view text) {
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] == '[' && std::isdigit(static_cast<unsigned char>(text[i + 1]))) return true;
  }
  if (text.find('|') != std::string_view::npos) return true;
  std::string upper(text);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (std::size_t i = 0; i < upper.size(); ++i) {
    if (i > 0 && is_name_char(upper[i - 1]) && !(i >= 6 && std::string_view(upper).substr(i - 6, 6) == "_XLFN.")) continue;
    for (std::string_view f : kOutsideFunctions) {
      std::size_t end = i + f.size();
      while (end < upper.size() && upper.substr(i, f.size()) == f && (upper[end] == ' ')) ++end;
      if (upper.compare(i, f.size(), f) == 0 && end < upper.size() && upper[end] == '(') return true;
    }
  }
  return false;
}

namespace {

bool is_reference_attribute(std::string_view name) { return starts_with(name, "r:") || name == "o:relid"; }

bool is_hyperlink_element(std::string_view name) {
  return name == "w:hyperlink" || name == "a:hlinkClick" || name == "a:hlinkHover" || name == "a:hlinkMouseOver" || name == "hyperlink";
}

class Walker {
 public:
  Walker(const KeptReferences& kept, const std::string& where, const Context& ctx) : kept_(kept), where_(where), ctx_(ctx) {}

  void children(pugi::xml_node parent) {
    for (pugi::xml_node c = parent.first_child(); c;) {
      pugi::xml_node next = c.next_sibling();
      if (c.type() == pugi::node_element && !keep(c)) {
        parent.remove_child(c);
      } else if (c.type() == pugi::node_element) {
        children(c);
      }
      c = next;
    }
  }

 private:
  // Applies the element rules to `n` (its attributes); false when it goes as a whole.
  bool keep(pugi::xml_node n) {
    std::string_view name = n.name();
    for (const auto& r : kRemovedElements) {
      if (r.name == name) {
        if (r.kind) ctx_.add(*r.kind, where_, FindingAction::kRemoved);
        return false;
      }
    }
    // A PowerPoint graphic frame holding an OLE object is the object.
    if (name == "p:graphicFrame" && n.find_node([](pugi::xml_node d) { return std::string_view(d.name()) == "p:oleObj"; })) {
      ctx_.add(FindingKind::kOleObject, where_, FindingAction::kRemoved);
      return false;
    }
    if (name == "a:hlinkClick" || name == "a:hlinkHover" || name == "a:hlinkMouseOver") {
      std::string action = ascii_lower(n.attribute("action").value());
      if (!action.empty() && std::none_of(std::begin(kSafeActions), std::end(kSafeActions), [&](std::string_view s) { return starts_with(action, s); })) {
        ctx_.add(FindingKind::kPpaction, where_, FindingAction::kRemoved);
        return false;
      }
    }
    if ((name == "f" || name == "definedName" || name == "xm:f") && is_external_formula(n.text().get())) {
      ctx_.add(FindingKind::kExternalFormula, where_, FindingAction::kRemoved);
      return false;
    }
    bool cut = false;
    for (pugi::xml_attribute a = n.first_attribute(); a;) {
      pugi::xml_attribute next = a.next_attribute();
      std::string_view an = a.name();
      if (is_reference_attribute(an) && !kept_.internal.count(a.value()) && !(kept_.hyperlinks.count(a.value()) && is_hyperlink_element(name))) {
        n.remove_attribute(a);
        cut = true;
      } else if (starts_with(name, "v:") && (an == "src" || an == "o:href")) {
        // VML reads these URLs itself; Office's own pictures name relationships instead.
        ctx_.add(FindingKind::kExternalRelationship, where_, FindingAction::kRemoved);
        n.remove_attribute(a);
      } else if (starts_with(name, "v:") && an == "href" && !(ctx_.policy.keep_hyperlinks && is_safe_link_target(a.value()))) {
        ctx_.add(ctx_.policy.keep_hyperlinks ? FindingKind::kExternalRelationship : FindingKind::kHyperlink, where_, FindingAction::kRemoved);
        n.remove_attribute(a);
      }
      a = next;
    }
    if (cut && std::find(std::begin(kNeedTheirReference), std::end(kNeedTheirReference), name) != std::end(kNeedTheirReference)) return false;
    return true;
  }

  const KeptReferences& kept_;
  const std::string& where_;
  const Context& ctx_;
};

}  // namespace

bool is_safe_link_target(std::string_view target) {
  std::string t = ascii_lower(target.substr(0, 8));
  return starts_with(t, "http://") || starts_with(t, "https://") || starts_with(t, "mailto:");
}

Result<void> disarm_part(pugi::xml_document& doc, const KeptReferences& kept, const std::string& where, const Context& ctx) {
  pugi::xml_node root = doc.document_element();
  if (!root) return ok();
  Walker(kept, where, ctx).children(root);
  SANSO_TRY(judge_complex_fields(doc, where, ctx));
  judge_simple_fields(doc, where, ctx);
  return ok();
}

}  // namespace ooxml
}  // namespace sanso::cdr::internal
