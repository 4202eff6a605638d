// OpenDocument (odt/ods/odp/odg): Basic macro libraries, scripts and embedded objects are dropped
// from the package; script event listeners, macro and script links, DDE connections, linked
// sections and table sources, and external images are removed from the XML; the manifest lists
// only what remains; mimetype stays the first, stored member.
#include <pugixml.hpp>

#include <set>
#include <sstream>

#include "cdr/internal/format.h"
#include "core/text.h"
#include "cdr/internal/zip_package.h"

namespace sanso::cdr::internal {
namespace {

bool starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }


std::string removable(std::string_view name) {
  if (starts(name, "Basic/")) return "odf_macro";
  if (starts(name, "Scripts/")) return "odf_script";
  if (starts(name, "Object ") || starts(name, "ObjectReplacements/Object ")) return starts(name, "Object ") ? "odf_object" : "";
  return "";
}

std::string save(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw, pugi::encoding_utf8);
  return out.str();
}

// Removes active and linking elements from one ODF XML part. Returns whether it changed.
bool clean_part(pugi::xml_document& doc, const std::string& where, const Context& ctx) {
  bool changed = false;
  std::vector<std::pair<pugi::xml_node, std::string>> drop;
  struct Walker : pugi::xml_tree_walker {
    std::vector<std::pair<pugi::xml_node, std::string>>* drop;
    const Context* ctx;
    std::vector<std::pair<pugi::xml_attribute, pugi::xml_node>> attrs;
    bool for_each(pugi::xml_node& n) override {
      if (n.type() != pugi::node_element) return true;
      std::string_view name = n.name();
      if (name == "office:scripts" || name == "office:event-listeners" || name == "script:event-listener" || name == "presentation:event-listener") {
        drop->push_back({n, "odf_script"});
      } else if (name == "draw:object" || name == "draw:object-ole" || name == "draw:plugin" || name == "draw:applet") {
        drop->push_back({n, "odf_object"});
      } else if (name == "text:dde-connection-decls" || name == "table:dde-links" || name == "office:dde-source" || name == "text:dde-connection" ||
                 name == "table:dde-link") {
        drop->push_back({n, "dde_field"});
      } else if (name == "text:section-source" || name == "table:table-source" || name == "table:cell-range-source") {
        drop->push_back({n, "remote_field"});
      } else {
        pugi::xml_attribute href = n.attribute("xlink:href");
        if (href) {
          std::string v = ascii_lower(href.value());
          bool script = starts(v, "vnd.sun.star.script:") || starts(v, "macro:") || starts(v, "javascript:") || starts(v, "vnd.sun.star.basic:");
          bool web = starts(v, "http://") || starts(v, "https://") || starts(v, "mailto:");
          bool local = !script && v.find(':') == std::string::npos && !starts(v, "/") && !starts(v, "\\\\");
          if (script) {
            drop->push_back({n, "odf_script"});
          } else if (name == "text:a" || name == "draw:a") {
            if (!(web && ctx->policy.keep_hyperlinks) && !local) attrs.push_back({href, n});
          } else if (!local) {
            drop->push_back({n, "external_relationship"});
          }
        }
      }
      return true;
    }
  } walker;
  walker.drop = &drop;
  walker.ctx = &ctx;
  doc.traverse(walker);
  for (auto& [attr, node] : walker.attrs) {
    ctx.add("hyperlink", where, "removed");
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
    ctx.add(kind, where, "removed");
    node.parent().remove_child(node);
    changed = true;
  }
  return changed;
}

}  // namespace

Result<Rebuilt> sanitize_odf(std::string_view bytes, std::string_view type, const Context& ctx) {
  auto reader_or = ZipReader::open(bytes, ctx);
  if (!reader_or) return std::move(reader_or).error();
  const ZipReader& zip = **reader_or;
  std::set<std::string> removed_dirs;
  ZipWriter writer;
  std::string mimetype;
  std::vector<std::pair<std::string, std::string>> parts;
  for (const auto& e : zip.entries()) {
    if (e.directory) continue;
    if (std::string kind = removable(e.name); !kind.empty()) {
      std::string top = e.name.substr(0, e.name.find('/') + 1);
      if (removed_dirs.insert(top).second) ctx.add(kind, top, "removed");
      continue;
    }
    auto data = zip.read(e, ctx);
    if (!data) return std::move(data).error();
    if (e.name == "mimetype") {
      mimetype = std::move(data).value();
      continue;
    }
    parts.push_back({e.name, std::move(data).value()});
  }
  for (auto& [name, data] : parts) {
    if (name == "META-INF/manifest.xml") {
      pugi::xml_document doc;
      if (!doc.load_buffer(data.data(), data.size())) return blocked("malformed", ctx.prefix + name, "the manifest is not well-formed XML");
      if (doc.select_node("//*[local-name()='encryption-data']")) return blocked("encrypted", ctx.prefix + name, "the document is password-protected");
      bool changed = false;
      pugi::xml_node root = doc.document_element();
      for (pugi::xml_node n = root.first_child(); n;) {
        pugi::xml_node next = n.next_sibling();
        std::string path = n.attribute("manifest:full-path").value();
        for (const auto& d : removed_dirs) {
          if (starts(path, d) || path + "/" == d) {
            root.remove_child(n);
            changed = true;
            break;
          }
        }
        n = next;
      }
      if (changed) data = save(doc);
      continue;
    }
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".xml") == 0) {
      if (data.find("<!DOCTYPE") != std::string::npos || data.find("<!ENTITY") != std::string::npos) {
        return blocked("active-content", ctx.prefix + name, "the XML declares a DTD (entity expansion or external entities)");
      }
      bool relevant = data.find("script") != std::string::npos || data.find("draw:object") != std::string::npos || data.find("xlink:href") != std::string::npos ||
                      data.find("dde") != std::string::npos || data.find("-source") != std::string::npos;
      if (!relevant) continue;
      pugi::xml_document doc;
      auto parsed = doc.load_buffer(data.data(), data.size());
      if (!parsed) return blocked("malformed", ctx.prefix + name, std::string("the XML is not well-formed: ") + parsed.description());
      if (clean_part(doc, name, ctx)) data = save(doc);
    }
  }
  if (!mimetype.empty()) writer.add("mimetype", mimetype, false);
  for (auto& [name, data] : parts) writer.add(name, std::move(data));
  auto out = writer.finish();
  if (!out) return std::move(out).error();
  return Rebuilt{std::move(out).value(), std::string(type)};
}

}  // namespace sanso::cdr::internal
