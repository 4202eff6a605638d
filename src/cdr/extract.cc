// Text out of a file for content checks; no rebuild, no findings. XML text nodes are joined with
// spaces between elements so that numbers split across runs are still seen whole per run.
// Archives are read member by member, recursively, each member's text its own; what cannot be read
// says why, and a caller checking content treats it as a file that could not be checked.
#include <pugixml.hpp>

#include "cdr/cdr.h"
#include "cdr/internal/format.h"
#include "cdr/internal/zip_package.h"
#include "core/result.h"
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

namespace {

// OOXML and ODF text: the body, headers and footers (word/header*.xml, ODF's styles.xml) and the
// document properties (docProps/, meta.xml), where offices put a classification mark.
Result<std::string> package_text(std::string_view bytes, bool ooxml, const internal::Context& ctx) {
  auto zip = internal::ZipReader::open(bytes, ctx);
  if (!zip) return std::move(zip).error();
  std::string out;
  for (const auto& e : (*zip)->entries()) {
    const bool wanted = ooxml ? (e.name.ends_with(".xml") && (e.name.rfind("word/", 0) == 0 || e.name.rfind("xl/", 0) == 0 || e.name.rfind("ppt/", 0) == 0 ||
                                                             e.name.rfind("docProps/", 0) == 0))
                              : (e.name == "content.xml" || e.name == "styles.xml" || e.name == "meta.xml");
    if (!wanted) continue;
    auto data = (*zip)->read(e, ctx);
    if (!data) return std::move(data).error();
    xml_text(*data, out);
    out += '\n';
  }
  return out;
}

// What a reader reports for an error of the engine's readers: "encrypted", "limit", "malformed"…
std::string unreadable_because(const Error& e) {
  std::string reason = internal::reason_of(e);
  return reason + ": " + e.message;
}

class TextReader {
 public:
  explicit TextReader(const CdrPolicy& policy) : policy_(policy) {}

  void read(std::string_view bytes, const std::string& where, const internal::Context& ctx) {
    if (out_.size() >= kMostFiles) {
      if (!over_) out_.push_back({where, "", "", "limit: more than " + std::to_string(kMostFiles) + " files and members to read"});
      over_ = true;
      return;
    }
    ExtractedText piece{where, "", "", ""};
    if (ctx.depth > policy_.max_depth) {
      piece.unreadable = "limit: nested more than " + std::to_string(policy_.max_depth) + " levels deep";
      out_.push_back(std::move(piece));
      return;
    }
    const std::string_view file = std::string_view(where).substr(where.rfind('/') == std::string::npos ? 0 : where.rfind('/') + 1);
    internal::Detected d = internal::detect(bytes, file, ctx);
    // A PDF is read by pdftotext and qpdf wherever its header is (readers look at the first
    // kilobyte; bytes of no known type or text before it make it no less a PDF to some reader).
    // Inside what is another known type (a zip storing a PDF member) the type's reader reads it.
    const std::size_t pdf_at = bytes.find("%PDF-");
    const bool pdf = d.family == internal::Family::kPdf ||
                     (pdf_at != std::string_view::npos && (d.family == internal::Family::kUnknown || d.family == internal::Family::kText));
    if (pdf) {
      piece.pdf = std::string(bytes.substr(pdf_at == std::string_view::npos ? 0 : pdf_at));
      auto strings = internal::pdf_strings(piece.pdf, ctx);
      if (!strings) {  // its fields and annotations unread: the file cannot be checked, whatever pdftotext says
        piece.unreadable = unreadable_because(strings.error());
        piece.pdf.clear();
        out_.push_back(std::move(piece));
        return;
      }
      piece.text = std::move(strings).value();
      // Under another name than .pdf, or with other bytes before it, its bytes are text as well:
      // whatever pdftotext finds in it, a spreadsheet or an editor shows what surrounds the PDF.
      if (!ascii_lower(file).ends_with(".pdf") || pdf_at != 0) piece.text += "\n" + mime::decode_text(bytes, "").utf8;
      out_.push_back(std::move(piece));
      // A zip that stores a PDF near its start is a PDF to a reader (the header is in the first
      // kilobyte) and a zip to an archiver: its members are read too.
      if (bytes.starts_with("PK\x03\x04")) read_members(bytes, "zip", where, ctx);
      return;
    }
    Result<std::string> text = std::string();
    if (bytes.empty()) {
      text = std::string();
    } else if (d.family == internal::Family::kText) {
      text = mime::decode_text(bytes, "").utf8;
    } else if (d.family == internal::Family::kHtml) {
      text = mime::html_to_text(mime::decode_text(bytes, "").utf8).text;
    } else if (internal::is_ooxml(d.family) && d.type != "doc" && d.type != "xls" && d.type != "ppt" && d.type != "xlsb") {
      text = package_text(bytes, true, ctx);
    } else if (internal::is_odf(d.family) && d.type != "flat-odf") {
      text = package_text(bytes, false, ctx);
    } else if (d.family == internal::Family::kRtf) {
      text = internal::rtf_text(bytes, ctx);
    } else if (d.type == "doc" || d.type == "xls" || d.type == "ppt" || d.type == "encrypted-ooxml") {
      text = internal::ole2_text(bytes, d.type, ctx);
    } else if (d.family == internal::Family::kArchive) {
      read_members(bytes, d.type, where, ctx);
      return;
    } else if (d.family == internal::Family::kImage) {
      piece.unreadable = "image: the text in a picture (" + d.type + ") is not read";
    } else {
      piece.unreadable = "unsupported: the text of " + d.type + " content is not read";
    }
    if (!text) piece.unreadable = unreadable_because(text.error());
    else piece.text = std::move(text).value();
    out_.push_back(std::move(piece));
  }

  std::vector<ExtractedText> take() { return std::move(out_); }

 private:
  // Each member of an archive as a file of its own, under its path; an archive that cannot be
  // unpacked (encrypted, a limit, damaged) is one piece that says why.
  void read_members(std::string_view bytes, std::string_view type, const std::string& where, const internal::Context& ctx) {
    auto members = internal::read_archive(bytes, type, ctx);
    if (!members) {
      out_.push_back({where, "", "", unreadable_because(members.error())});
      return;
    }
    for (const auto& m : *members) read(m.data, where + "/" + m.name, ctx.nested(m.name));
  }

  static constexpr std::size_t kMostFiles = 2000;
  const CdrPolicy& policy_;
  std::vector<ExtractedText> out_;
  bool over_ = false;
};

}  // namespace

std::string extract_text(std::string_view bytes, std::string_view name) {
  std::string out;
  for (const auto& piece : extract_texts(bytes, name)) out += piece.text + "\n";
  return out;
}

std::vector<ExtractedText> extract_texts(std::string_view bytes, std::string_view name) {
  CdrPolicy policy;
  policy.max_expanded_bytes = std::uint64_t{256} << 20;
  policy.max_members = 2000;
  std::vector<Finding> findings;
  std::uint64_t expanded = 0;
  internal::Context ctx{policy, findings, expanded, 0, ""};
  TextReader reader(policy);
  try {
    reader.read(bytes, std::string(name), ctx);
  } catch (const std::bad_alloc&) {
    return {{std::string(name), "", "", "limit: reading the file needs more memory than allowed"}};
  } catch (const std::exception& e) {
    return {{std::string(name), "", "", std::string("malformed: the file could not be parsed: ") + e.what()}};
  }
  return reader.take();
}

}  // namespace sanso::cdr
