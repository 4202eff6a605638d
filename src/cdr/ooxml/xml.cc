#include "cdr/ooxml/xml.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

namespace sanso::cdr::internal::ooxml {
namespace {

// The namespaces of ECMA-376 (transitional) and the Microsoft extensions Office writes in
// ordinary documents. Anything else — the Word VBA/keymap namespace (wne), add-in and vendor
// namespaces, Strict OOXML — is not known, so its elements and attributes go. SpreadsheetML and
// the property parts are written as the default namespace, as Excel and Office write them (Excel's
// legacy VML drawings use "x" for the Excel VML namespace).
constexpr KnownNamespace kKnown[] = {
    {kNsWordMain, "w"},
    {kNsSheetMain, ""},
    {kNsSlideMain, "p"},
    {kNsDrawingMain, "a"},
    {kNsRelationships, "r"},
    {kNsPackageRels, ""},
    {kNsContentTypes, ""},
    {"http://schemas.openxmlformats.org/officeDocument/2006/math", "m"},
    {"http://schemas.openxmlformats.org/drawingml/2006/picture", "pic"},
    {"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing", "wp"},
    {"http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing", "xdr"},
    {"http://schemas.openxmlformats.org/drawingml/2006/chart", "c"},
    {"http://schemas.openxmlformats.org/drawingml/2006/chartDrawing", "cdr"},
    {"http://schemas.openxmlformats.org/drawingml/2006/diagram", "dgm"},
    {"http://schemas.openxmlformats.org/drawingml/2006/lockedCanvas", "lc"},
    {"http://schemas.openxmlformats.org/markup-compatibility/2006", "mc"},
    {"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties", ""},
    {"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties", ""},
    {"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes", "vt"},
    {"http://schemas.openxmlformats.org/package/2006/metadata/core-properties", "cp"},
    {"http://schemas.openxmlformats.org/schemaLibrary/2006/main", "sl"},
    {"http://schemas.openxmlformats.org/officeDocument/2006/bibliography", "b"},
    {"http://purl.org/dc/elements/1.1/", "dc"},
    {"http://purl.org/dc/terms/", "dcterms"},
    {"http://purl.org/dc/dcmitype/", "dcmitype"},
    {"http://www.w3.org/2001/XMLSchema-instance", "xsi"},
    {"urn:schemas-microsoft-com:vml", "v"},
    {"urn:schemas-microsoft-com:office:office", "o"},
    {"urn:schemas-microsoft-com:office:word", "w10"},
    {"urn:schemas-microsoft-com:office:excel", "x"},
    {"urn:schemas-microsoft-com:office:powerpoint", "pvml"},
    {"http://schemas.microsoft.com/office/word/2010/wordml", "w14"},
    {"http://schemas.microsoft.com/office/word/2012/wordml", "w15"},
    {"http://schemas.microsoft.com/office/word/2015/wordml/symex", "w16se"},
    {"http://schemas.microsoft.com/office/word/2016/wordml/cid", "w16cid"},
    {"http://schemas.microsoft.com/office/word/2018/wordml", "w16"},
    {"http://schemas.microsoft.com/office/word/2018/wordml/cex", "w16cex"},
    {"http://schemas.microsoft.com/office/word/2020/wordml/sdtdatahash", "w16sdtdh"},
    {"http://schemas.microsoft.com/office/word/2023/wordml/word16du", "w16du"},
    {"http://schemas.microsoft.com/office/word/2024/wordml/sdtformatlock", "w16sdtfl"},
    {"http://schemas.microsoft.com/office/word/2010/wordprocessingDrawing", "wp14"},
    {"http://schemas.microsoft.com/office/word/2010/wordprocessingShape", "wps"},
    {"http://schemas.microsoft.com/office/word/2010/wordprocessingGroup", "wpg"},
    {"http://schemas.microsoft.com/office/word/2010/wordprocessingCanvas", "wpc"},
    {"http://schemas.microsoft.com/office/drawing/2010/main", "a14"},
    {"http://schemas.microsoft.com/office/drawing/2014/main", "a16"},
    {"http://schemas.microsoft.com/office/drawing/2007/8/2/chart", "c14"},
    {"http://schemas.microsoft.com/office/drawing/2014/chart", "c16"},
    {"http://schemas.microsoft.com/office/drawing/2012/chartStyle", "cs"},
    {"http://schemas.microsoft.com/office/drawing/2008/diagram", "dsp"},
    {"http://schemas.microsoft.com/office/thememl/2012/main", "thm15"},
    {"http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac", "x14ac"},
    {"http://schemas.microsoft.com/office/spreadsheetml/2009/9/main", "x14"},
    {"http://schemas.microsoft.com/office/spreadsheetml/2010/11/main", "x15"},
    {"http://schemas.microsoft.com/office/spreadsheetml/2010/11/ac", "x15ac"},
    {"http://schemas.microsoft.com/office/spreadsheetml/2014/revision", "xr"},
    {"http://schemas.microsoft.com/office/spreadsheetml/2015/revision2", "xr2"},
    {"http://schemas.microsoft.com/office/spreadsheetml/2016/revision3", "xr3"},
    {"http://schemas.microsoft.com/office/spreadsheetml/2016/revision6", "xr6"},
    {"http://schemas.microsoft.com/office/spreadsheetml/2016/revision10", "xr10"},
    {"http://schemas.microsoft.com/office/spreadsheetml/2016/revision9", "xr9"},
    {"http://schemas.microsoft.com/office/spreadsheetml/2015/02/main", "x16r2"},
    {"http://schemas.microsoft.com/office/spreadsheetml/2018/calcfeatures", "xcalcf"},
    {"http://schemas.microsoft.com/office/excel/2006/main", "xm"},
    {"http://schemas.microsoft.com/office/powerpoint/2010/main", "p14"},
    {"http://schemas.microsoft.com/office/powerpoint/2012/main", "p15"},
};

constexpr std::string_view kNsMarkupCompatibility = "http://schemas.openxmlformats.org/markup-compatibility/2006";
constexpr std::string_view kNsXml = "http://www.w3.org/XML/1998/namespace";
constexpr std::string_view kNsXsi = "http://www.w3.org/2001/XMLSchema-instance";

// Deeper than any document Office writes; a limit keeps a hostile nesting from exhausting the stack.
constexpr int kMaxDepth = 256;

std::pair<std::string_view, std::string_view> split_qname(std::string_view name) {
  auto colon = name.find(':');
  if (colon == std::string_view::npos) return {{}, name};
  return {name.substr(0, colon), name.substr(colon + 1)};
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::istringstream in{std::string(s)};
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

class Canonicaliser {
 public:
  Canonicaliser(const std::string& where, const Context& ctx, const Dialect& dialect) : where_(where), ctx_(ctx), dialect_(dialect) {}

  Result<void> run(const pugi::xml_document& in, XmlPart& out, bool allow_unqualified_root) {
    pugi::xml_node root = in.document_element();
    if (!root) return blocked("malformed", ctx_.prefix + where_, "the part has no root element");
    for (pugi::xml_node n = in.first_child(); n; n = n.next_sibling()) {
      if (n.type() == pugi::node_doctype) ctx_.add(FindingKind::kXmlDtd, where_, FindingAction::kRemoved);
    }
    allow_unqualified_root_ = allow_unqualified_root;
    SANSO_TRY(element(root, out.doc, 0, true));
    pugi::xml_node written = out.doc.document_element();
    if (!written) return blocked("malformed", ctx_.prefix + where_, "the root element <" + std::string(root.name()) + "> is in a namespace this kind of part never uses");
    out.root_ns = root_ns_;
    out.root_local = std::string(split_qname(root.name()).second);
    // Declarations for every namespace the part uses, on its root, before its own attributes.
    for (auto it = used_.rbegin(); it != used_.rend(); ++it) {
      const char* prefix = prefix_of(*it);
      std::string attr = *prefix == '\0' ? "xmlns" : "xmlns:" + std::string(prefix);
      written.prepend_attribute(attr.c_str()).set_value(it->c_str());
    }
    if (dropped_) ctx_.add(FindingKind::kUnknownXml, where_, FindingAction::kRemoved);
    return ok();
  }

 private:
  // The prefix `uri` is written with, or nullptr when this dialect does not keep it;
  // `as_name`: for an element or attribute name (not a value).
  const char* prefix_of(std::string_view uri, bool as_name = false) const {
    for (const auto& k : dialect_.known) {
      if (k.uri == uri) return as_name && !k.names ? nullptr : k.prefix;
    }
    return nullptr;
  }

  struct Binding {
    std::string prefix, uri;
  };

  // Brings the element's namespace declarations into scope; returns the scope to go back to.
  std::size_t declare(pugi::xml_node element) {
    const std::size_t mark = scope_.size();
    for (pugi::xml_attribute a = element.first_attribute(); a; a = a.next_attribute()) {
      std::string_view name = a.name();
      if (name == "xmlns") scope_.push_back({"", a.value()});
      else if (name.rfind("xmlns:", 0) == 0) scope_.push_back({std::string(name.substr(6)), a.value()});
    }
    return mark;
  }

  // The URI a prefix is bound to here; nullopt when unbound.
  std::optional<std::string> resolve(std::string_view prefix) const {
    if (prefix == "xml") return std::string(kNsXml);
    for (auto it = scope_.rbegin(); it != scope_.rend(); ++it) {
      if (it->prefix == prefix) return it->uri;
    }
    if (prefix.empty()) return std::string();
    return std::nullopt;
  }

  Result<std::string> resolve_or_block(std::string_view prefix, std::string_view name) const {
    auto uri = resolve(prefix);
    if (!uri) return blocked("malformed", ctx_.prefix + where_, "the prefix of <" + std::string(name) + "> is not bound to a namespace");
    return *uri;
  }

  // The canonical form of a prefixed name, or "" when its namespace is not kept.
  std::string canonical(std::string_view uri, std::string_view local) {
    const char* prefix = prefix_of(uri, true);
    if (prefix == nullptr) return "";
    // Without a prefix, the default namespace: only one namespace per part may be written so,
    // and a part with an unqualified root has none.
    if (*prefix == '\0' && (unqualified_root_ || (!default_ns_.empty() && default_ns_ != uri))) return "";
    if (*prefix == '\0') default_ns_ = std::string(uri);
    used_.insert(std::string(uri));
    return *prefix == '\0' ? std::string(local) : std::string(prefix) + ":" + std::string(local);
  }

  // A space-separated list of prefixes (mc:Ignorable, mc:Choice/@Requires) in canonical
  // prefixes; `all_known` says whether every one named a kept namespace.
  std::string canonical_prefix_list(std::string_view value, bool* all_known) {
    std::string out;
    *all_known = true;
    for (const auto& p : words(value)) {
      auto uri = resolve(p);
      const char* prefix = uri ? prefix_of(*uri) : nullptr;
      if (prefix == nullptr || *prefix == '\0') {
        *all_known = false;
        continue;
      }
      used_.insert(std::string(*uri));
      out += (out.empty() ? "" : " ") + std::string(prefix);
    }
    return out;
  }

  Result<void> element(pugi::xml_node in, pugi::xml_node parent_out, int depth, bool is_root = false) {
    if (depth > kMaxDepth) return blocked("malformed", ctx_.prefix + where_, "elements nested more than " + std::to_string(kMaxDepth) + " deep");
    const std::size_t mark = declare(in);
    auto [prefix, local] = split_qname(in.name());
    Result<std::string> uri_or = resolve_or_block(prefix, in.name());
    if (!uri_or) return std::move(uri_or).error();
    const std::string uri = *uri_or;
    Result<void> result = ok();
    if (is_root && uri.empty() && allow_unqualified_root_) {
      unqualified_root_ = true;
      root_ns_.clear();
      result = contents(in, parent_out.append_child(std::string(local).c_str()), depth);
    } else if (uri == kNsMarkupCompatibility && dialect_.markup_compatibility) {
      if (local == "AlternateContent" && !is_root) result = alternate_content(in, parent_out, depth);
      else dropped_ = true;
    } else if (std::string name = canonical(uri, local); !name.empty()) {
      if (is_root) root_ns_ = std::string(uri);
      pugi::xml_node out = parent_out.append_child(name.c_str());
      attributes(in, out, !dialect_.qualified_attributes_only.empty() && uri == dialect_.qualified_attributes_only);
      result = contents(in, out, depth);
    } else {
      dropped_ = true;
    }
    scope_.resize(mark);
    return result;
  }

  // mc:AlternateContent keeps the Choices whose required namespaces we know (they are then
  // written like any other content) and the Fallback; a Choice needing anything else is dropped.
  Result<void> alternate_content(pugi::xml_node in, pugi::xml_node parent_out, int depth) {
    pugi::xml_node out = parent_out.append_child("mc:AlternateContent");
    used_.insert(std::string(kNsMarkupCompatibility));
    for (pugi::xml_node branch = in.first_child(); branch; branch = branch.next_sibling()) {
      if (branch.type() != pugi::node_element) continue;
      const std::size_t mark = declare(branch);
      auto [prefix, local] = split_qname(branch.name());
      auto uri = resolve(prefix);
      if (!uri) return blocked("malformed", ctx_.prefix + where_, "the prefix of <" + std::string(branch.name()) + "> is not bound to a namespace");
      if (*uri == kNsMarkupCompatibility && local == "Choice") {
        bool all_known = false;
        std::string requires_ = canonical_prefix_list(branch.attribute("Requires").value(), &all_known);
        if (all_known && !requires_.empty()) {
          pugi::xml_node choice = out.append_child("mc:Choice");
          choice.append_attribute("Requires").set_value(requires_.c_str());
          SANSO_TRY(contents(branch, choice, depth + 1));
        } else {
          dropped_ = true;
        }
      } else if (*uri == kNsMarkupCompatibility && local == "Fallback") {
        SANSO_TRY(contents(branch, out.append_child("mc:Fallback"), depth + 1));
      } else {
        dropped_ = true;
      }
      scope_.resize(mark);
    }
    if (!out.first_child()) parent_out.remove_child(out);
    return ok();
  }

  void attributes(pugi::xml_node in, pugi::xml_node out, bool wordprocessing) {
    for (pugi::xml_attribute a = in.first_attribute(); a; a = a.next_attribute()) {
      std::string_view name = a.name();
      if (name == "xmlns" || name.rfind("xmlns:", 0) == 0) continue;
      auto [prefix, local] = split_qname(name);
      if (prefix.empty()) {
        // WordprocessingML attributes are all qualified; an unqualified one is not the attribute
        // Word reads, and one we would not check.
        if (wordprocessing) {
          dropped_ = true;
          continue;
        }
        out.append_attribute(std::string(name).c_str()).set_value(a.value());
        continue;
      }
      auto uri = resolve(prefix);
      if (!uri) {
        dropped_ = true;
        continue;
      }
      if (*uri == kNsXml) {
        out.append_attribute(("xml:" + std::string(local)).c_str()).set_value(a.value());
        continue;
      }
      if (*uri == kNsMarkupCompatibility && dialect_.markup_compatibility) {
        // Only Ignorable is kept (naming known namespaces): content needing the others
        // (ProcessContent, MustUnderstand) is in namespaces we have dropped.
        if (local == "Ignorable") {
          bool all_known = false;
          std::string list = canonical_prefix_list(a.value(), &all_known);
          if (!list.empty()) {
            used_.insert(std::string(kNsMarkupCompatibility));
            out.append_attribute("mc:Ignorable").set_value(list.c_str());
          }
        }
        continue;
      }
      const char* attr_prefix = prefix_of(*uri, true);
      if (attr_prefix == nullptr || *attr_prefix == '\0') {
        dropped_ = true;  // unknown, or a namespace written as the default one: no prefix to qualify with
        continue;
      }
      used_.insert(std::string(*uri));
      const std::string qualified = std::string(attr_prefix) + ":" + std::string(local);
      std::string value = a.value();
      if ((*uri == kNsXsi && local == "type") || is_qname_valued(*uri, local)) value = qname_value(value);
      out.append_attribute(qualified.c_str()).set_value(value.c_str());
    }
  }

  bool is_qname_valued(std::string_view uri, std::string_view local) const {
    for (const auto& [ns, name] : dialect_.qname_valued) {
      if (ns == uri && name == local) return true;
    }
    return false;
  }

  // xsi:type="dcterms:W3CDTF" names a type by prefix: the prefix follows the rename.
  std::string qname_value(const std::string& value) {
    auto [prefix, local] = split_qname(value);
    // Only an NCName before the colon is a prefix: "=SUM([.A1:.B2])" has none.
    const bool ncname = !prefix.empty() && !std::isdigit(static_cast<unsigned char>(prefix[0])) && prefix[0] != '-' && prefix[0] != '.' &&
                        std::all_of(prefix.begin(), prefix.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'; });
    if (!ncname) return value;
    auto uri = resolve(prefix);
    const char* canonical_p = uri ? prefix_of(*uri) : nullptr;
    if (canonical_p == nullptr || *canonical_p == '\0') return std::string(local);
    used_.insert(std::string(*uri));
    return std::string(canonical_p) + ":" + std::string(local);
  }

  Result<void> contents(pugi::xml_node in, pugi::xml_node out, int depth) {
    for (pugi::xml_node c = in.first_child(); c; c = c.next_sibling()) {
      switch (c.type()) {
        case pugi::node_element: SANSO_TRY(element(c, out, depth + 1)); break;
        case pugi::node_pcdata:
        case pugi::node_cdata: out.append_child(pugi::node_pcdata).set_value(c.value()); break;
        default: break;  // comments and processing instructions carry nothing Office needs
      }
    }
    return ok();
  }

  const std::string& where_;
  const Context& ctx_;
  const Dialect& dialect_;
  std::vector<Binding> scope_;
  std::set<std::string> used_;
  std::string default_ns_;
  std::string root_ns_;
  bool dropped_ = false;
  bool allow_unqualified_root_ = false;
  bool unqualified_root_ = false;
};

}  // namespace

const char* canonical_prefix(std::string_view uri) {
  for (const auto& k : kKnown) {
    if (k.uri == uri) return k.prefix;
  }
  return nullptr;
}

const Dialect& ooxml_dialect() {
  static const Dialect kOoxml{kKnown, true, kNsWordMain, {}};
  return kOoxml;
}

Result<void> read_part(std::string_view bytes, const std::string& where, const Context& ctx, XmlPart& out, bool allow_unqualified_root) {
  return read_part(bytes, where, ctx, out, ooxml_dialect(), allow_unqualified_root);
}

Result<void> read_part(std::string_view bytes, const std::string& where, const Context& ctx, XmlPart& out, const Dialect& dialect, bool allow_unqualified_root) {
  pugi::xml_document in;
  // Whitespace-only text is content in OOXML (<w:t xml:space="preserve"> </w:t>). Entities other
  // than the five predefined ones are never expanded by pugixml: a DTD cannot define any.
  pugi::xml_parse_result r = in.load_buffer(bytes.data(), bytes.size(), pugi::parse_default | pugi::parse_ws_pcdata | pugi::parse_doctype);
  if (!r) return blocked("malformed", ctx.prefix + where, std::string("the XML is not well-formed: ") + r.description() + " at byte " + std::to_string(r.offset));
  Canonicaliser c(where, ctx, dialect);
  return c.run(in, out, allow_unqualified_root);
}

std::string write_part(const pugi::xml_document& doc) {
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
  doc.save(out, "", pugi::format_raw | pugi::format_no_declaration, pugi::encoding_utf8);
  return out.str();
}

}  // namespace sanso::cdr::internal::ooxml
