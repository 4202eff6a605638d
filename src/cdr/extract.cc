// Text out of a file for content checks; no rebuild, no findings. XML text nodes are joined with
// spaces between elements so that numbers split across runs are still seen whole per run.
#include <pugixml.hpp>

#include "cdr/cdr.h"
#include "cdr/internal/format.h"
#include "cdr/internal/zip_package.h"
#include "core/text.h"
#include "mime/charset.h"
#include "mime/html_text.h"

namespace sanso::cdr {
namespace {

void xml_text(const std::string& xml, std::string& out) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) return;
  struct Walker : pugi::xml_tree_walker {
    std::string* out;
    bool for_each(pugi::xml_node& n) override {
      if (n.type() == pugi::node_pcdata || n.type() == pugi::node_cdata) *out += n.value();
      if (n.type() == pugi::node_element && (std::string_view(n.name()).ends_with(":p") || std::string_view(n.name()) == "row")) *out += '\n';
      return true;
    }
  } walker;
  walker.out = &out;
  doc.traverse(walker);
}

}  // namespace

std::string extract_text(std::string_view bytes, std::string_view name) {
  CdrPolicy policy;
  policy.max_expanded_bytes = std::uint64_t{256} << 20;
  std::vector<Finding> findings;
  std::uint64_t expanded = 0;
  internal::Context ctx{policy, findings, expanded, 0, ""};
  internal::Detected d = internal::detect(bytes, name, ctx);
  if (d.family == internal::Family::kText) return mime::decode_text(bytes, "").utf8;
  if (d.family == internal::Family::kHtml) return mime::html_to_text(mime::decode_text(bytes, "").utf8).text;
  const bool ooxml = internal::is_ooxml(d.family);
  const bool odf = internal::is_odf(d.family);
  if (!ooxml && !odf) return "";
  auto zip = internal::ZipReader::open(bytes, ctx);
  if (!zip) return "";
  std::string out;
  for (const auto& e : (*zip)->entries()) {
    // Besides the body: headers and footers (word/header*.xml, ODF's styles.xml) and the document
    // properties (docProps/, meta.xml), where offices put a classification mark.
    const bool wanted = ooxml ? (e.name.ends_with(".xml") && (e.name.rfind("word/", 0) == 0 || e.name.rfind("xl/", 0) == 0 || e.name.rfind("ppt/slides/", 0) == 0 ||
                                                             e.name.rfind("docProps/", 0) == 0))
                              : (e.name == "content.xml" || e.name == "styles.xml" || e.name == "meta.xml");
    if (!wanted) continue;
    auto data = (*zip)->read(e, ctx);
    if (!data) continue;
    xml_text(*data, out);
    out += '\n';
  }
  return out;
}

}  // namespace sanso::cdr
