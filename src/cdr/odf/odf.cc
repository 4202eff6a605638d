// OpenDocument (odt/ods/odp/odg): Basic macro libraries, scripts and embedded objects are dropped
// from the package; every XML part is read with namespaces resolved and written again with one
// standard prefix per namespace on the ODF 1.3 / LibreOffice list — elements and attributes in any
// other namespace (xforms, DOM events, vendor extensions) go; inline scripts, script event
// listeners, execute-macro fields, macro and script links, DDE connections, linked sections and
// table sources, and external images are removed; the manifest lists only what remains; mimetype
// stays the first, stored member.
#include <pugixml.hpp>

#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "cdr/internal/format.h"
#include "core/text.h"
#include "cdr/internal/zip_package.h"
#include "cdr/ooxml/disarm.h"
#include "cdr/ooxml/xml.h"

namespace sanso::cdr::internal {
namespace {

bool starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) { return s.size() >= p.size() && s.substr(s.size() - p.size()) == p; }


std::optional<FindingKind> removable(std::string_view name) {
  if (starts(name, "Basic/")) return FindingKind::kOdfMacro;
  if (starts(name, "Scripts/")) return FindingKind::kOdfScript;
  if (starts(name, "Object ") || starts(name, "ObjectReplacements/Object ")) return starts(name, "Object ") ? std::optional(FindingKind::kOdfObject) : std::nullopt;
  return std::nullopt;
}

std::string save(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw, pugi::encoding_utf8);
  return out.str();
}

// ODF namespaces. A prefix is only an alias ("s:event-listener" is a script event listener when
// s is bound to the script namespace), so elements and attributes are matched by namespace URI
// and local name, never by their prefixed spelling.
constexpr std::string_view kOfficeNs = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";
constexpr std::string_view kScriptNs = "urn:oasis:names:tc:opendocument:xmlns:script:1.0";
constexpr std::string_view kDrawNs = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0";
constexpr std::string_view kTextNs = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
constexpr std::string_view kTableNs = "urn:oasis:names:tc:opendocument:xmlns:table:1.0";
constexpr std::string_view kPresentationNs = "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0";
constexpr std::string_view kManifestNs = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0";
constexpr std::string_view kXlinkNs = "http://www.w3.org/1999/xlink";

// The namespaces an ODF document's XML may use (ODF 1.3 Part 3 and the extensions LibreOffice
// writes), each with the prefix the specification and LibreOffice use. Not listed, so dropped:
// XForms (submissions reach servers), DOM events, XML Schema, the database and report
// vocabularies. The OpenOffice.org script and formula namespaces (ooo, ooow, oooc) and the
// formula grammars are for attribute values only ("oooc:=SUM([.A1])"), never names.
constexpr ooxml::KnownNamespace kOdfNamespaces[] = {
    {kOfficeNs, "office"},
    {"urn:oasis:names:tc:opendocument:xmlns:style:1.0", "style"},
    {kTextNs, "text"},
    {kTableNs, "table"},
    {kDrawNs, "draw"},
    {"urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0", "fo"},
    {kXlinkNs, "xlink"},
    {"http://purl.org/dc/elements/1.1/", "dc"},
    {"urn:oasis:names:tc:opendocument:xmlns:meta:1.0", "meta"},
    {"urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0", "number"},
    {"urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0", "svg"},
    {"urn:oasis:names:tc:opendocument:xmlns:chart:1.0", "chart"},
    {"urn:oasis:names:tc:opendocument:xmlns:dr3d:1.0", "dr3d"},
    {"http://www.w3.org/1998/Math/MathML", "math"},
    {"urn:oasis:names:tc:opendocument:xmlns:form:1.0", "form"},
    {kScriptNs, "script"},  // read so that its elements are found and reported; none is kept
    {kPresentationNs, "presentation"},
    {"urn:oasis:names:tc:opendocument:xmlns:config:1.0", "config"},
    {"urn:oasis:names:tc:opendocument:xmlns:animation:1.0", "anim"},
    {"urn:oasis:names:tc:opendocument:xmlns:smil-compatible:1.0", "smil"},
    {kManifestNs, "manifest"},
    {"http://www.w3.org/1999/xhtml", "xhtml"},  // RDFa attributes (xhtml:about, xhtml:property)
    {"http://www.w3.org/2003/g/data-view#", "grddl"},
    {"http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdf"},
    {"http://docs.oasis-open.org/ns/office/1.2/meta/pkg#", "pkg"},
    {"http://docs.oasis-open.org/ns/office/1.2/meta/odf#", "odf"},
    {"http://www.w3.org/TR/css3-text/", "css3t"},
    {"urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0", "loext"},
    {"urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0", "calcext"},
    {"http://openoffice.org/2009/office", "officeooo"},
    {"http://openoffice.org/2009/table", "tableooo"},
    {"http://openoffice.org/2010/draw", "drawooo"},
    {"urn:openoffice:names:experimental:ooo-ms-interop:xmlns:field:1.0", "field"},
    {"urn:openoffice:names:experimental:ooxml-odf-interop:xmlns:form:1.0", "formx"},
    {"urn:oasis:names:tc:opendocument:xmlns:of:1.2", "of", false},
    {"http://openoffice.org/2004/office", "ooo", false},
    {"http://openoffice.org/2004/writer", "ooow", false},
    {"http://openoffice.org/2004/calc", "oooc", false},
    {"http://schemas.microsoft.com/office/excel/formula", "msoxl", false},
};

// Attributes whose value starts with a namespace prefix, which follows the rename.
constexpr std::pair<std::string_view, std::string_view> kOdfQNameValued[] = {
    {kTableNs, "formula"}, {kTextNs, "formula"}, {kTableNs, "condition"}, {kTextNs, "condition"}, {"urn:oasis:names:tc:opendocument:xmlns:chart:1.0", "class"},
};

const ooxml::Dialect& odf_dialect() {
  static const ooxml::Dialect kOdf{kOdfNamespaces, false, {}, kOdfQNameValued};
  return kOdf;
}

std::string_view local_of(std::string_view qname) {
  const auto colon = qname.find(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

// The namespace URI of a name used on `n` (an element's own name, or one of its attributes'):
// the nearest xmlns declaration of its prefix. An unprefixed attribute has no namespace.
std::string_view namespace_of(pugi::xml_node n, std::string_view qname, bool attribute) {
  const auto colon = qname.find(':');
  if (colon == std::string_view::npos && attribute) return "";
  const std::string decl = colon == std::string_view::npos ? std::string("xmlns") : "xmlns:" + std::string(qname.substr(0, colon));
  if (decl == "xmlns:xml") return "http://www.w3.org/XML/1998/namespace";
  for (pugi::xml_node p = n; p; p = p.parent()) {
    if (p.type() != pugi::node_element) continue;
    if (pugi::xml_attribute a = p.attribute(decl.c_str())) return a.value();
  }
  return "";
}

// The attribute `ns`:`local` of `n`, under whatever prefix it has.
pugi::xml_attribute attribute_of(pugi::xml_node n, std::string_view ns, std::string_view local) {
  for (pugi::xml_attribute a : n.attributes()) {
    if (local_of(a.name()) == local && namespace_of(n, a.name(), true) == ns) return a;
  }
  return {};
}

// Removes active and linking elements from one ODF XML part. Returns whether it changed.
bool clean_part(pugi::xml_document& doc, const std::string& where, const Context& ctx) {
  bool changed = false;
  std::vector<std::pair<pugi::xml_node, std::optional<FindingKind>>> drop;
  struct Walker : pugi::xml_tree_walker {
    std::vector<std::pair<pugi::xml_node, std::optional<FindingKind>>>* drop;
    const Context* ctx;
    std::vector<std::pair<pugi::xml_attribute, pugi::xml_node>> attrs;
    bool for_each(pugi::xml_node& n) override {
      if (n.type() != pugi::node_element) return true;
      const std::string_view ns = namespace_of(n, n.name(), false);
      const std::string_view name = local_of(n.name());
      auto in = [&](std::string_view want_ns, std::initializer_list<std::string_view> locals) {
        if (ns != want_ns) return false;
        for (std::string_view l : locals) {
          if (name == l) return true;
        }
        return false;
      };
      if (in(kOfficeNs, {"scripts", "event-listeners"}) && !n.find_child([](pugi::xml_node c) { return c.type() == pugi::node_element; })) {
        drop->push_back({n, std::nullopt});  // the empty container LibreOffice writes in every document: nothing to report
      } else if (in(kOfficeNs, {"scripts", "script", "event-listeners"}) || ns == kScriptNs || in(kPresentationNs, {"event-listener"}) ||
          in(kTextNs, {"execute-macro"})) {
        drop->push_back({n, FindingKind::kOdfScript});
      } else if (in(kDrawNs, {"object", "object-ole", "plugin", "applet"})) {
        drop->push_back({n, FindingKind::kOdfObject});
      } else if (in(kTextNs, {"dde-connection-decls", "dde-connection"}) || in(kTableNs, {"dde-links", "dde-link"}) || in(kOfficeNs, {"dde-source"})) {
        drop->push_back({n, FindingKind::kDdeField});
      } else if (in(kTextNs, {"section-source"}) || in(kTableNs, {"table-source", "cell-range-source"})) {
        drop->push_back({n, FindingKind::kRemoteField});
      } else {
        pugi::xml_attribute href = attribute_of(n, kXlinkNs, "href");
        if (href) {
          std::string v = ascii_lower(href.value());
          bool script = starts(v, "vnd.sun.star.script:") || starts(v, "macro:") || starts(v, "javascript:") || starts(v, "vnd.sun.star.basic:");
          bool web = starts(v, "http://") || starts(v, "https://") || starts(v, "mailto:");
          bool local = !script && v.find(':') == std::string::npos && !starts(v, "/") && !starts(v, "\\\\");
          if (script) {
            drop->push_back({n, FindingKind::kOdfScript});
          } else if (in(kTextNs, {"a"}) || in(kDrawNs, {"a"})) {
            if (!(web && ctx->policy.keep_hyperlinks) && !local) attrs.push_back({href, n});
          } else if (!local) {
            drop->push_back({n, FindingKind::kExternalRelationship});
          }
        }
      }
      return true;
    }
  } walker;
  walker.drop = &drop;
  walker.ctx = &ctx;
  doc.traverse(walker);
  // Spreadsheet and text formulas that reach outside the document (WEBSERVICE, DDE, RTD, or a
  // reference into another file, "['file:///x.ods'#$Sheet1.A1]") lose the formula and keep the
  // value last computed.
  std::vector<std::pair<pugi::xml_node, pugi::xml_attribute>> formulas;
  for (pugi::xpath_node xn : doc.select_nodes("//*[@table:formula or @text:formula]")) {
    for (pugi::xml_attribute a : xn.node().attributes()) {
      const std::string_view an = a.name();
      if (an != "table:formula" && an != "text:formula") continue;
      const std::string_view v = a.value();
      if (ooxml::is_external_formula(v) || v.find("'#") != std::string_view::npos) formulas.push_back({xn.node(), a});
    }
  }
  for (auto& [node, attr] : formulas) {
    ctx.add(FindingKind::kExternalFormula, where, FindingAction::kRemoved);
    node.remove_attribute(attr);
    changed = true;
  }
  for (auto& [attr, node] : walker.attrs) {
    ctx.add(FindingKind::kHyperlink, where, FindingAction::kRemoved);
    node.remove_attribute(attr);
    changed = true;
  }
  for (auto& [node, kind] : drop) {
    // A node inside one already dropped is gone with it.
    bool inside = false;
    for (pugi::xml_node p = node.parent(); p; p = p.parent()) {
      for (auto& [other, k] : drop) inside = inside || (other == p && other != node);
    }
    if (inside) continue;
    if (kind) ctx.add(*kind, where, FindingAction::kRemoved);
    node.parent().remove_child(node);
    changed = true;
  }
  return changed;
}

// What the manifest says a part is: "text/xml", "image/png", … ("" when it does not say).
using MediaTypes = std::map<std::string, std::string>;

bool is_xml_media(std::string_view media, std::string_view name) {
  return media == "text/xml" || media == "application/xml" || media == "application/rdf+xml" || ends_with(media, "+xml") ||
         (media.empty() && (ends_with(name, ".xml") || ends_with(name, ".rdf")));
}

// A part that is neither the manifest nor XML: kept only when it is a picture whose bytes are the
// picture type the manifest declares, rebuilt as pictures are; anything else (embedded binaries,
// layout caches, unknown media) cannot be checked and is not passed. Returns the media type to
// list, or "" when the part is dropped.
Result<std::string> rebuild_binary_part(const std::string& name, std::string& data, const std::string& media, const Context& ctx) {
  const std::string declared = media.rfind("image/", 0) == 0 ? media.substr(6) : "";
  if (declared.empty()) {
    ctx.add(FindingKind::kUnsupportedPart, name, FindingAction::kRemoved);
    return std::string();
  }
  Detected d = detect(data, name, ctx);
  const bool same = d.type == declared || (declared == "jpg" && d.type == "jpeg") || (declared == "svg+xml" && d.type == "svg");
  if (d.family != Family::kImage || !same) {
    ctx.add(FindingKind::kPartTypeMismatch, name, FindingAction::kRemoved);
    return std::string();
  }
  Context nested = ctx.nested(name);
  auto rebuilt = d.type == "svg" ? sanitize_svg(data, nested) : sanitize_image(data, d.type, nested);
  if (!rebuilt && reason_of(rebuilt.error()) == "malformed") {  // a picture that does not decode is not one
    ctx.add(FindingKind::kPartTypeMismatch, name, FindingAction::kRemoved);
    return std::string();
  }
  if (!rebuilt) return std::move(rebuilt).error();
  data = std::move(rebuilt->bytes);
  return "image/" + rebuilt->type;
}

}  // namespace

// The package is rebuilt from what its manifest accounts for: a part the manifest does not list
// is dropped (orphan_part), every XML part is parsed and cleaned (or the file is malformed), a
// picture must be the picture it is declared as, and any other binary is dropped; the manifest is
// written again listing only what remains.
Result<Rebuilt> sanitize_odf(std::string_view bytes, std::string_view type, const Context& ctx) {
  auto reader_or = ZipReader::open(bytes, ctx);
  if (!reader_or) return std::move(reader_or).error();
  const ZipReader& zip = **reader_or;
  std::set<std::string> removed_dirs;
  ZipWriter writer;
  std::string mimetype;
  std::vector<std::pair<std::string, std::string>> parts;
  std::string manifest_bytes;
  bool has_manifest = false;
  for (const auto& e : zip.entries()) {
    if (e.directory) continue;
    if (auto kind = removable(e.name)) {
      std::string top = e.name.substr(0, e.name.find('/') + 1);
      if (removed_dirs.insert(top).second) ctx.add(*kind, top, FindingAction::kRemoved);
      continue;
    }
    auto data = zip.read(e, ctx);
    if (!data) return std::move(data).error();
    if (e.name == "mimetype") {
      mimetype = std::move(data).value();
      continue;
    }
    if (e.name == "META-INF/manifest.xml") {
      manifest_bytes = std::move(data).value();
      has_manifest = true;
      continue;
    }
    parts.push_back({e.name, std::move(data).value()});
  }
  if (!has_manifest) return blocked("malformed", ctx.prefix + "META-INF/manifest.xml", "the package has no manifest: nothing says what its parts are");
  pugi::xml_document manifest;
  if (!manifest.load_buffer(manifest_bytes.data(), manifest_bytes.size())) {
    return blocked("malformed", ctx.prefix + "META-INF/manifest.xml", "the manifest is not well-formed XML");
  }
  if (manifest.select_node("//*[local-name()='encryption-data']")) {
    return blocked("encrypted", ctx.prefix + "META-INF/manifest.xml", "the document is password-protected");
  }
  // Read again like every other part: the manifest written is in the standard prefixes too.
  ooxml::XmlPart canonical_manifest;
  SANSO_TRY(ooxml::read_part(manifest_bytes, "META-INF/manifest.xml", ctx, canonical_manifest, odf_dialect()));
  pugi::xml_node root = canonical_manifest.doc.document_element();
  MediaTypes media;
  for (pugi::xml_node n : root.children()) {
    if (n.type() != pugi::node_element || namespace_of(n, n.name(), false) != kManifestNs || local_of(n.name()) != "file-entry") continue;
    std::string path = attribute_of(n, kManifestNs, "full-path").value();
    if (!path.empty() && path.front() == '/') path.erase(0, 1);
    media[path] = attribute_of(n, kManifestNs, "media-type").value();
  }
  std::set<std::string> kept{"mimetype", "META-INF/manifest.xml"};
  std::map<std::string, std::string> retyped;
  std::vector<std::pair<std::string, std::string>> out_parts;
  for (auto& [name, data] : parts) {
    auto listed = media.find(name);
    if (listed == media.end()) {
      ctx.add(FindingKind::kOrphanPart, name, FindingAction::kRemoved);
      continue;
    }
    if (is_xml_media(listed->second, name)) {
      if (data.find("<!DOCTYPE") != std::string::npos || data.find("<!ENTITY") != std::string::npos) {
        return blocked("active-content", ctx.prefix + name, "the XML declares a DTD (entity expansion or external entities)");
      }
      // Every XML part is read and written again with namespaces resolved: a prefix-based
      // shortcut ("draw:object" in the text) misses the same element under another prefix, a
      // prefix rebound inside the document would mean one thing to us and another to the
      // office suite, and a part that is not XML at all is not passed.
      ooxml::XmlPart part;
      SANSO_TRY(ooxml::read_part(data, name, ctx, part, odf_dialect()));
      clean_part(part.doc, name, ctx);
      data = save(part.doc);
    } else {
      const std::string now = SANSO_TRY(rebuild_binary_part(name, data, listed->second, ctx));
      if (now.empty()) continue;
      if (now != listed->second) retyped[name] = now;
    }
    kept.insert(name);
    out_parts.push_back({name, std::move(data)});
  }
  // The manifest lists the package root, the folders that remain and every part kept.
  for (pugi::xml_node n = root.first_child(); n;) {
    pugi::xml_node next = n.next_sibling();
    if (n.type() == pugi::node_element) {
      std::string path = attribute_of(n, kManifestNs, "full-path").value();
      if (!path.empty() && path.front() == '/' && path.size() > 1) path.erase(0, 1);
      bool keep = path == "/" || kept.count(path) != 0;
      if (!keep && !path.empty() && path.back() == '/') {
        for (const auto& k : kept) keep = keep || starts(k, path);
      }
      if (!keep) {
        root.remove_child(n);
      } else if (auto r = retyped.find(path); r != retyped.end()) {
        attribute_of(n, kManifestNs, "media-type").set_value(r->second.c_str());
      }
    }
    n = next;
  }
  if (!mimetype.empty()) writer.add("mimetype", mimetype, false);
  writer.add("META-INF/manifest.xml", save(canonical_manifest.doc));
  for (auto& [name, data] : out_parts) writer.add(name, std::move(data));
  auto out = writer.finish();
  if (!out) return std::move(out).error();
  return Rebuilt{std::move(out).value(), std::string(type)};
}

}  // namespace sanso::cdr::internal
