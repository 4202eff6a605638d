// libFuzzer targets for the CDR engine, one per format: SANSO_CDR_FORMAT picks the rebuilder
// ("ooxml", "odf", "pdf", "rtf", "ole2", "image", "text", "archive", "pages", "metafile": the
// outgoing check's WMF and EMF readers only) or "file" for the whole engine
// with type detection. In-process here; the service runs the engine in the sandbox. Invariants:
// only "cdr.*" errors (no stray failure kinds), a blocked file never has output, a rebuilt
// package or PDF is never empty, and a rebuilt output read again by a second reader has nothing
// active left: a PDF (pdf_active_content: qpdf, every object) no script, dangerous action or
// embedded file; an OOXML or ODF package (package_active_content) no macro, script, OLE object,
// control, external or remote reference or forbidden field; an RTF (rtf_active_content) no
// object, template, linked picture or forbidden field. The same inputs go through the text readers
// of the outgoing check (extract_texts, and per format rtf_content, ole2_content, pdf_content, archive
// members): only "cdr.*" errors, every piece says where it is and has text, a PDF or a reason, and
// every part a reader does not read is named with why.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "cdr/cdr.h"
#include "cdr/image/tiff_file.h"
#include "cdr/internal/format.h"
#include "cdr/internal/metafile.h"

#ifndef SANSO_CDR_FORMAT
#error "define SANSO_CDR_FORMAT"
#endif

namespace {
// The output types rebuilt as Office or ODF packages.
bool is_package(std::string_view type) {
  for (std::string_view t : {"docx", "docm", "dotx", "dotm", "xlsx", "xlsm", "xltx", "xltm", "xlam", "pptx", "pptm", "ppsx", "ppsm", "potx", "potm", "ppam",
                             "odt", "ods", "odp", "odg", "ott", "ots", "otp", "otg"}) {
    if (type == t) return true;
  }
  return false;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sanso::cdr;
  if (size > 1024 * 1024) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  CdrPolicy policy;
  policy.max_expanded_bytes = std::uint64_t{64} << 20;  // keep each run small
  policy.max_pixels = 4'000'000;
  const std::string_view format = SANSO_CDR_FORMAT;
  if (format == "file") {
    CdrResult r = sanitize(bytes, "input", policy);
    if (r.verdict == Verdict::blocked && !r.output.empty()) __builtin_trap();
    if (r.verdict == Verdict::blocked && r.reason.empty()) __builtin_trap();
    auto back = decode_result(encode_result(r));
    if (!back || back->output != r.output || back->verdict != r.verdict) __builtin_trap();
    if (r.verdict != Verdict::blocked && r.type == "pdf" && !internal::pdf_active_content(r.output).empty()) __builtin_trap();
    if (r.verdict != Verdict::blocked && is_package(r.type) && !internal::package_active_content(r.output).empty()) __builtin_trap();
    if (r.verdict != Verdict::blocked && r.type == "rtf" && !internal::rtf_active_content(r.output).empty()) __builtin_trap();
    for (const auto& piece : extract_texts(bytes, "input")) {
      if (piece.where.rfind("input", 0) != 0) __builtin_trap();
      if (!piece.pdf.empty() && piece.pdf.rfind("%PDF-", 0) != 0) __builtin_trap();
      if (!piece.unreadable.empty() && !piece.text.empty()) __builtin_trap();
    }
    return 0;
  }
  std::vector<Finding> findings;
  std::uint64_t expanded = 0;
  internal::Context ctx{policy, findings, expanded, 0, ""};
  {
    std::uint64_t read = 0;
    internal::Context text_ctx{policy, findings, read, 0, ""};
    sanso::Result<internal::ReadContent> text = internal::ReadContent{};
    if (format == "rtf") text = internal::rtf_content(bytes, text_ctx);
    if (format == "ole2") text = internal::ole2_content(bytes, size > 0 && (data[0] & 1) != 0 ? "xls" : size > 0 && (data[0] & 2) != 0 ? "msg" : "doc", text_ctx);
    if (format == "pdf") text = internal::pdf_content(bytes, text_ctx);
    if (format == "metafile") text = internal::is_emf(bytes) ? internal::emf_content(bytes, text_ctx) : internal::wmf_content(bytes, text_ctx);
    if (format == "archive") {
      auto members = internal::read_archive(bytes, size > 1 && data[0] == 'P' ? "zip" : "7z", text_ctx);
      if (!members && members.error().code.rfind("cdr.", 0) != 0) __builtin_trap();
    }
    if (!text && text.error().code.rfind("cdr.", 0) != 0) __builtin_trap();
    if (text) {
      for (const auto& [name, why] : text->unread) {
        if (name.empty() || why.empty()) __builtin_trap();  // what is not read is named, with why
      }
      for (const auto& m : text->embedded) {
        if (m.name.empty()) __builtin_trap();
      }
      std::map<std::uint32_t, std::size_t> parts;
      for (const PdfPage& page : text->picture_pages) {  // rendered at a dpi pdf_page_picture() takes
        if (page.number == 0 || page.dpi < kPdfPageDpi || page.dpi > kMostPdfPageDpi) __builtin_trap();
        if (++parts[page.number] > kMostPdfPageParts) __builtin_trap();
        // A part within the budget and inside its page, as pdf_page_picture() checks it.
        if (const auto& region = page.region) {
          if (region->width == 0 || region->height == 0 || static_cast<double>(region->width) * region->height > kMostPdfPagePixels) __builtin_trap();
          if (std::uint64_t{region->x} + region->width > region->page_width || std::uint64_t{region->y} + region->height > region->page_height) __builtin_trap();
        }
      }
      // A glyph sheet is a PDF of cells, within its caps.
      if (text->glyph_sheets.size() > 4) __builtin_trap();
      for (const GlyphSheet& sheet : text->glyph_sheets) {
        if (sheet.pdf.rfind("%PDF-", 0) != 0 || sheet.fonts.empty()) __builtin_trap();
        std::size_t cells = 0;
        for (const GlyphFont& font : sheet.fonts) {
          if (font.cells.empty()) __builtin_trap();
          cells += font.cells.size();
        }
        if (cells > 160) __builtin_trap();
      }
    }
  }
  sanso::Result<internal::Rebuilt> r = sanso::make_error("cdr.internal", "", "unset");
  if (format == "ooxml") r = internal::sanitize_ooxml(bytes, "docx", ctx);
  if (format == "odf") r = internal::sanitize_odf(bytes, "odt", ctx);
  if (format == "pdf") r = internal::sanitize_pdf(bytes, ctx);
  if (format == "rtf") r = internal::sanitize_rtf(bytes, ctx);
  if (format == "ole2") r = internal::sanitize_ole2(bytes, "doc", ctx);
  if (format == "image") {
    // Each codec by the file's first byte, as detection would pick it.
    const char first = size > 0 ? static_cast<char>(data[0]) : '\0';
    const char* type = first == '\x89' ? "png" : first == 'B' ? "bmp" : first == 'G' ? "gif" : first == 'R' ? "webp" : (first == 'I' || first == 'M') ? "tiff" : "jpeg";
    r = internal::sanitize_image(bytes, type, ctx);
    // A TIFF's pages come back from tiff2rgba as the converter wrote them, hostile all the same:
    // read and written again as the engine's 'T' job does.
    if (first == 'I' || first == 'M') {
      if (auto pages = internal::image::read_rgba_tiff(bytes, policy.max_pixels)) {
        if (!internal::image::write_tiff(*pages)) __builtin_trap();  // pages that were read can be written
      }
    }
  }
  if (format == "text") r = internal::sanitize_text(bytes, "csv", ctx);
  if (format == "pages") r = internal::assemble_page_images({bytes}, ctx);  // a rendered page, as rasterize mode binds it
  if (format == "archive") r = internal::sanitize_archive(bytes, size > 1 && data[0] == 'P' ? "zip" : "7z", ctx);
  if (!r) {
    if (r.error().code.rfind("cdr.", 0) != 0) __builtin_trap();
    return 0;
  }
  if (format != "text" && format != "ole2" && r->bytes.empty()) __builtin_trap();
  if (format == "pdf" && !internal::pdf_active_content(r->bytes).empty()) __builtin_trap();
  if ((format == "ooxml" || format == "odf") && !internal::package_active_content(r->bytes).empty()) __builtin_trap();
  if (format == "rtf" && !internal::rtf_active_content(r->bytes).empty()) __builtin_trap();
  return 0;
}
