// Rasterize mode's last step, inside the parser sandbox: page images a converter rendered are
// decoded and encoded again (only pixels cross, whatever the converter was made to write) and
// bound into a new PDF with one image per page, sized so the page keeps its physical size.
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include <vips/vips.h>

#include <cstdio>

#include "cdr/internal/format.h"

namespace sanso::cdr::internal {
namespace {

struct Page {
  std::string jpeg;
  int width = 0, height = 0, bands = 0;
};

Result<Page> reencode(std::string_view image, std::size_t index, const CdrPolicy& policy) {
  const std::string where = "page " + std::to_string(index + 1);
  if (image.substr(0, 8) == "\x89PNG\r\n\x1A\n" && !png_chunks_fit(image)) return blocked("malformed", where, "a PNG chunk claims to be longer than the file");
  VipsImage* in = vips_image_new_from_buffer(image.data(), image.size(), "", "access", VIPS_ACCESS_SEQUENTIAL, "fail_on", VIPS_FAIL_ON_ERROR, nullptr);
  if (in == nullptr) {
    vips_error_clear();
    return blocked("malformed", where, "the rendered page is not a readable image");
  }
  Page page;
  page.width = vips_image_get_width(in);
  page.height = vips_image_get_height(in);
  if (static_cast<std::uint64_t>(page.width) * static_cast<std::uint64_t>(page.height) > policy.max_pixels) {
    g_object_unref(in);
    return blocked("limit", where, "the page renders to more pixels than the limit (an oversized page)");
  }
  VipsImage* rgb = nullptr;
  int rc = vips_colourspace(in, &rgb, vips_image_get_bands(in) >= 3 ? VIPS_INTERPRETATION_sRGB : VIPS_INTERPRETATION_B_W, nullptr);
  g_object_unref(in);
  if (rc != 0) {
    vips_error_clear();
    return blocked("malformed", where, "the rendered page has colours that cannot be converted");
  }
  VipsImage* flat = rgb;
  if (vips_image_hasalpha(rgb)) {
    if (vips_flatten(rgb, &flat, nullptr) != 0) flat = nullptr;
    g_object_unref(rgb);
    if (flat == nullptr) {
      vips_error_clear();
      return blocked("malformed", where, "the rendered page's transparency cannot be flattened");
    }
  }
  page.bands = vips_image_get_bands(flat);
  void* buf = nullptr;
  std::size_t len = 0;
  rc = vips_jpegsave_buffer(flat, &buf, &len, "Q", 85, "strip", TRUE, "interlace", FALSE, nullptr);
  g_object_unref(flat);
  if (rc != 0 || (page.bands != 1 && page.bands != 3)) {
    if (buf != nullptr) g_free(buf);
    vips_error_clear();
    return blocked("malformed", where, "the rendered page cannot be encoded");
  }
  page.jpeg.assign(static_cast<const char*>(buf), len);
  g_free(buf);
  return page;
}

std::string number(double v) {
  char s[32];
  std::snprintf(s, sizeof s, "%.2f", v);
  return s;
}

}  // namespace

Result<Rebuilt> assemble_page_images(const std::vector<std::string_view>& images, const Context& ctx) {
  prepare_images();
  if (images.empty()) return blocked("malformed", "document", "the document rendered to no pages");
  try {
    QPDF pdf;
    pdf.emptyPDF();
    QPDFPageDocumentHelper pages(pdf);
    for (std::size_t i = 0; i < images.size(); ++i) {
      Page page = SANSO_TRY(reencode(images[i], i, ctx.policy));
      QPDFObjectHandle image = QPDFObjectHandle::newStream(&pdf, page.jpeg);
      QPDFObjectHandle dict = image.getDict();
      dict.replaceKey("/Type", QPDFObjectHandle::newName("/XObject"));
      dict.replaceKey("/Subtype", QPDFObjectHandle::newName("/Image"));
      dict.replaceKey("/Width", QPDFObjectHandle::newInteger(page.width));
      dict.replaceKey("/Height", QPDFObjectHandle::newInteger(page.height));
      dict.replaceKey("/ColorSpace", QPDFObjectHandle::newName(page.bands == 1 ? "/DeviceGray" : "/DeviceRGB"));
      dict.replaceKey("/BitsPerComponent", QPDFObjectHandle::newInteger(8));
      dict.replaceKey("/Filter", QPDFObjectHandle::newName("/DCTDecode"));
      // Points from pixels at the rendering resolution: the page keeps its size on paper.
      const double w = page.width * 72.0 / ctx.policy.dpi, h = page.height * 72.0 / ctx.policy.dpi;
      QPDFObjectHandle content = QPDFObjectHandle::newStream(&pdf, "q " + number(w) + " 0 0 " + number(h) + " 0 0 cm /Im0 Do Q\n");
      QPDFObjectHandle xobjects = QPDFObjectHandle::newDictionary();
      xobjects.replaceKey("/Im0", image);
      QPDFObjectHandle resources = QPDFObjectHandle::newDictionary();
      resources.replaceKey("/XObject", xobjects);
      QPDFObjectHandle p = QPDFObjectHandle::newDictionary();
      p.replaceKey("/Type", QPDFObjectHandle::newName("/Page"));
      p.replaceKey("/MediaBox", QPDFObjectHandle::parse("[0 0 " + number(w) + " " + number(h) + "]"));
      p.replaceKey("/Resources", resources);
      p.replaceKey("/Contents", content);
      pages.addPage(pdf.makeIndirectObject(p), false);
    }
    QPDFWriter writer(pdf);
    writer.setOutputMemory();
    writer.setDeterministicID(true);
    writer.write();
    auto buffer = writer.getBufferSharedPointer();
    return Rebuilt{std::string(reinterpret_cast<const char*>(buffer->getBuffer()), buffer->getSize()), "pdf"};
  } catch (const std::exception& e) {
    return blocked("malformed", "document", std::string("the page images cannot be bound into a PDF: ") + e.what());
  }
}

}  // namespace sanso::cdr::internal
