// OOXML (docx/xlsx/pptx and their macro-enabled and template forms): the package is rebuilt part
// by part. Parts that carry code or reach outside the file are dropped, relationships to them
// and external relationships are removed, the references to removed relationships are cut from
// the XML that held them, dangerous fields are emptied, and [Content_Types].xml is rewritten so
// the file still opens — as the macro-free type when it was macro-enabled.
#include <pugixml.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "cdr/internal/format.h"
#include "core/text.h"
#include "cdr/internal/zip_package.h"

namespace sanso::cdr::internal {
namespace {

constexpr std::string_view kRelNs = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";


bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool contains(std::string_view s, std::string_view needle) { return s.find(needle) != std::string_view::npos; }

// What a part is, when it must go: the finding kind, or "" to keep it.
std::string removable_kind(std::string_view name, std::string_view content_type) {
  std::string n = ascii_lower(name), ct = ascii_lower(content_type);
  if (ends_with(n, "vbaproject.bin") || ends_with(n, "vbadata.xml") || ct == "application/vnd.ms-office.vbaproject" ||
      ct == "application/vnd.ms-word.vbadata+xml" || ends_with(n, "attachedtoolbars.bin") || ends_with(n, "keymapcustomizations.xml")) {
    return "vba_macro";
  }
  if (contains(n, "/macrosheets/") || contains(ct, "macrosheet") || contains(ct, "dialogsheet") || contains(n, "/dialogsheets/")) return "excel4_macro";
  if (contains(n, "/activex/") || contains(ct, "activex")) return "activex";
  if (contains(n, "/embeddings/") || ct == "application/vnd.openxmlformats-officedocument.oleobject" || contains(ct, "oleobject")) return "ole_object";
  if (n.rfind("customui/", 0) == 0 || contains(ct, "ui.extensibility") || contains(n, "/customui")) return "custom_ui";
  if (ends_with(n, "/connections.xml") || contains(ct, "connections+xml") || ends_with(n, "connections.bin")) return "data_connection";
  if (contains(n, "/querytables/") || contains(ct, "querytable")) return "query_table";
  if (contains(n, "/externallinks/") || contains(ct, "externallink")) return "external_link";
  if (n.rfind("_xmlsignatures/", 0) == 0 || contains(ct, "digital-signature")) return "digital_signature";
  return "";
}

// Part name a relationship target resolves to, from the folder of its source part.
std::string resolve_target(std::string_view base_dir, std::string_view target) {
  std::string t(target);
  if (auto hash = t.find('#'); hash != std::string::npos) t.resize(hash);
  std::vector<std::string> parts;
  std::string path = !t.empty() && t[0] == '/' ? t.substr(1) : std::string(base_dir) + t;
  std::stringstream ss(path);
  std::string seg;
  while (std::getline(ss, seg, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(seg);
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  // Targets are URIs: %-escapes name the same part.
  std::string decoded;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '%' && i + 2 < out.size() && std::isxdigit(static_cast<unsigned char>(out[i + 1])) && std::isxdigit(static_cast<unsigned char>(out[i + 2]))) {
      auto hex = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10; };
      decoded.push_back(static_cast<char>(hex(out[i + 1]) * 16 + hex(out[i + 2])));
      i += 2;
    } else {
      decoded.push_back(out[i]);
    }
  }
  return ascii_lower(decoded);
}

// "word/_rels/document.xml.rels" → source "word/document.xml", folder "word/".
std::pair<std::string, std::string> rels_source(std::string_view rels) {
  auto pos = rels.rfind("_rels/");
  std::string dir(rels.substr(0, pos));
  std::string file(rels.substr(pos + 6));
  if (ends_with(file, ".rels")) file.resize(file.size() - 5);
  return {dir + file, dir};
}

std::string save(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw, pugi::encoding_utf8);
  return out.str();
}

Result<void> load(pugi::xml_document& doc, const std::string& bytes, const std::string& where, const Context& ctx) {
  pugi::xml_parse_result r = doc.load_buffer(bytes.data(), bytes.size(), pugi::parse_default | pugi::parse_declaration | pugi::parse_doctype);
  if (!r) return blocked("malformed", ctx.prefix + where, std::string("the XML is not well-formed: ") + r.description() + " at byte " + std::to_string(r.offset));
  // OOXML never uses a DTD; one here is an entity-expansion or external-entity attack.
  for (pugi::xml_node n = doc.first_child(); n;) {
    pugi::xml_node next = n.next_sibling();
    if (n.type() == pugi::node_doctype) {
      ctx.add("xml_dtd", where, "removed");
      doc.remove_child(n);
    }
    n = next;
  }
  return ok();
}

// The macro-free content type for a macro-enabled main part, and the type name it gives.
std::pair<std::string, std::string> macro_free(std::string_view content_type) {
  static const std::map<std::string, std::pair<std::string, std::string>> kMap = {
      {"application/vnd.ms-word.document.macroenabled.main+xml", {"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", "docx"}},
      {"application/vnd.ms-word.template.macroenabledtemplate.main+xml", {"application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml", "dotx"}},
      {"application/vnd.ms-excel.sheet.macroenabled.main+xml", {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "xlsx"}},
      {"application/vnd.ms-excel.template.macroenabled.main+xml", {"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml", "xltx"}},
      {"application/vnd.ms-excel.addin.macroenabled.main+xml", {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", "xlsx"}},
      {"application/vnd.ms-powerpoint.presentation.macroenabled.main+xml", {"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml", "pptx"}},
      {"application/vnd.ms-powerpoint.slideshow.macroenabled.main+xml", {"application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml", "ppsx"}},
      {"application/vnd.ms-powerpoint.template.macroenabled.main+xml", {"application/vnd.openxmlformats-officedocument.presentationml.template.main+xml", "potx"}},
      {"application/vnd.ms-powerpoint.addin.macroenabled.main+xml", {"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml", "pptx"}},
  };
  auto it = kMap.find(ascii_lower(content_type));
  return it == kMap.end() ? std::pair<std::string, std::string>{} : it->second;
}

}  // namespace

std::string dangerous_field_kind(std::string_view instruction) {
  std::string s = ascii_lower(instruction);
  auto b = s.find_first_not_of(" \t\r\n\\");
  if (b == std::string::npos) return "";
  auto e = s.find_first_of(" \t\r\n\"\\", b);
  std::string word = s.substr(b, e == std::string::npos ? std::string::npos : e - b);
  if (word == "dde" || word == "ddeauto") return "dde_field";
  if (word == "includetext" || word == "includepicture" || word == "include" || word == "import" || word == "link") return "remote_field";
  return "";
}

namespace {

// Empties the instructions of DDE and remote-include fields in a WordprocessingML part; the
// cached result stays as plain text. Returns whether anything changed.
bool neutralise_fields(pugi::xml_document& doc, const std::string& where, const Context& ctx) {
  bool changed = false;
  for (pugi::xpath_node xn : doc.select_nodes("//*[local-name()='fldSimple']")) {
    pugi::xml_node n = xn.node();
    pugi::xml_attribute instr = n.attribute("w:instr");
    if (!instr) continue;
    if (std::string kind = dangerous_field_kind(instr.value()); !kind.empty()) {
      ctx.add(kind, where, "neutralised");
      instr.set_value("");
      changed = true;
    }
  }
  // Complex fields: begin … instrText … separate … result … end, possibly nested, the
  // instruction split over runs.
  struct Open {
    std::vector<pugi::xml_node> instr;
    std::string text;
    bool in_instruction = true;
  };
  std::vector<Open> stack;
  auto close_instruction = [&](Open& f) {
    if (!f.in_instruction) return;
    f.in_instruction = false;
    if (std::string kind = dangerous_field_kind(f.text); !kind.empty()) {
      ctx.add(kind, where, "neutralised");
      for (auto& n : f.instr) n.text().set("");
      changed = true;
    }
  };
  for (pugi::xpath_node xn : doc.select_nodes("//*[local-name()='fldChar' or local-name()='instrText']")) {
    pugi::xml_node n = xn.node();
    std::string_view name = n.name();
    if (ends_with(name, "instrText")) {
      if (!stack.empty() && stack.back().in_instruction) {
        stack.back().instr.push_back(n);
        stack.back().text += n.text().get();
      }
      continue;
    }
    std::string_view type = n.attribute("w:fldCharType").value();
    if (type == "begin") {
      stack.push_back({});
    } else if (type == "separate") {
      if (!stack.empty()) close_instruction(stack.back());
    } else if (type == "end") {
      if (!stack.empty()) {
        close_instruction(stack.back());
        stack.pop_back();
      }
    }
  }
  for (auto& f : stack) close_instruction(f);  // unterminated fields are judged too
  return changed;
}

// Drops cell formulas that refer to external workbooks or DDE ("[1]Sheet!A1", "cmd|'…'!A0");
// the cached values stay.
bool neutralise_external_formulas(pugi::xml_document& doc, const std::string& where, const Context& ctx) {
  bool changed = false;
  for (pugi::xpath_node xn : doc.select_nodes("//*[local-name()='f']")) {
    pugi::xml_node f = xn.node();
    std::string text = f.text().get();
    bool external = false;
    for (std::size_t i = 0; i + 2 < text.size(); ++i) {
      if (text[i] == '[' && std::isdigit(static_cast<unsigned char>(text[i + 1]))) external = true;
    }
    if (text.find('|') != std::string::npos) external = true;
    if (external) {
      ctx.add("external_formula", where, "removed");
      f.parent().remove_child(f);
      changed = true;
    }
  }
  return changed;
}

// Removes attributes in the relationships namespace whose value is a removed relationship id.
bool cut_references(pugi::xml_document& doc, const std::set<std::string>& ids) {
  std::set<std::string> prefixes;
  bool changed = false;
  struct Walker : pugi::xml_tree_walker {
    std::set<std::string>* prefixes;
    const std::set<std::string>* ids;
    bool* changed;
    bool for_each(pugi::xml_node& node) override {
      if (node.type() != pugi::node_element) return true;
      for (pugi::xml_attribute a = node.first_attribute(); a; a = a.next_attribute()) {
        std::string_view an = a.name();
        if (an.rfind("xmlns:", 0) == 0 && a.value() == kRelNs) prefixes->insert(std::string(an.substr(6)) + ":");
      }
      for (pugi::xml_attribute a = node.first_attribute(); a;) {
        pugi::xml_attribute next = a.next_attribute();
        std::string_view an = a.name();
        auto colon = an.find(':');
        if (colon != std::string_view::npos && prefixes->count(std::string(an.substr(0, colon + 1))) && ids->count(a.value())) {
          node.remove_attribute(a);
          *changed = true;
        }
        a = next;
      }
      return true;
    }
  } walker;
  walker.prefixes = &prefixes;
  walker.ids = &ids;
  walker.changed = &changed;
  doc.traverse(walker);
  return changed;
}

std::string kind_of_external(std::string_view type) {
  std::string t = ascii_lower(type);
  if (ends_with(t, "/attachedtemplate")) return "external_template";
  if (ends_with(t, "/oleobject")) return "ole_object";
  if (ends_with(t, "/externallinkpath") || ends_with(t, "/externallink")) return "external_link";
  return "external_relationship";
}

}  // namespace

Result<Rebuilt> sanitize_ooxml(std::string_view bytes, std::string_view type, const Context& ctx) {
  auto reader_or = ZipReader::open(bytes, ctx);
  if (!reader_or) return std::move(reader_or).error();
  const ZipReader& zip = **reader_or;
  std::map<std::string, std::string> data;  // lower-case name → bytes, for the parts we read
  std::map<std::string, std::string> names;  // lower-case → as stored
  for (const auto& e : zip.entries()) {
    if (e.encrypted) return blocked("encrypted", ctx.prefix + e.name, "the package has an encrypted member");
    if (e.directory) continue;
    auto bytes_or = zip.read(e, ctx);
    if (!bytes_or) return std::move(bytes_or).error();
    std::string key = ascii_lower(e.name);
    if (names.count(key)) return blocked("malformed", ctx.prefix + e.name, "two parts share this name (an ambiguous package)");
    names[key] = e.name;
    data[key] = std::move(bytes_or).value();
  }
  auto ct_it = data.find("[content_types].xml");
  if (ct_it == data.end()) return blocked("malformed", ctx.prefix + "[Content_Types].xml", "the package has no content types");
  pugi::xml_document types;
  SANSO_TRY(load(types, ct_it->second, "[Content_Types].xml", ctx));
  std::map<std::string, std::string> override_type;  // part (lower, no leading /) → content type
  std::map<std::string, std::string> default_type;   // extension → content type
  for (pugi::xml_node n : types.document_element().children()) {
    std::string_view nn = n.name();
    if (ends_with(nn, "Override")) {
      std::string part = ascii_lower(n.attribute("PartName").value());
      if (!part.empty() && part[0] == '/') part.erase(0, 1);
      override_type[part] = n.attribute("ContentType").value();
    } else if (ends_with(nn, "Default")) {
      default_type[ascii_lower(n.attribute("Extension").value())] = n.attribute("ContentType").value();
    }
  }
  auto content_type_of = [&](const std::string& part) -> std::string {
    if (auto it = override_type.find(part); it != override_type.end()) return it->second;
    auto dot = part.rfind('.');
    if (dot != std::string::npos) {
      if (auto it = default_type.find(part.substr(dot + 1)); it != default_type.end()) return it->second;
    }
    return "";
  };

  // 1. Parts that go.
  std::set<std::string> removed;
  for (const auto& [key, bytes_] : data) {
    if (key == "[content_types].xml" || ends_with(key, ".rels")) continue;
    if (std::string kind = removable_kind(key, content_type_of(key)); !kind.empty()) {
      ctx.add(kind, names[key], "removed");
      removed.insert(key);
    }
  }
  // Relationships of removed parts go with them.
  for (const auto& key : std::set<std::string>(removed)) {
    auto slash = key.rfind('/');
    std::string rels = (slash == std::string::npos ? std::string() : key.substr(0, slash + 1)) + "_rels/" +
                       (slash == std::string::npos ? key : key.substr(slash + 1)) + ".rels";
    if (data.count(rels)) removed.insert(rels);
  }

  // 2. Relationships: external ones (except hyperlinks the policy keeps) and those pointing at
  // removed parts are dropped; the ids are cut from the source part.
  std::map<std::string, std::set<std::string>> cut_ids;  // source part → removed ids
  std::map<std::string, std::string> rewritten;          // part → new bytes
  for (auto& [key, bytes_] : data) {
    if (!ends_with(key, ".rels") || removed.count(key)) continue;
    pugi::xml_document rels;
    SANSO_TRY(load(rels, bytes_, names[key], ctx));
    auto [source, dir] = rels_source(key);
    bool changed = false;
    for (pugi::xml_node r = rels.document_element().first_child(); r;) {
      pugi::xml_node next = r.next_sibling();
      std::string rel_type = r.attribute("Type").value();
      std::string target = r.attribute("Target").value();
      bool external = ascii_lower(r.attribute("TargetMode").value()) == "external";
      bool hyperlink = ends_with(ascii_lower(rel_type), "/hyperlink");
      std::string kind;
      if (external && !(hyperlink && ctx.policy.keep_hyperlinks)) {
        kind = hyperlink ? "hyperlink" : kind_of_external(rel_type);
        std::string scheme = ascii_lower(target.substr(0, std::min<std::size_t>(target.size(), 7)));
        if (scheme.rfind("mhtml:", 0) == 0 || scheme.rfind("ms-", 0) == 0) kind = "external_relationship";
      } else if (external && hyperlink) {
        // A kept hyperlink must be a web or mail link: anything else (file:, \\server, ms-…) goes.
        std::string t = ascii_lower(target);
        if (t.rfind("http://", 0) != 0 && t.rfind("https://", 0) != 0 && t.rfind("mailto:", 0) != 0) kind = "external_relationship";
      } else if (!external) {
        std::string part = resolve_target(dir, target);
        if (removed.count(part)) kind = "relationship";
        std::string lt = ascii_lower(rel_type);
        if (ends_with(lt, "/ui/extensibility") || ends_with(lt, "/ui/extensibility2")) {
          kind = "relationship";
        }
      }
      if (!kind.empty()) {
        if (kind != "relationship") ctx.add(kind, names[key] + "#" + r.attribute("Id").value(), "removed");
        cut_ids[source].insert(r.attribute("Id").value());
        rels.document_element().remove_child(r);
        changed = true;
      }
      r = next;
    }
    if (changed) rewritten[key] = save(rels);
  }

  // 3. The XML of the parts: cut dangling references, empty dangerous fields, drop external
  // formulas once external links are gone.
  const bool links_removed = std::any_of(removed.begin(), removed.end(), [](const std::string& k) { return contains(k, "externallinks/"); });
  for (auto& [key, bytes_] : data) {
    if (removed.count(key) || rewritten.count(key) || !(ends_with(key, ".xml") || ends_with(key, ".vml"))) continue;
    if (key == "[content_types].xml") continue;
    auto cut = cut_ids.find(key);
    const bool word = key.rfind("word/", 0) == 0 && (contains(bytes_, "instrText") || contains(bytes_, "fldSimple"));
    const bool sheet = links_removed && key.rfind("xl/worksheets/", 0) == 0;
    const bool dtd = contains(bytes_, "<!DOCTYPE") || contains(bytes_, "<!ENTITY");
    if (cut == cut_ids.end() && !word && !sheet && !dtd) continue;
    pugi::xml_document doc;
    SANSO_TRY(load(doc, bytes_, names[key], ctx));
    bool changed = dtd;
    if (cut != cut_ids.end()) changed |= cut_references(doc, cut->second);
    if (word) changed |= neutralise_fields(doc, names[key], ctx);
    if (sheet) changed |= neutralise_external_formulas(doc, names[key], ctx);
    if (changed) rewritten[key] = save(doc);
  }

  // 4. Content types: no entries for removed parts; the macro-free main type.
  std::string out_type(type);
  {
    bool changed = false;
    pugi::xml_node root = types.document_element();
    for (pugi::xml_node n = root.first_child(); n;) {
      pugi::xml_node next = n.next_sibling();
      if (ends_with(n.name(), "Override")) {
        std::string part = ascii_lower(n.attribute("PartName").value());
        if (!part.empty() && part[0] == '/') part.erase(0, 1);
        if (removed.count(part)) {
          root.remove_child(n);
          changed = true;
        } else if (auto [free_type, free_name] = macro_free(n.attribute("ContentType").value()); !free_type.empty()) {
          n.attribute("ContentType").set_value(free_type.c_str());
          ctx.add("macro_enabled_type", names[part].empty() ? part : names[part], "converted");
          out_type = free_name;
          changed = true;
        }
      }
      n = next;
    }
    if (changed || contains(ct_it->second, "<!DOCTYPE")) rewritten["[content_types].xml"] = save(types);
  }

  // 5. The package again, [Content_Types].xml first, the rest in their original order.
  ZipWriter writer;
  writer.add(names["[content_types].xml"], rewritten.count("[content_types].xml") ? rewritten["[content_types].xml"] : data["[content_types].xml"]);
  for (const auto& e : zip.entries()) {
    std::string key = ascii_lower(e.name);
    if (e.directory || key == "[content_types].xml" || removed.count(key)) continue;
    auto it = rewritten.find(key);
    writer.add(e.name, it != rewritten.end() ? std::move(it->second) : std::move(data[key]));
  }
  auto out = writer.finish();
  if (!out) return std::move(out).error();
  return Rebuilt{std::move(out).value(), out_type};
}

}  // namespace sanso::cdr::internal
